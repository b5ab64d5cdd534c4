SELECT is_nullable = 'NO' FROM information_schema.columns WHERE table_schema = 'ventas' AND table_name = 'clientes' AND column_name = 'tenant_id';
SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'ventas.clientes'::regclass;
SELECT set_config('app.tenant_id', '11111111-1111-1111-1111-111111111111', false) IS NOT NULL;
WITH ins AS (INSERT INTO ventas.clientes (tenant_id, nombre, email) VALUES ('11111111-1111-1111-1111-111111111111', 'Ana', 'ana@example.com') RETURNING 1) SELECT count(*) = 1 FROM ins;
-- rejects: duplicate key value violates unique constraint "uq_clientes_tenant_id_email"
INSERT INTO ventas.clientes (tenant_id, nombre, email) VALUES ('11111111-1111-1111-1111-111111111111', 'Ana bis', 'ana@example.com');
SELECT set_config('app.tenant_id', '22222222-2222-2222-2222-222222222222', false) IS NOT NULL;
WITH ins AS (INSERT INTO ventas.clientes (tenant_id, nombre, email) VALUES ('22222222-2222-2222-2222-222222222222', 'Ana, otra academia', 'ana@example.com') RETURNING 1) SELECT count(*) = 1 FROM ins;
-- owner only
SELECT count(*) = 1 FROM ventas.clientes;
-- owner only
SELECT count(*) = 0 FROM ventas.clientes WHERE tenant_id = '11111111-1111-1111-1111-111111111111';
-- owner only
-- rejects: new row violates row-level security policy for table "clientes"
INSERT INTO ventas.clientes (tenant_id, nombre, email) VALUES ('11111111-1111-1111-1111-111111111111', 'Intrusa', 'intrusa@example.com');
-- owner only
-- rejects: new row violates row-level security policy for table "clientes"
UPDATE ventas.clientes SET tenant_id = '11111111-1111-1111-1111-111111111111' WHERE email = 'ana@example.com';
-- owner only
WITH gone AS (DELETE FROM ventas.clientes WHERE tenant_id = '11111111-1111-1111-1111-111111111111' RETURNING 1) SELECT count(*) = 0 FROM gone;
SELECT set_config('app.tenant_id', '', false) IS NOT NULL;
-- owner only
-- rejects: invalid input syntax for type uuid
SELECT count(*) FROM ventas.clientes;
SELECT set_config('app.tenant_id', '22222222-2222-2222-2222-222222222222', false) IS NOT NULL;
WITH gone AS (DELETE FROM ventas.clientes WHERE tenant_id = '22222222-2222-2222-2222-222222222222' RETURNING 1) SELECT count(*) = 1 FROM gone;
SELECT set_config('app.tenant_id', '11111111-1111-1111-1111-111111111111', false) IS NOT NULL;
WITH gone AS (DELETE FROM ventas.clientes WHERE tenant_id = '11111111-1111-1111-1111-111111111111' RETURNING 1) SELECT count(*) = 1 FROM gone;
SELECT set_config('app.tenant_id', '', false) IS NOT NULL;
