SELECT search_vector @@ to_tsquery('spanish', 'fisica | física') FROM ventas.clientes;
