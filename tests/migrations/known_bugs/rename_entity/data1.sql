INSERT INTO reservas.reservas (inicio) VALUES ('2025-11-20 10:00Z');
INSERT INTO reservas.reservas_clases (reserva_id, abierta_at) SELECT id, '2025-11-20 10:01Z' FROM reservas.reservas;
INSERT INTO reservas.reservas_clases_materiales (clase_id, titulo) SELECT id, 'Apuntes' FROM reservas.reservas_clases;
