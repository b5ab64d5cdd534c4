SELECT count(*) = 1 FROM ventas.reservas;
SELECT count(*) = 1 FROM ventas.reservas_notas n JOIN ventas.reservas r ON r.id = n.reserva_id;
SELECT count(*) = 1 FROM ventas.reservas_eventos_2025_11;
SELECT to_regclass('ventas.citas') IS NULL;
