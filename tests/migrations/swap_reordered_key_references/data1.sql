INSERT INTO billing.invoices (series, region) VALUES ('A1', 'ES'), ('A1', 'PT');
INSERT INTO billing.invoices (series, region, credit_of_series, credit_of_region) VALUES ('A2', 'ES', 'A1', 'ES');
INSERT INTO billing.payments (invoice_series, invoice_region, amount) VALUES ('A1', 'ES', 5), ('A1', 'PT', 7);
