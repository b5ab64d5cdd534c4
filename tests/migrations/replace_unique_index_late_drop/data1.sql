INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana', 'ana@example.com');
INSERT INTO ventas.clientes (nombre, email, deleted_at) VALUES ('Ana', 'ana@example.com', now());
