SELECT estado = 'PAGADO'::cobros.estado_pago FROM cobros.pagos;
