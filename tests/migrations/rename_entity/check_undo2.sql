SELECT titulo = 'Apuntes' FROM reservas.reservas_clases_materiales m JOIN reservas.reservas_clases c ON c.id = m.clase_id;
