INSERT INTO ventas.pedidos (cliente_id, horas) SELECT id, 3 FROM ventas.clientes WHERE nombre = 'Ana';
