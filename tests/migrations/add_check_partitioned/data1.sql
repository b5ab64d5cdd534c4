INSERT INTO ventas.accesos (alumno, fecha) VALUES ('ana', '2025-11-03');
