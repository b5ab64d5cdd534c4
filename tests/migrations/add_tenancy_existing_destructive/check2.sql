SELECT is_nullable = 'NO' FROM information_schema.columns WHERE table_schema = 'ventas' AND table_name = 'clientes' AND column_name = 'tenant_id';
SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'ventas.clientes'::regclass;
