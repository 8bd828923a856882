-- GDPR art. 17 over a returned stack's scan: erasure replaces the customer's pages in the stored
-- batch file by placeholder pages (a new object; the upload, which holds other customers' pages
-- too, is deleted once nothing else refers to its bytes). `original_sha256` keeps the upload's
-- hash so the same stack uploaded again is still refused as a duplicate; `redacted_at` marks a
-- page whose image is gone from the file (an erased page without it is still to be redacted).
ALTER TABLE coupon_batch_files ADD COLUMN original_sha256 TEXT;
CREATE INDEX coupon_batch_files_original ON coupon_batch_files(original_sha256);
ALTER TABLE coupon_pages ADD COLUMN redacted_at TEXT;
CREATE INDEX coupon_pages_to_redact ON coupon_pages(batch_id, file_no) WHERE erased_at IS NOT NULL AND redacted_at IS NULL;
