SELECT count(*) = 2 FROM ventas.pedidos p JOIN ventas.clientes c ON c.id = p.comprador_id;
