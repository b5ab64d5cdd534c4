SELECT count(*) = 0 FROM pg_constraint WHERE conname = 'uq_clientes_email';
SELECT count(*) = 1 FROM pg_constraint WHERE conname = 'uq_clientes_email_nombre' AND contype = 'u';
SELECT count(*) = 1 FROM ventas.clientes WHERE email = 'ana@example.com';
