SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum)) = ARRAY['tenant_id', 'series'] FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'billing.invoice'::regclass AND i.indisprimary;
SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum)) = ARRAY['tenant_id', 'kind'] FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'billing.receipt'::regclass AND i.indisprimary;
SELECT relkind = 'r' FROM pg_class WHERE oid = 'billing.invoice_pkey_old'::regclass;
SELECT relispartition FROM pg_class WHERE oid = 'billing.receipt_pkey_old'::regclass;
SELECT count(*) = 0 FROM pg_class WHERE relname IN ('invoice_pkey_old2', 'receipt_pkey_old2');
SELECT set_config('app.tenant_id', 'aaaaaaaa-0000-4000-8000-000000000001', false) IS NOT NULL;
SELECT count(*) = 1 FROM billing.receipt_pkey_old;
-- rejects: receipt_pkey
INSERT INTO billing.receipt (tenant_id, kind) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'old');
