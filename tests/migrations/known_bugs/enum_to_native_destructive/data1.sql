INSERT INTO ventas.clientes (nombre, canal) VALUES ('Ana', 'APP');
