SELECT count(*) = 1 FROM asistencia.accesos_eventos_2025_12;
SELECT count(*) = 0 FROM asistencia.accesos_eventos_default;
SELECT count(*) = 2 FROM asistencia.accesos_eventos;
