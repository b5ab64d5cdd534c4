SELECT estado = 'INACTIVO' FROM ventas.clientes WHERE nombre = 'Luis';
SELECT count(*) = 0 FROM ventas.clientes WHERE estado = 'BAJA';
