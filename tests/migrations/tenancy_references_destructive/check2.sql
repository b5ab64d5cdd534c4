SELECT count(*) = 2 FROM pg_constraint WHERE contype = 'f' AND convalidated AND array_length(conkey, 1) = 2 AND connamespace = 'sales'::regnamespace;
