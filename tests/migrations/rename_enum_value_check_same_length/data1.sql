INSERT INTO ventas.clientes (nombre, estado, motivo_baja) VALUES ('Ana', 'ACTIVO', NULL), ('Luis', 'BAJA', 'Se mudó');
