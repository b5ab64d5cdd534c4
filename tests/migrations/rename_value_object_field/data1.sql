INSERT INTO ventas.clientes (nombre, email, domicilio_calle, domicilio_ciudad, domicilio_pais) VALUES ('Ana', 'ana@mitoga.es', 'Gran Vía 1', 'Madrid', 'ES');
