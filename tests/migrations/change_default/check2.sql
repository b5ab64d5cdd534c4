SELECT pais = 'ES' AND activo FROM ventas.clientes WHERE nombre = 'Ana';
WITH i AS (INSERT INTO ventas.clientes (nombre, email, activo) VALUES ('Eva', 'eva@mitoga.es', false) RETURNING pais, horas) SELECT pais = 'MX' AND horas = 0 FROM i;
