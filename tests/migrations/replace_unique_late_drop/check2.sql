SELECT count(*) = 0 FROM pg_constraint WHERE conname = 'uq_clientes_email';
SELECT count(*) = 1 FROM pg_constraint WHERE conname = 'uq_clientes_email_nombre' AND contype = 'u';
SELECT count(*) = 1 FROM ventas.clientes WHERE email = 'ana@example.com';
-- rejects: duplicate key value violates unique constraint "uq_clientes_email_nombre"
INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana', 'ana@example.com');
WITH ins AS (INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana María', 'ana@example.com') RETURNING 1) SELECT count(*) = 1 FROM ins;
WITH gone AS (DELETE FROM ventas.clientes WHERE nombre = 'Ana María' RETURNING 1) SELECT count(*) = 1 FROM gone;
