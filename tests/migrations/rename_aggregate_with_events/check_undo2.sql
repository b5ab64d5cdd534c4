SELECT count(*) = 1 FROM ventas.citas_notas n JOIN ventas.citas c ON c.id = n.cita_id;
