SELECT (SELECT count(*) FROM sales.sales_ar) = 0;
SELECT (SELECT max(id) FROM sales.tickets) = 7;
