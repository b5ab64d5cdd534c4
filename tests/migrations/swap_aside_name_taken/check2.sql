SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum)) = ARRAY['tenant_id', 'series'] FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'billing.invoices'::regclass AND i.indisprimary;
SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum)) = ARRAY['tenant_id', 'code'] FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indexrelid = 'billing.invoices_pkey_old'::regclass;
SELECT count(*) = 0 FROM pg_class WHERE relname = 'invoices_pkey_old2';
SELECT set_config('app.tenant_id', 'aaaaaaaa-0000-4000-8000-000000000001', false) IS NOT NULL;
-- rejects: fk_payments_invoice_id
INSERT INTO billing.payments (tenant_id, invoice_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'B1');
