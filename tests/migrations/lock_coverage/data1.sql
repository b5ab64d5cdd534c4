INSERT INTO sales.sales (country, reference) VALUES ('ES', 'A-1'), ('MX', 'B-2');
INSERT INTO sales.tickets (id, subject) VALUES (1, 'first'), (7, 'second');
