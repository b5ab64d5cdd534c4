WITH d AS (DELETE FROM ventas.clientes WHERE nombre = 'Luis' RETURNING 1) SELECT count(*) = 1 FROM d;
SELECT count(*) = 1 FROM ventas.pedidos;
