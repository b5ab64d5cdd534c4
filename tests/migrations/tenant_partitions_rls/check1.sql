SELECT bool_and(c.relrowsecurity AND c.relforcerowsecurity) AND count(*) = 6 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'sales' AND c.relkind IN ('r', 'p');
SELECT count(*) = 6 FROM pg_policies WHERE schemaname = 'sales' AND policyname = 'tenant_isolation';
