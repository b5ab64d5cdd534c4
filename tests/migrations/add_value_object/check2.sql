SELECT count(*) = 2 FROM ventas.clientes WHERE direccion_calle IS NULL;
WITH u AS (UPDATE ventas.clientes SET direccion_calle = 'Sol 1', direccion_ciudad = 'Madrid', direccion_pais = 'ES' WHERE nombre = 'Ana' RETURNING 1) SELECT count(*) = 1 FROM u;
