-- Full-text index: one row per document (rowid = documents.rowid), diacritics folded so
-- "financiele" finds "financiële". Title and text are separate columns so a title hit can weigh more.
CREATE VIRTUAL TABLE document_fts USING fts5(
  title,
  text,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- Near-duplicate detection: a 64-bit SimHash of the text (hex), compared by Hamming distance.
ALTER TABLE documents ADD COLUMN text_simhash TEXT;
ALTER TABLE documents ADD COLUMN near_duplicate_of TEXT REFERENCES documents(id);
CREATE INDEX documents_simhash_customer ON documents(customer_id, text_simhash) WHERE text_simhash IS NOT NULL;
