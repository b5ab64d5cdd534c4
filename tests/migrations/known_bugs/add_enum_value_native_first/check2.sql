SELECT array_to_string(enum_range(NULL::pagos.estado_pago), ',') = 'BORRADOR,PENDIENTE,PAGADO';
