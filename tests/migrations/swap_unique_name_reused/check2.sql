SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum)) = ARRAY['tenant_id', 'code'] FROM pg_constraint c JOIN pg_index i ON i.indexrelid = c.conindid JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE c.conname = 'uq_invoices_tenant_id_series' AND c.conrelid = 'billing.invoices'::regclass;
SELECT set_config('app.tenant_id', 'aaaaaaaa-0000-4000-8000-000000000001', false) IS NOT NULL;
-- rejects: uq_invoices_tenant_id_series
INSERT INTO billing.invoices (tenant_id, series, code) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'A2', 'C-1');
-- rejects: fk_payments_invoice_id
INSERT INTO billing.payments (tenant_id, invoice_id, amount) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'B1', 1);
INSERT INTO billing.invoices (tenant_id, series, code) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'A2', 'C-2') RETURNING true;
