INSERT INTO ventas.clientes_contactos (cliente_id, telefono) SELECT id, '+34600111222' FROM ventas.clientes WHERE nombre = 'Ana';
