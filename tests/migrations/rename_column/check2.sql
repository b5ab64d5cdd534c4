SELECT nombre_completo = 'Ana' AND correo = 'ana@mitoga.es' FROM ventas.clientes WHERE correo = 'ana@mitoga.es';
SELECT count(*) = 2 FROM ventas.clientes;
