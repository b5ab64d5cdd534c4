SELECT array_to_string(enum_range(NULL::pagos.estado_pago), ',') = 'PENDIENTE,EN_REVISION,PAGADO,DEVUELTO';
WITH i AS (INSERT INTO pagos.pagos (importe) VALUES (5) RETURNING estado) SELECT estado = 'EN_REVISION' FROM i;
WITH d AS (DELETE FROM pagos.pagos WHERE importe = 5 RETURNING 1) SELECT count(*) = 1 FROM d;
