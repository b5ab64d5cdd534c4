SELECT to_regnamespace('marketplace') IS NULL;
SELECT count(*) = 2 FROM ventas.clientes;
