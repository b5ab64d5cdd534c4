INSERT INTO ventas.clientes (nombre, email, biografia, visitas, precio) VALUES ('Ana', 'ana@mitoga.es', 'Profesora de física', 2147483000, 123456.78);
