SELECT nombre = 'Ana' FROM ventas.clientes WHERE email = 'ana@mitoga.es';
