SELECT situacion = 'BAJA' AND documento = '1Z' FROM ventas.clientes;
