SELECT bool_and(alias = nombre AND pais = 'ES') FROM ventas.clientes;
