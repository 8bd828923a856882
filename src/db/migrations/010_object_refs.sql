-- The object sweep (issue 14) asks, for each object it is about to remove, whether any row still
-- refers to it; these are the columns without an index of their own.
CREATE INDEX IF NOT EXISTS documents_archive_sha ON documents(archive_sha256);
CREATE INDEX IF NOT EXISTS coupon_reviews_image_sha ON coupon_reviews(image_sha256);
CREATE INDEX IF NOT EXISTS coupon_reviews_original_sha ON coupon_reviews(original_sha256);
CREATE INDEX IF NOT EXISTS customer_imports_file_sha ON customer_imports(file_sha256);
