INSERT INTO sales.sales (country, reference) VALUES ('AR', 'C-3');
INSERT INTO sales.tickets (subject) VALUES ('third');
