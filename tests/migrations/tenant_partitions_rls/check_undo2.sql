SELECT count(*) = 6 FROM pg_policies WHERE schemaname = 'sales' AND policyname = 'tenant_isolation';
