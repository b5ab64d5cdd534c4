WITH i AS (INSERT INTO ventas.clientes (nombre, estado) VALUES ('Eva', 'SUSPENDIDO') RETURNING 1) SELECT count(*) = 1 FROM i;
WITH d AS (DELETE FROM ventas.clientes WHERE estado = 'SUSPENDIDO' RETURNING 1) SELECT count(*) = 1 FROM d;
SELECT count(*) = 2 FROM ventas.clientes;
