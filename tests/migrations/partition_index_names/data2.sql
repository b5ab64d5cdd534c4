INSERT INTO sales.daily_sales (country, day, amount) VALUES ('ES', '2025-11-01', 10);
DO $$ BEGIN INSERT INTO sales.daily_sales (country, day, amount) VALUES ('ES', '2025-11-01', 20); RAISE EXCEPTION 'duplicate accepted'; EXCEPTION WHEN unique_violation THEN IF SQLERRM NOT LIKE '%uq_daily_sales_es_country_day%' THEN RAISE EXCEPTION 'unexpected name: %', SQLERRM; END IF; END $$;
