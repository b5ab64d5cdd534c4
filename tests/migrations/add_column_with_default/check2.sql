SELECT bool_and(activo AND pais = 'ES' AND saldo_horas = 0) FROM ventas.clientes;
SELECT count(*) = 2 FROM ventas.clientes;
