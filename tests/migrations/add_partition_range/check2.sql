SELECT count(*) = 1 FROM asistencia.accesos_2025_12;
SELECT count(*) = 2 FROM asistencia.accesos;
WITH i AS (INSERT INTO asistencia.accesos (alumno, fecha) VALUES ('eva', '2026-02-10') RETURNING tableoid::regclass::text AS t) SELECT t = 'asistencia.accesos_2026_02' FROM i;
WITH d AS (DELETE FROM asistencia.accesos WHERE alumno = 'eva' RETURNING 1) SELECT count(*) = 1 FROM d;
