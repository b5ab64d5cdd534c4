SELECT count(*) = 2 FROM ventas.clientes;
SELECT NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'ventas' AND table_name = 'clientes' AND column_name = 'telefono');
