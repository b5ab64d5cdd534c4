SELECT estado = 'BAJA' FROM ventas.clientes WHERE nombre = 'Luis';
