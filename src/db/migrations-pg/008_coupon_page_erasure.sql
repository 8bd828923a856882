-- The same as SQLite's 021_coupon_page_erasure.sql: erased page readings, and indexes to find a
-- customer's coupon pages.
ALTER TABLE coupon_pages ADD COLUMN erased_at TEXT;
CREATE INDEX coupon_pages_code ON coupon_pages(code);
CREATE INDEX mailing_letters_reply ON mailing_letters(reply_batch_id, reply_unit);
