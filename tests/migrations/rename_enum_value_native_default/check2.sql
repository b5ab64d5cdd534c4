SELECT estado = 'COBRADO' FROM pagos.pagos;
WITH i AS (INSERT INTO pagos.pagos (importe) VALUES (5) RETURNING estado) SELECT estado = 'COBRADO' FROM i;
WITH d AS (DELETE FROM pagos.pagos WHERE importe = 5 RETURNING 1) SELECT count(*) = 1 FROM d;
