SELECT estado = 'COBRADO' FROM pagos.pagos WHERE importe = 20;
SELECT array_to_string(enum_range(NULL::pagos.estado_pago), ',') = 'PENDIENTE,COBRADO,DEVUELTO';
