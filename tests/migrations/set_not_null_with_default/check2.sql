SELECT telefono = 'sin telefono' AND pais = 'ES' FROM ventas.clientes WHERE nombre = 'Ana';
SELECT telefono = '+34600333444' AND pais = 'MX' FROM ventas.clientes WHERE nombre = 'Luis';
