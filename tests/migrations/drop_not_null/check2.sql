WITH i AS (INSERT INTO ventas.clientes (nombre, email, telefono, pais) VALUES ('Eva', 'eva@mitoga.es', NULL, NULL) RETURNING 1) SELECT count(*) = 1 FROM i;
WITH d AS (DELETE FROM ventas.clientes WHERE nombre = 'Eva' RETURNING 1) SELECT count(*) = 1 FROM d;
