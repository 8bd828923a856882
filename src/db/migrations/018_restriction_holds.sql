-- GDPR art. 18: a reply coupon or mailing letter of a restricted customer is stored, not processed.
--
-- A returned coupon of a restricted customer is held in the coupon review queue (reason
-- 'restricted', page outcome 'restricted') instead of setting the customer's status, until
-- compliance applies or discards it. A coupon held from a keyboard-wedge scan has no batch, page
-- image or scanned original (the paper is kept by the mailroom), so those columns may be NULL now.
-- SQLite cannot change a CHECK or NOT NULL in place: both tables are rebuilt, rows kept as they are.
CREATE TABLE coupon_reviews_v18 (
  id          TEXT PRIMARY KEY,
  batch_id    TEXT REFERENCES coupon_batches(id),  -- NULL: held from a single scan
  unit        INTEGER NOT NULL,              -- first page of the unit (0 for a single scan)
  pages       TEXT NOT NULL,                 -- JSON array of batch page numbers
  reason      TEXT NOT NULL CHECK (reason IN ('unreadable','unknown','duplicate','invalid','multiple','restricted')),
  code        TEXT,                          -- what was read, if anything
  answer      TEXT,
  hint_customer_id TEXT,                     -- from a separator sheet, if one preceded the pages
  image_sha256 TEXT,                         -- PNG of the first page, for the reviewer (NULL: single scan)
  original_sha256 TEXT,                      -- the pages as kept (PDF or the uploaded image; NULL: single scan)
  original_mime TEXT,
  original_size INTEGER,
  status      TEXT NOT NULL CHECK (status IN ('open','resolved','discarded')),
  resolution  TEXT,                          -- JSON: what was decided
  resolved_by TEXT,
  resolved_at TEXT,
  created_at  TEXT NOT NULL,
  UNIQUE (batch_id, unit)
);
INSERT INTO coupon_reviews_v18 (id, batch_id, unit, pages, reason, code, answer, hint_customer_id, image_sha256, original_sha256, original_mime,
    original_size, status, resolution, resolved_by, resolved_at, created_at)
  SELECT id, batch_id, unit, pages, reason, code, answer, hint_customer_id, image_sha256, original_sha256, original_mime,
    original_size, status, resolution, resolved_by, resolved_at, created_at
  FROM coupon_reviews;
DROP TABLE coupon_reviews;
ALTER TABLE coupon_reviews_v18 RENAME TO coupon_reviews;
CREATE INDEX coupon_reviews_open ON coupon_reviews(status, created_at);
CREATE INDEX coupon_reviews_image_sha ON coupon_reviews(image_sha256);
CREATE INDEX coupon_reviews_original_sha ON coupon_reviews(original_sha256);
-- Held single scans of one letter: a second scan of the same coupon finds the open hold.
CREATE INDEX coupon_reviews_code ON coupon_reviews(code) WHERE status = 'open';

CREATE TABLE coupon_pages_v18 (
  batch_id    TEXT NOT NULL REFERENCES coupon_batches(id),
  page_no     INTEGER NOT NULL,              -- 1-based over the whole batch
  file_no     INTEGER NOT NULL,
  file_page   INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('letter','separator','other','invalid','multiple','none')),
  code        TEXT,                          -- what was decoded (also when invalid or unknown)
  answer      TEXT,
  ticks       TEXT,                          -- JSON ink density per tick box, for tuning
  unit        INTEGER,                       -- first page of the unit it belongs to (pass 2)
  outcome     TEXT CHECK (outcome IN ('received','duplicate','unknown','unreadable','invalid','separator','attached','restricted')),
  PRIMARY KEY (batch_id, page_no)
);
INSERT INTO coupon_pages_v18 (batch_id, page_no, file_no, file_page, kind, code, answer, ticks, unit, outcome)
  SELECT batch_id, page_no, file_no, file_page, kind, code, answer, ticks, unit, outcome FROM coupon_pages;
DROP TABLE coupon_pages;
ALTER TABLE coupon_pages_v18 RENAME TO coupon_pages;

-- A letter whose addressee was restricted when its mailing was marked as sent: not sent, no
-- `letter-sent` status; the mailing counts it as withheld.
ALTER TABLE mailing_letters ADD COLUMN withheld_at TEXT;
