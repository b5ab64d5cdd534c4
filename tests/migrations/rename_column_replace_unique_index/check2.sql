SELECT count(*) = 0 FROM pg_class WHERE relname = 'uq_clientes_email_nombre';
SELECT count(*) = 1 FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relname = 'uq_clientes_email' AND x.indisunique AND x.indisvalid AND x.indpred IS NOT NULL;
SELECT count(*) = 1 FROM ventas.clientes WHERE nombre_completo = 'Ana' AND email = 'ana@example.com';
-- rejects: duplicate key value violates unique constraint "uq_clientes_email"
INSERT INTO ventas.clientes (nombre_completo, email) VALUES ('Ana bis', 'ana@example.com');
