-- The same as SQLite's 022_coupon_batch_redaction.sql: a returned stack's erased pages replaced
-- by placeholders in its stored file, the upload's hash kept to refuse it again as a duplicate.
ALTER TABLE coupon_batch_files ADD COLUMN original_sha256 TEXT;
CREATE INDEX coupon_batch_files_original ON coupon_batch_files(original_sha256);
ALTER TABLE coupon_pages ADD COLUMN redacted_at TEXT;
CREATE INDEX coupon_pages_to_redact ON coupon_pages(batch_id, file_no) WHERE erased_at IS NOT NULL AND redacted_at IS NULL;
