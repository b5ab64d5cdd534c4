SELECT count(*) = 2 FROM ventas.clientes_eventos_2025_11;
WITH i AS (INSERT INTO ventas.clientes_eventos (cliente_id, tipo_evento, payload) SELECT id, 'CLIENTE_FUSIONADO', '{}' FROM ventas.clientes LIMIT 1 RETURNING 1) SELECT count(*) = 1 FROM i;
WITH d AS (DELETE FROM ventas.clientes_eventos WHERE tipo_evento = 'CLIENTE_FUSIONADO' RETURNING 1) SELECT count(*) = 1 FROM d;
