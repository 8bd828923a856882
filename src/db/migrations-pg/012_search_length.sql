-- Ranking reads each match's length (issue #15). ts_rank with normalisation 1 divides a match's
-- rank by log2(1 + its length in words), and counts that length by walking every lexeme of the
-- vector for every match: a third of the time of ranking two common words at 100k documents.
-- The count is stored beside the vector instead, computed from it by PostgreSQL itself whenever
-- the vector is written (a generated column, so every writer keeps it right), and search divides
-- ts_rank(…, 0) by it exactly as ts_rank does (search-pg.ts: RANK). Scores, order and totals stay
-- bit for bit what they were (test/postgres/search-pg-upgrade.test.ts checks every match).
--
-- cnt_length() in PostgreSQL's tsrank.c: each lexeme counts its positions, one without positions counts 1.
CREATE FUNCTION document_search_words(v tsvector) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT COALESCE(SUM(GREATEST(cardinality(positions), 1)), 0)::integer FROM unnest(v)
$$;

-- Adding a stored generated column rewrites the table once, computing it for every existing entry.
ALTER TABLE document_search ADD COLUMN words INTEGER NOT NULL GENERATED ALWAYS AS (document_search_words(tsv)) STORED;
ANALYZE document_search;
