SELECT count(*) = 2 FROM pg_constraint WHERE conname IN ('uq_clientes_dni', 'uq_clientes_nombre_dni') AND contype = 'u';
