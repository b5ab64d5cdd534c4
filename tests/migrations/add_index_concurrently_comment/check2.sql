SELECT obj_description('ventas.idx_clientes_nombre'::regclass, 'pg_class') = 'Búsqueda por nombre.';
