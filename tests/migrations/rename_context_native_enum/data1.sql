INSERT INTO pagos.pagos (importe, estado) VALUES (20, 'PAGADO');
