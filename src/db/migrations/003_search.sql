-- Full-text index: one row per document (rowid = documents.rowid), diacritics folded so
-- "financiele" finds "financiële". Title and text are separate columns so a title hit can weigh more.
-- Prefix indexes for 2- and 3-letter prefixes keep short "fa*" queries from walking every term.
CREATE VIRTUAL TABLE document_fts USING fts5(
  title,
  text,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);

-- Near-duplicate detection: a MinHash signature of the text's words, compared by estimated Jaccard similarity.
ALTER TABLE documents ADD COLUMN text_minhash TEXT;
ALTER TABLE documents ADD COLUMN near_duplicate_of TEXT REFERENCES documents(id);
