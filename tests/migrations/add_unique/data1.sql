INSERT INTO ventas.clientes (nombre, email, dni) VALUES ('Ana', 'ana@mitoga.es', '12345678Z'), ('Luis', 'luis@mitoga.es', NULL);
