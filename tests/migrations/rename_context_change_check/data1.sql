INSERT INTO stock.items (code, quantity) VALUES ('A', 1), ('B', 2);
