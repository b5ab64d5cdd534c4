SELECT NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'articles_enough' AND pg_get_constraintdef(oid) NOT LIKE '%>= 1%');
SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'articles_enough');
SELECT to_regclass('inventory.uq_articles_code') IS NULL;
