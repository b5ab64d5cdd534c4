INSERT INTO marketplace.tutores (nombre, biografia) VALUES ('Lucía Pérez', 'Profesora de matemáticas');
