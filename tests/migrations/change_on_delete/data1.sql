INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana', 'ana@mitoga.es'), ('Luis', 'luis@mitoga.es');
INSERT INTO ventas.pedidos (cliente_id, horas) SELECT id, 2 FROM ventas.clientes;
