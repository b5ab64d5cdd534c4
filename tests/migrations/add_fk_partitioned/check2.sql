SELECT convalidated FROM pg_constraint WHERE conname = 'fk_accesos_cliente_id' AND conrelid = 'ventas.accesos'::regclass;
