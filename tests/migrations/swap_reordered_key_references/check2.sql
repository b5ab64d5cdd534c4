SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum)) = ARRAY['region', 'series'] FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'billing.invoices'::regclass AND i.indisprimary;
SELECT count(*) = 0 FROM pg_class WHERE relname LIKE '%pkey_old';
SELECT bool_and(convalidated) AND bool_and(conindid = 'billing.invoices_pkey'::regclass) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'billing'::regnamespace;
SELECT count(*) = 3 FROM billing.invoices;
-- rejects: fk_pay_inv
INSERT INTO billing.payments (invoice_region, invoice_series, amount) VALUES ('FR', 'A1', 1);
-- rejects: fk_credit_of
INSERT INTO billing.invoices (region, series, credit_of_region, credit_of_series) VALUES ('ES', 'A3', 'FR', 'A1');
INSERT INTO billing.payments (invoice_region, invoice_series, amount) VALUES ('PT', 'A1', 1) RETURNING true;
