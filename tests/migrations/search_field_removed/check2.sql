SELECT count(*) = 1 FROM marketplace.tutores WHERE search_vector @@ to_tsquery('spanish', 'lucia | lucía');
SELECT count(*) = 0 FROM marketplace.tutores WHERE search_vector @@ to_tsquery('spanish', 'matematicas | matemáticas');
SELECT count(*) = 1 FROM pg_indexes WHERE indexname = 'idx_tutores_search_vector_gin';
