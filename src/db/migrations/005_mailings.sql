-- Numbered mailings: every letter gets its own barcode (M kind) before it is sent, so the
-- returned reply coupon identifies mailing and customer by itself.
CREATE TABLE mailings (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  template    TEXT NOT NULL,                 -- id of templates/letters/<id>.json
  selection   TEXT NOT NULL DEFAULT '{}',    -- JSON: the customerIds or filter it was made from
  letter_count INTEGER NOT NULL,
  created_by  TEXT,
  created_at  TEXT NOT NULL,
  sent_at     TEXT,                          -- set once by "mark as sent"
  sent_by     TEXT
);

CREATE TABLE mailing_letters (
  barcode     TEXT PRIMARY KEY,              -- M + 9 digits + Damm check digit
  mailing_id  TEXT NOT NULL REFERENCES mailings(id),
  seq         INTEGER NOT NULL,              -- 1..letter_count: the letter's number within the mailing
  customer_id TEXT NOT NULL REFERENCES customers(id),
  replied_at  TEXT,
  answer      TEXT,                          -- answer id from the template, or NULL when not readable
  reply_via   TEXT CHECK (reply_via IN ('batch','scan','review')),
  reply_document_id TEXT REFERENCES documents(id),
  reply_batch_id TEXT,                       -- with reply_unit: makes a re-run of a batch job idempotent
  reply_unit  INTEGER,
  UNIQUE (mailing_id, seq),
  UNIQUE (mailing_id, customer_id)
);
CREATE INDEX mailing_letters_customer ON mailing_letters(customer_id);

-- A stack of returned coupons scanned by the mailroom: one or more files, processed by a job.
CREATE TABLE coupon_batches (
  id          TEXT PRIMARY KEY,
  status      TEXT NOT NULL CHECK (status IN ('queued','processing','done','failed')),
  page_count  INTEGER NOT NULL,
  job_id      TEXT,
  summary     TEXT NOT NULL DEFAULT '{}',    -- JSON counts per outcome once done
  created_by  TEXT,
  created_at  TEXT NOT NULL,
  finished_at TEXT
);

CREATE TABLE coupon_batch_files (
  batch_id    TEXT NOT NULL REFERENCES coupon_batches(id),
  file_no     INTEGER NOT NULL,              -- 1-based, upload order
  sha256      TEXT NOT NULL,                 -- the upload, stored by content hash
  mime        TEXT NOT NULL,
  name        TEXT,
  size        INTEGER NOT NULL,
  page_count  INTEGER NOT NULL,
  PRIMARY KEY (batch_id, file_no)
);
CREATE INDEX coupon_batch_files_sha ON coupon_batch_files(sha256);

-- What the job read on every page (pass 1), then what became of it (pass 2: outcome).
CREATE TABLE coupon_pages (
  batch_id    TEXT NOT NULL REFERENCES coupon_batches(id),
  page_no     INTEGER NOT NULL,              -- 1-based over the whole batch
  file_no     INTEGER NOT NULL,
  file_page   INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('letter','separator','other','invalid','multiple','none')),
  code        TEXT,                          -- what was decoded (also when invalid or unknown)
  answer      TEXT,
  ticks       TEXT,                          -- JSON ink density per tick box, for tuning
  unit        INTEGER,                       -- first page of the unit it belongs to (pass 2)
  outcome     TEXT CHECK (outcome IN ('received','duplicate','unknown','unreadable','invalid','separator','attached')),
  PRIMARY KEY (batch_id, page_no)
);

-- Pages that could not be matched to an open letter: a person decides. Never dropped silently.
CREATE TABLE coupon_reviews (
  id          TEXT PRIMARY KEY,
  batch_id    TEXT NOT NULL REFERENCES coupon_batches(id),
  unit        INTEGER NOT NULL,              -- first page of the unit
  pages       TEXT NOT NULL,                 -- JSON array of batch page numbers
  reason      TEXT NOT NULL CHECK (reason IN ('unreadable','unknown','duplicate','invalid','multiple')),
  code        TEXT,                          -- what was read, if anything
  answer      TEXT,
  hint_customer_id TEXT,                     -- from a separator sheet, if one preceded the pages
  image_sha256 TEXT NOT NULL,                -- PNG of the first page, for the reviewer
  original_sha256 TEXT NOT NULL,             -- the pages as kept (PDF or the uploaded image)
  original_mime TEXT NOT NULL,
  original_size INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('open','resolved','discarded')),
  resolution  TEXT,                          -- JSON: what was decided
  resolved_by TEXT,
  resolved_at TEXT,
  created_at  TEXT NOT NULL,
  UNIQUE (batch_id, unit)
);
CREATE INDEX coupon_reviews_open ON coupon_reviews(status, created_at);

-- Separator and cover sheets: an S code that splits a batch scan, optionally naming the
-- customer and document type of the pages that follow it.
CREATE TABLE separator_sheets (
  barcode     TEXT PRIMARY KEY,
  customer_id TEXT REFERENCES customers(id),
  type        TEXT,
  created_by  TEXT,
  created_at  TEXT NOT NULL
);
