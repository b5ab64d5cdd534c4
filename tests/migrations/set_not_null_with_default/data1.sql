INSERT INTO ventas.clientes (nombre, email, telefono, pais) VALUES ('Ana', 'ana@mitoga.es', NULL, NULL), ('Luis', 'luis@mitoga.es', '+34600333444', 'MX');
