-- The object sweep asks per hash whether any row still refers to it; thumbnails are one more such column.
CREATE INDEX IF NOT EXISTS document_thumbnails_sha256_idx ON document_thumbnails (sha256);
