SELECT count(*) = 2 FROM ventas.clientes;
