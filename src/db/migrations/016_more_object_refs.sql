-- The object sweep asks per hash whether any row still refers to it; thumbnails are one more such column.
CREATE INDEX IF NOT EXISTS document_thumbnails_sha256_idx ON document_thumbnails (sha256);
-- Stored e-mail messages (.eml) are kept alive by their row too.
CREATE INDEX IF NOT EXISTS mail_messages_eml_idx ON mail_messages (eml_sha256);
