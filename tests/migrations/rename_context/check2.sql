SELECT count(*) = 2 FROM comercial.clientes;
SELECT c.nombre = 'Ana' FROM marketplace.tutores t JOIN comercial.clientes c ON c.id = t.cliente_id;
SELECT to_regnamespace('ventas') IS NULL;
