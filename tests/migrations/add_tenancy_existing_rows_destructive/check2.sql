SELECT count(*) = 1 FROM ventas.clientes WHERE nombre = 'Ana' AND email = 'ana@example.com';
SELECT count(*) = 0 FROM information_schema.columns WHERE table_schema = 'ventas' AND table_name = 'clientes' AND column_name = 'tenant_id';
SELECT NOT relrowsecurity FROM pg_class WHERE oid = 'ventas.clientes'::regclass;
SELECT count(*) = 1 FROM pg_constraint WHERE conname = 'uq_clientes_email' AND conrelid = 'ventas.clientes'::regclass;
