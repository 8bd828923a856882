-- Full-text search on PostgreSQL (issue #13): the counterpart of SQLite's document_fts (003_search.sql).
--
-- Matching has to give the same hits as the embedded engine for the same query. FTS5 there uses
-- `unicode61 remove_diacritics 2`: words are runs of letters and digits, case and diacritics
-- folded, no stemming and no stop words. So the configuration here is `simple` (lower-casing, no
-- stemming, no stop words) behind `unaccent` (financiële = financiele), not the `dutch` or
-- `english` snowball configurations: documents mix Dutch and English (one stemmer per document
-- would need language detection), a stemmer changes what a prefix (`financ*`) and a phrase match,
-- and their stop lists would drop words such as "de", "het", "van" and "the" that users may put
-- in a phrase. The application hands in the text with every run of non-letters already turned
-- into one space (as FTS5's tokenizer splits), so "KL-000123" or "4.850,00" are the same words
-- in both engines rather than PostgreSQL's hyphenated words, numbers and versions.
-- `unaccent` is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION dossierlink (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION dossierlink
  ALTER MAPPING FOR asciiword, hword_asciipart, word, hword_part, numword, hword_numpart
  WITH unaccent, simple;
-- Snippets are cut from the text as stored (with its punctuation), which the parser reads as
-- hyphenated words: index only their parts, as FTS5 does, so "e-mail" marks "e" and "mail".
-- (Numbers joined by punctuation, "KL-000123" or "4.850,00", are found but read by the parser as
-- signed integers or decimals there, so a snippet may not mark them.)
ALTER TEXT SEARCH CONFIGURATION dossierlink DROP MAPPING FOR asciihword, hword, numhword;

-- One row per indexed document, keyed by its id. `title` and `body` are kept as indexed for the
-- highlighted snippets (ts_headline); `tsv` weighs the title A and the text B, so the ranking can
-- weigh a title hit 3x a text hit as bm25(document_fts, 3.0, 1.0) does in SQLite.
CREATE TABLE document_search (
  document_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
  title       TEXT NOT NULL,
  body        TEXT NOT NULL,
  tsv         tsvector NOT NULL
);
CREATE INDEX document_search_tsv ON document_search USING gin (tsv);

-- The weighted vector of a (normalised) title and text. In FTS5 they are two columns and a phrase
-- never runs from the title into the text; `||` numbers the text on from the title's last word,
-- so a placeholder lexeme ('-', never a word of normalised text) takes one position between them
-- and is deleted again: "factuur totaal" does not match title "… factuur" + text "totaal …".
-- A tsvector holds at most 1 MB; a text past that (a very long scan) is indexed by its first
-- 250,000 characters instead of failing the ingest transaction it is part of.
CREATE FUNCTION document_search_vector(title TEXT, body TEXT) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN ts_delete(setweight(to_tsvector('dossierlink', title), 'A') || '''-'':1'::tsvector || setweight(to_tsvector('dossierlink', body), 'B'), '-');
EXCEPTION WHEN program_limit_exceeded THEN
  RETURN ts_delete(setweight(to_tsvector('dossierlink', left(title, 10000)), 'A') || '''-'':1'::tsvector || setweight(to_tsvector('dossierlink', left(body, 250000)), 'B'), '-');
END
$$;
