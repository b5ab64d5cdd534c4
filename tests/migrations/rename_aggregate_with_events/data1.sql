INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana', 'ana@mitoga.es'), ('Luis', 'luis@mitoga.es');

INSERT INTO ventas.citas (cliente_id, inicio, fin) SELECT id, '2025-11-20 10:00Z', '2025-11-20 11:00Z' FROM ventas.clientes WHERE nombre = 'Ana';
INSERT INTO ventas.citas_notas (cita_id, texto) SELECT id, 'Repasar derivadas' FROM ventas.citas;
INSERT INTO ventas.citas_eventos (cita_id, tipo_evento, occurred_at, payload) SELECT id, 'CLASE_CREADA', '2025-11-19 09:00Z', '{}' FROM ventas.citas;
