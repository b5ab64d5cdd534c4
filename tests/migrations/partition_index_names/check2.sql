SELECT count(*) = 1 FROM pg_indexes WHERE schemaname = 'sales' AND indexname = 'uq_daily_sales_pe_country_day';
SELECT count(*) = 1 FROM pg_indexes WHERE schemaname = 'sales' AND indexname = 'idx_daily_sales_es_day_amount';
SELECT count(*) = 0 FROM pg_indexes WHERE schemaname = 'sales' AND indexname LIKE '%\_idx' OR indexname LIKE '%\_idx1';
