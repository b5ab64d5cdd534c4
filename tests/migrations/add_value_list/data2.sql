INSERT INTO ventas.clientes_telefonos (cliente_id, position, value) SELECT id, 1, '+34600111222' FROM ventas.clientes WHERE nombre = 'Ana';
