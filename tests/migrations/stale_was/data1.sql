INSERT INTO ventas.clientes (nombre, email, telefono) VALUES ('Ana', 'ana@mitoga.es', '+34600111222');
