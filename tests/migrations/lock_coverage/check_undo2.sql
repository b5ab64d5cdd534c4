SELECT to_regclass('sales.sales_ar') IS NULL;
