-- SQLite 018: a reply coupon or mailing letter of a restricted customer (GDPR art. 18) is stored,
-- not processed. Held coupons wait in the review queue with reason 'restricted' (page outcome
-- 'restricted'); one held from a single scan has no batch, image or scanned original. A letter
-- whose addressee was restricted when its mailing was marked as sent is withheld.
ALTER TABLE coupon_reviews DROP CONSTRAINT coupon_reviews_reason_check;
ALTER TABLE coupon_reviews ADD CONSTRAINT coupon_reviews_reason_check
  CHECK (reason IN ('unreadable','unknown','duplicate','invalid','multiple','restricted'));
ALTER TABLE coupon_reviews ALTER COLUMN batch_id DROP NOT NULL;
ALTER TABLE coupon_reviews ALTER COLUMN image_sha256 DROP NOT NULL;
ALTER TABLE coupon_reviews ALTER COLUMN original_sha256 DROP NOT NULL;
ALTER TABLE coupon_reviews ALTER COLUMN original_mime DROP NOT NULL;
ALTER TABLE coupon_reviews ALTER COLUMN original_size DROP NOT NULL;
CREATE INDEX coupon_reviews_code ON coupon_reviews(code) WHERE status = 'open';

ALTER TABLE coupon_pages DROP CONSTRAINT coupon_pages_outcome_check;
ALTER TABLE coupon_pages ADD CONSTRAINT coupon_pages_outcome_check
  CHECK (outcome IN ('received','duplicate','unknown','unreadable','invalid','separator','attached','restricted'));

ALTER TABLE mailing_letters ADD COLUMN withheld_at TEXT;
