SET app.tenant_id = '11111111-1111-1111-1111-111111111111';
INSERT INTO crm.customers_notes (tenant_id, customer_id, text) VALUES ('11111111-1111-1111-1111-111111111111', 'aaaaaaaa-0000-0000-0000-000000000001', 'hola');
RESET app.tenant_id;
