SELECT biografia = 'Profesora de física' AND visitas = 2147483000 AND precio = 123456.78 FROM ventas.clientes;
WITH u AS (UPDATE ventas.clientes SET visitas = 2147483000 RETURNING 1) SELECT count(*) = 1 FROM u;
