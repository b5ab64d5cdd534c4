SELECT direccion_ciudad = 'Madrid' AND factura_calle IS NULL FROM ventas.clientes;
