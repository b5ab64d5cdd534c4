SET app.tenant_id = '11111111-1111-1111-1111-111111111111';
INSERT INTO billing.invoices (tenant_id, series, number) VALUES ('11111111-1111-1111-1111-111111111111', 'A', 1), ('11111111-1111-1111-1111-111111111111', 'B', 1);
INSERT INTO billing.entries (tenant_id, code, year) VALUES ('11111111-1111-1111-1111-111111111111', 'X', 2025);
SET app.tenant_id = '22222222-2222-2222-2222-222222222222';
INSERT INTO billing.invoices (tenant_id, series, number) VALUES ('22222222-2222-2222-2222-222222222222', 'A', 1);
INSERT INTO billing.entries (tenant_id, code, year) VALUES ('22222222-2222-2222-2222-222222222222', 'X', 2025);
RESET app.tenant_id;
