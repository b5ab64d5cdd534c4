INSERT INTO ventas.clientes (nombre, dni, estado) VALUES ('Ana', '1Z', 'BAJA');
