SELECT count(*) = 0 FROM pg_class WHERE relname = 'idx_clientes_nombre';
SELECT count(*) = 1 FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relname = 'idx_clientes_nombre_email' AND x.indisvalid;
SELECT count(*) = 1 FROM ventas.clientes WHERE nombre = 'Ana';
