INSERT INTO billing.invoices (tenant_id, series, code) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'A1', 'C-1'), ('bbbbbbbb-0000-4000-8000-000000000002', 'B1', 'C-1');
INSERT INTO billing.payments (tenant_id, invoice_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'A1');
