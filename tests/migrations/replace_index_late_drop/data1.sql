INSERT INTO ventas.clientes (nombre, email) VALUES ('Ana', 'ana@example.com');
