INSERT INTO pagos.pagos (importe) VALUES (20);
