INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana', 'ana@mitoga.es'), ('Luis', 'luis@mitoga.es');
INSERT INTO ventas.accesos (alumno, fecha) VALUES ('ana', '2025-11-03');
