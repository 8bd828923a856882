-- Barcodes in every intake (issue 18): a stack split by separator/cover sheets, labelled paper
-- and reply coupons. One row per part, written in the same transaction as the part's effect
-- (document, digitised paper, coupon batch), so a re-run after a crash skips what was done.
CREATE TABLE intake_split_parts (
  document_id TEXT NOT NULL,                  -- the document the stack was taken in as
  part_no     INTEGER NOT NULL,               -- 1-based, stack order
  kind        TEXT NOT NULL CHECK (kind IN ('document','paper','coupon','duplicate')),
  pages       TEXT NOT NULL,                  -- JSON array of stack page numbers
  result      TEXT NOT NULL,                  -- JSON: documentId / batchId / duplicateOf, sheet, notes
  created_at  TEXT NOT NULL,
  PRIMARY KEY (document_id, part_no)
);

-- A stack once it is split: the stack's hash answers a second upload of the same file.
CREATE TABLE intake_splits (
  document_id  TEXT PRIMARY KEY,              -- kept as the first part, or removed when no page stayed in it
  stack_sha256 TEXT NOT NULL,
  stack_mime   TEXT NOT NULL,
  page_count   INTEGER NOT NULL,
  sheets       INTEGER NOT NULL,              -- separator and cover sheets dropped
  parts        TEXT NOT NULL,                 -- JSON summary of intake_split_parts
  created_at   TEXT NOT NULL
);
CREATE INDEX intake_splits_sha ON intake_splits(stack_sha256);

-- E-mail intake: one row per message, keyed by its Message-ID, so a restart takes nothing twice.
CREATE TABLE mail_messages (
  id          TEXT PRIMARY KEY,               -- sha256 of the Message-ID (of the whole message when it has none)
  message_id  TEXT,
  mailbox     TEXT NOT NULL,
  uid         INTEGER,
  sender      TEXT,
  subject     TEXT,
  eml_sha256  TEXT NOT NULL,                  -- the message as received (.eml), by content hash
  eml_size    INTEGER NOT NULL,
  customer_id TEXT,                           -- linked by the sender's address or domain
  status      TEXT NOT NULL CHECK (status IN ('queued','done','failed')),
  job_id      TEXT,
  error       TEXT,
  skipped     TEXT NOT NULL DEFAULT '[]',     -- JSON [{name, reason}]: attachments not taken
  received_at TEXT,
  marked_at   TEXT,                           -- when it was flagged or moved on the server
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX mail_messages_status ON mail_messages(status);

CREATE TABLE mail_message_documents (
  message_id  TEXT NOT NULL REFERENCES mail_messages(id),
  document_id TEXT NOT NULL,
  name        TEXT,
  duplicate   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (message_id, document_id)
);
CREATE INDEX mail_message_documents_doc ON mail_message_documents(document_id);
