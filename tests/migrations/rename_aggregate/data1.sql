INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana', 'ana@mitoga.es'), ('Luis', 'luis@mitoga.es');

INSERT INTO ventas.citas (cliente_id, inicio, fin) SELECT id, '2025-11-20 10:00Z', '2025-11-20 11:00Z' FROM ventas.clientes WHERE nombre = 'Ana';
INSERT INTO ventas.citas_notas (cita_id, texto) SELECT id, 'Repasar derivadas' FROM ventas.citas;
