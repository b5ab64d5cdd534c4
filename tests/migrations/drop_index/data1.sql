INSERT INTO ventas.clientes (nombre, email, ciudad) VALUES ('Ana', 'ana@mitoga.es', 'Madrid'), ('Luis', 'luis@mitoga.es', 'Lima');
