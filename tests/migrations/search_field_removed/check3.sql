SELECT format_type(atttypid, atttypmod) = 'character varying(200)' FROM pg_attribute WHERE attrelid = 'marketplace.tutores'::regclass AND attname = 'nombre';
SELECT count(*) = 1 FROM marketplace.tutores WHERE search_vector @@ to_tsquery('spanish', 'lucia | lucía');
