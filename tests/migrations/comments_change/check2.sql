SELECT obj_description('ventas.clientes'::regclass, 'pg_class') = 'Cliente que compra clases y bonos (con ''comillas'').';
SELECT col_description('ventas.clientes'::regclass, 2) IS NULL;
