INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana', 'ana@mitoga.es'), ('Luis', 'luis@mitoga.es');
