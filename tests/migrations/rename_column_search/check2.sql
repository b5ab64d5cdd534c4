SELECT search_vector @@ to_tsquery('spanish', 'profesora') FROM ventas.clientes;
