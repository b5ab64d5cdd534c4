SELECT estado = 'BAJO' FROM ventas.clientes WHERE nombre = 'Luis';
