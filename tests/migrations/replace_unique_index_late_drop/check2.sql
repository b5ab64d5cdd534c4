SELECT count(*) = 0 FROM pg_class WHERE relname = 'uq_clientes_email';
SELECT count(*) = 1 FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relname = 'uq_clientes_email_nombre' AND x.indisunique AND x.indisvalid AND x.indpred IS NOT NULL;
SELECT count(*) = 2 FROM ventas.clientes WHERE email = 'ana@example.com';
-- rejects: duplicate key value violates unique constraint "uq_clientes_email_nombre"
INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana', 'ana@example.com');
WITH ins AS (INSERT INTO ventas.clientes (nombre, email, deleted_at) VALUES ('Ana', 'ana@example.com', now()) RETURNING 1) SELECT count(*) = 1 FROM ins;
WITH ins AS (INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana María', 'ana@example.com') RETURNING 1) SELECT count(*) = 1 FROM ins;
WITH gone AS (DELETE FROM ventas.clientes WHERE nombre = 'Ana María' RETURNING 1) SELECT count(*) = 1 FROM gone;
