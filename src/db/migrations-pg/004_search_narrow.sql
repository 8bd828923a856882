-- Search on PostgreSQL ranks every match with ts_rank, which reads each matching document's
-- tsvector (issue #15). In 002 the vector shared its row with the title and the text: a row of
-- ~5 KB, so PostgreSQL moved the ~2.5 KB vector out of line into the TOAST table, and every match
-- was fetched chunk by chunk through the TOAST index twice (once to check the match, once to rank
-- it): ~8 buffer reads per match, 1.6 s for a prefix matching 92% of 100k documents.
--
-- Now the vector lives alone in a narrow table, stored in the row itself: STORAGE MAIN with a
-- toast_tuple_target of a whole page keeps a vector of up to ~8 KB inline and uncompressed (read
-- with no TOAST lookup and no decompression); only a longer one is compressed, and moved out of
-- line only if it still does not fit. The title and text, read for the snippets of one page of
-- hits only, move to document_search_text. Matching, ranking and snippets are unchanged: the same
-- vectors (copied as they are), the same text, the same functions.
--
-- An existing database is rebuilt in place: the old table is renamed, both new tables are filled
-- from it and it is dropped, so the space of the old out-of-line vectors is given back at once.
ALTER TABLE document_search RENAME TO document_search_002;
ALTER INDEX document_search_pkey RENAME TO document_search_002_pkey;
ALTER INDEX document_search_tsv RENAME TO document_search_002_tsv;

CREATE TABLE document_search (
  document_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
  tsv         tsvector NOT NULL
) WITH (toast_tuple_target = 8160);
ALTER TABLE document_search ALTER COLUMN tsv SET STORAGE MAIN;

-- Removing a document's index entry (a delete from document_search) removes its text too.
CREATE TABLE document_search_text (
  document_id TEXT PRIMARY KEY REFERENCES document_search(document_id) ON DELETE CASCADE,
  title       TEXT NOT NULL,
  body        TEXT NOT NULL
);

INSERT INTO document_search (document_id, tsv) SELECT document_id, tsv FROM document_search_002;
INSERT INTO document_search_text (document_id, title, body) SELECT document_id, title, body FROM document_search_002;
DROP TABLE document_search_002;

-- Built after the fill (one sorted build instead of 100k insertions into the pending list).
CREATE INDEX document_search_tsv ON document_search USING gin (tsv);
ANALYZE document_search;
ANALYZE document_search_text;
