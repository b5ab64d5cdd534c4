SELECT count(*) = 2 FROM asistencia.accesos_eventos;
SELECT count(*) = 1 FROM asistencia.accesos_eventos_default;
SELECT to_regclass('asistencia.accesos_eventos_2025_12') IS NULL;
