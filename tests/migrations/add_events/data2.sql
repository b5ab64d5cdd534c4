INSERT INTO ventas.clientes_eventos (cliente_id, tipo_evento, occurred_at, payload) SELECT id, 'CLIENTE_CREADO', '2025-11-05', '{}' FROM ventas.clientes;
