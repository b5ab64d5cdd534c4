SELECT set_config('app.tenant_id', '0000000a-0000-0000-0000-00000000000a', false) IS NOT NULL;
SELECT count(*) = 1 FROM c0.thing0s_lines l JOIN c0.thing0s t ON t.id = l.thing0_id;
SELECT count(*) = 1 FROM c1.thing12s x JOIN c0.thing11s o ON o.id = x.origin_id;
SELECT to_regclass('c0.renamed0s') IS NULL;
