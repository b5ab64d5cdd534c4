SELECT count(*) = 1 FROM ventas.clientes WHERE deleted_at IS NULL;
WITH u AS (UPDATE ventas.clientes SET deleted_at = now() WHERE nombre = 'Ana' RETURNING 1) SELECT count(*) = 1 FROM u;
WITH i AS (INSERT INTO ventas.clientes (nombre, email, dni) VALUES ('Ana', 'ana@mitoga.es', '12345678Z') RETURNING 1) SELECT count(*) = 1 FROM i;
WITH d AS (DELETE FROM ventas.clientes WHERE deleted_at IS NOT NULL RETURNING 1) SELECT count(*) = 1 FROM d;
