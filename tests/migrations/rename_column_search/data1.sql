INSERT INTO ventas.clientes (nombre, email, biografia) VALUES ('Ana', 'ana@mitoga.es', 'Profesora de física');
