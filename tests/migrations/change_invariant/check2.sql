SELECT pg_get_constraintdef(oid) LIKE '%100%' FROM pg_constraint WHERE conname = 'clientes_horas_validas';
