INSERT INTO ventas.clientes (nombre, email, horas) VALUES ('Ana', 'ana@mitoga.es', 1);
