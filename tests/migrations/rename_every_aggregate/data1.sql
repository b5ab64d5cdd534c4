SET app.tenant_id = '0000000a-0000-0000-0000-00000000000a';
INSERT INTO c0.thing0s (label) VALUES ('first');
INSERT INTO c0.thing0s_lines (thing0_id, qty) SELECT id, 3 FROM c0.thing0s;
INSERT INTO c0.thing0s_events (thing0_id, tipo_evento, occurred_at, payload) SELECT id, 'CREATED', '2025-11-19 09:00Z', '{}' FROM c0.thing0s;
INSERT INTO c0.thing1s (label, previous_id) SELECT 'second', id FROM c0.thing0s;
INSERT INTO c0.thing11s (label) VALUES ('eleventh');
INSERT INTO c1.thing12s (tenant_id, label, origin_id) SELECT '0000000a-0000-0000-0000-00000000000a', 'across', id FROM c0.thing11s;
