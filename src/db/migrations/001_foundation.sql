-- Customers: the CRM is leading; this is the mirror Dossierlink links documents to.
CREATE TABLE customers (
  id          TEXT PRIMARY KEY,              -- CRM customer number, e.g. KL-000123
  name        TEXT NOT NULL,
  kvk         TEXT,                          -- chamber of commerce number
  email       TEXT,
  address     TEXT,
  postcode    TEXT,
  city        TEXT,
  attributes  TEXT NOT NULL DEFAULT '{}',    -- other CRM fields, JSON object
  restricted  INTEGER NOT NULL DEFAULT 0,    -- GDPR art. 18 restriction of processing
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX customers_kvk ON customers(kvk);
CREATE INDEX customers_postcode ON customers(postcode);

CREATE TABLE users (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  roles       TEXT NOT NULL,                 -- JSON array of role names
  token_hash  TEXT NOT NULL UNIQUE,          -- sha256 of the bearer token; the token itself is never stored
  created_at  TEXT NOT NULL,
  disabled_at TEXT
);

-- Physical places for paper: site > room > cabinet/rack > shelf > box/folder.
CREATE TABLE locations (
  id          TEXT PRIMARY KEY,
  barcode     TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL CHECK (kind IN ('site','room','cabinet','rack','shelf','box','folder')),
  name        TEXT NOT NULL,
  parent_id   TEXT REFERENCES locations(id),
  created_at  TEXT NOT NULL
);
CREATE INDEX locations_parent ON locations(parent_id);

CREATE TABLE documents (
  id              TEXT PRIMARY KEY,
  customer_id     TEXT REFERENCES customers(id),
  type            TEXT NOT NULL,
  class           TEXT NOT NULL CHECK (class IN ('dynamic','static')),
  status          TEXT NOT NULL CHECK (status IN ('queued','processing','ready','needs_review','failed')),
  barcode         TEXT UNIQUE,
  title           TEXT NOT NULL,
  doc_date        TEXT,
  fields          TEXT NOT NULL DEFAULT '{}',   -- key points, JSON object
  classification  TEXT NOT NULL,                -- JSON {by, confidence, trace}
  -- where static paper is now: a location, or checked out to a user
  location_id     TEXT REFERENCES locations(id),
  holder_user_id  TEXT REFERENCES users(id),
  due_back_on     TEXT,
  -- the untouched original and the derived archive copy, both by content hash
  original_sha256 TEXT,
  original_mime   TEXT,
  original_name   TEXT,
  original_size   INTEGER,
  archive_sha256  TEXT,
  page_count      INTEGER,
  error           TEXT,
  -- retention (privacy law): filled from the schedule for the type, recomputed when trigger data changes
  retention_legal_basis TEXT NOT NULL,
  retention_trigger     TEXT NOT NULL,
  retention_starts_on   TEXT,
  retention_period      TEXT NOT NULL,          -- ISO 8601 duration, e.g. P7Y
  retention_ends_on     TEXT,
  retention_disposition TEXT NOT NULL CHECK (retention_disposition IN ('destroy','review','transfer')),
  source          TEXT NOT NULL,                -- upload | paper | inbox | coupon | demo
  created_by      TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  destroyed_at    TEXT
);
CREATE INDEX documents_customer ON documents(customer_id, doc_date);
CREATE INDEX documents_sha ON documents(original_sha256);
CREATE INDEX documents_ends ON documents(retention_ends_on);
CREATE INDEX documents_status ON documents(status);

-- Text per page, with where it came from and how sure OCR was.
CREATE TABLE document_pages (
  document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  page_no     INTEGER NOT NULL,
  text        TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('text-layer','ocr','manual')),
  confidence  REAL,
  PRIMARY KEY (document_id, page_no)
);

CREATE TABLE legal_holds (
  id          TEXT PRIMARY KEY,
  reason      TEXT NOT NULL,
  customer_id TEXT REFERENCES customers(id),
  document_id TEXT REFERENCES documents(id),
  placed_by   TEXT NOT NULL,
  placed_at   TEXT NOT NULL,
  released_by TEXT,
  released_at TEXT,
  CHECK (customer_id IS NOT NULL OR document_id IS NOT NULL)
);
CREATE INDEX legal_holds_customer ON legal_holds(customer_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_document ON legal_holds(document_id) WHERE released_at IS NULL;

-- Status variables on a customer (letter-sent, reply-received, …) and their history.
CREATE TABLE status_variables (
  customer_id TEXT NOT NULL REFERENCES customers(id),
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}',
  set_at      TEXT NOT NULL,
  set_by      TEXT,
  source      TEXT,
  PRIMARY KEY (customer_id, name)
);
CREATE TABLE status_history (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}',
  set_at      TEXT NOT NULL,
  set_by      TEXT,
  source      TEXT
);
CREATE INDEX status_history_customer ON status_history(customer_id, name);

-- Tamper-evident audit log: each event's hash covers its content and the previous hash.
CREATE TABLE audit_events (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  at           TEXT NOT NULL,
  actor_id     TEXT,
  action       TEXT NOT NULL,                -- e.g. dossier.view, document.read, document.create
  subject_type TEXT NOT NULL,
  subject_id   TEXT,
  customer_id  TEXT,
  details      TEXT NOT NULL DEFAULT '{}',
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
);
CREATE INDEX audit_customer ON audit_events(customer_id, seq);
CREATE INDEX audit_actor ON audit_events(actor_id, seq);
CREATE INDEX audit_subject ON audit_events(subject_id, seq);

-- Durable job queue: claimed with BEGIN IMMEDIATE, retried with backoff, idempotent by key.
CREATE TABLE jobs (
  id              TEXT PRIMARY KEY,
  kind            TEXT NOT NULL,
  payload         TEXT NOT NULL DEFAULT '{}',
  status          TEXT NOT NULL CHECK (status IN ('queued','running','done','failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  max_attempts    INTEGER NOT NULL DEFAULT 5,
  run_after       TEXT NOT NULL,
  locked_by       TEXT,
  locked_at       TEXT,
  last_error      TEXT,
  progress        TEXT NOT NULL DEFAULT '{}',
  idempotency_key TEXT UNIQUE,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX jobs_ready ON jobs(status, run_after);

-- Settings the running service owns (active scopes, …), as JSON values.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Counters for barcodes and other numbered things (documents, locations, mailings, …).
CREATE TABLE sequences (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
