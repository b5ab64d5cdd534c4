INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana', 'ana@mitoga.es'), ('Luis', 'luis@mitoga.es');
INSERT INTO marketplace.tutores (alias, cliente_id) SELECT 'profe_ana', id FROM ventas.clientes WHERE nombre = 'Ana';
