WITH u AS (UPDATE ventas.clientes SET nombre = 'Ana María' WHERE nombre = 'Ana' RETURNING 1) SELECT count(*) = 1 FROM u;
