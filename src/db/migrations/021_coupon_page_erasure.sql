-- GDPR art. 17: erasure blanks a page's readings (code, answer, tick densities) and marks the row
-- erased instead of deleting it, so the batch still lists every page and a re-run of the coupons
-- job never reads the page again from the batch's file.
ALTER TABLE coupon_pages ADD COLUMN erased_at TEXT;
-- Finding a customer's pages for subject access and erasure: by the code read, and by the letter
-- whose reply a unit of pages became.
CREATE INDEX coupon_pages_code ON coupon_pages(code);
CREATE INDEX mailing_letters_reply ON mailing_letters(reply_batch_id, reply_unit);
