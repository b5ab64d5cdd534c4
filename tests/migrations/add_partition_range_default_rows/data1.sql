INSERT INTO asistencia.accesos (alumno, fecha) VALUES ('ana', '2025-11-03'), ('luis', '2025-12-24');
INSERT INTO asistencia.accesos_eventos (acceso_id, tipo_evento, occurred_at, payload) SELECT id, 'ACCESO_REGISTRADO', fecha, '{}' FROM asistencia.accesos;
