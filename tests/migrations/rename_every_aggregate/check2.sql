SELECT set_config('app.tenant_id', '0000000a-0000-0000-0000-00000000000a', false) IS NOT NULL;
SELECT count(*) = 1 FROM c0.renamed0s_lines l JOIN c0.renamed0s r ON r.id = l.renamed0_id WHERE l.qty = 3;
SELECT count(*) = 1 FROM c0.renamed0s_events_2025_11;
SELECT count(*) = 1 FROM c0.renamed1s n JOIN c0.renamed0s p ON p.id = n.previous_id;
SELECT count(*) = 1 FROM c1.renamed12s x JOIN c0.renamed11s o ON o.id = x.origin_id;
SELECT to_regclass('c0.thing0s') IS NULL AND to_regclass('c1.thing23s') IS NULL;
SELECT count(*) = 24 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('c0', 'c1') AND c.relkind IN ('r', 'p') AND c.relname ~ '^renamed[0-9]+s$';
SELECT NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('c0', 'c1') AND c.relname LIKE '%thing%');
SELECT NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname LIKE '%thing%');
