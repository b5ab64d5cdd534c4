INSERT INTO billing.invoice (tenant_id, series) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'A1'), ('bbbbbbbb-0000-4000-8000-000000000002', 'B1');
INSERT INTO billing.invoice_pkey_old (tenant_id, note) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'kept');
INSERT INTO billing.receipt (tenant_id, kind) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'old'), ('bbbbbbbb-0000-4000-8000-000000000002', 'new');
