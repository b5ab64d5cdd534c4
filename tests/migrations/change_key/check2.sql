SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum)) = ARRAY['tenant_id', 'series', 'number'] FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'billing.invoices'::regclass AND i.indisprimary;
SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum)) = ARRAY['tenant_id', 'code', 'year'] FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'billing.entries'::regclass AND i.indisprimary;
SELECT count(*) = 0 FROM pg_class WHERE relname LIKE '%pkey_old';
SELECT set_config('app.tenant_id', '11111111-1111-1111-1111-111111111111', false) IS NOT NULL;
SELECT count(*) = 2 FROM billing.invoices WHERE tenant_id = '11111111-1111-1111-1111-111111111111';
INSERT INTO billing.invoices (tenant_id, series, number) VALUES ('11111111-1111-1111-1111-111111111111', 'A', 2) RETURNING true;
-- rejects: invoices_pkey
INSERT INTO billing.invoices (tenant_id, series, number) VALUES ('11111111-1111-1111-1111-111111111111', 'A', 2);
INSERT INTO billing.entries (tenant_id, code, year) VALUES ('11111111-1111-1111-1111-111111111111', 'X', 2026) RETURNING true;
WITH d AS (DELETE FROM billing.invoices WHERE tenant_id = '11111111-1111-1111-1111-111111111111' AND number = 2 RETURNING 1) SELECT count(*) = 1 FROM d;
WITH d AS (DELETE FROM billing.entries WHERE tenant_id = '11111111-1111-1111-1111-111111111111' AND year = 2026 RETURNING 1) SELECT count(*) = 1 FROM d;
SELECT set_config('app.tenant_id', '', false) IS NOT NULL;
