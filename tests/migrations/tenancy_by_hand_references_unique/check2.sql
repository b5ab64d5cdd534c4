SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum)) = ARRAY['tenant_id', 'series'] FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'billing.invoices'::regclass AND i.indisprimary;
SELECT count(*) = 0 FROM pg_class WHERE relname LIKE '%pkey_old' OR relname = 'uq_invoices_code';
SELECT bool_and(convalidated) AND bool_and(conindid = 'billing.invoices_pkey'::regclass) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'billing'::regnamespace;
SELECT set_config('app.tenant_id', 'aaaaaaaa-0000-4000-8000-000000000001', false) IS NOT NULL;
-- owner only
SELECT count(*) = 1 FROM billing.payments;
-- rejects: fk_payments_invoice_id
INSERT INTO billing.payments (tenant_id, invoice_id, amount) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'B1', 1);
-- rejects: fk_invoices_credit_of_id
INSERT INTO billing.invoices (tenant_id, series, code, credit_of_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'A3', 'C-A3', 'B1');
-- rejects: uq_invoices_tenant_id_code
INSERT INTO billing.invoices (tenant_id, series, code) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'A4', 'C-A1');
INSERT INTO billing.payments (tenant_id, invoice_id, amount) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'A2', 1) RETURNING true;
