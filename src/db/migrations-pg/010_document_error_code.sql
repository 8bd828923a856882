-- The same as SQLite's 023_document_error_code.sql: why a document failed, as a code and its parameters.
ALTER TABLE documents ADD COLUMN error_code TEXT;
ALTER TABLE documents ADD COLUMN error_details TEXT;
