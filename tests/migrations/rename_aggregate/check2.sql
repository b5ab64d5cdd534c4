SELECT count(*) = 1 FROM ventas.reservas;
SELECT n.texto = 'Repasar derivadas' FROM ventas.reservas_notas n JOIN ventas.reservas r ON r.id = n.reserva_id;
SELECT to_regclass('ventas.citas') IS NULL;
