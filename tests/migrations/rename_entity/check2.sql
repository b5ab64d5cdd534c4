SELECT titulo = 'Apuntes' FROM reservas.reservas_sesiones_materiales m JOIN reservas.reservas_sesiones s ON s.id = m.sesion_id;
