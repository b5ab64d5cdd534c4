SELECT canal = 'APP'::ventas.canal FROM ventas.clientes;
