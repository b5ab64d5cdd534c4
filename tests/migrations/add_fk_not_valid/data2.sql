UPDATE ventas.clientes SET vendedor_id = (SELECT id FROM ventas.vendedores) WHERE nombre = 'Ana';
