-- The file tracker: where static paper is, how it got there, who asked for it, and when a
-- shelf or box was last counted. Boxes and folders are locations that move as a whole and can
-- be checked out like a document, so they carry a holder too (parent_id is NULL while held).
ALTER TABLE locations ADD COLUMN holder_user_id TEXT REFERENCES users(id);
ALTER TABLE locations ADD COLUMN due_back_on TEXT;

CREATE INDEX documents_location ON documents(location_id);
CREATE INDEX documents_holder ON documents(holder_user_id, due_back_on);

-- Every change of where an item is. Paths are snapshots, so history stays readable after a
-- place is renamed or moved. An item carried along by its box gets its own row with via_barcode.
CREATE TABLE movements (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  at               TEXT NOT NULL,
  actor_id         TEXT NOT NULL,                 -- no FK: the bootstrap admin token is not a user row
  kind             TEXT NOT NULL CHECK (kind IN ('file','move','check-out','check-in','transfer','correction')),
  item_type        TEXT NOT NULL CHECK (item_type IN ('document','container','location')),
  barcode          TEXT NOT NULL,
  document_id      TEXT REFERENCES documents(id),
  location_id      TEXT REFERENCES locations(id),  -- the container or location that moved
  from_location_id TEXT REFERENCES locations(id),
  from_user_id     TEXT,
  from_path        TEXT,
  to_location_id   TEXT REFERENCES locations(id),
  to_user_id       TEXT,
  to_path          TEXT,
  due_back_on      TEXT,
  via_barcode      TEXT,
  request_id       TEXT,
  audit_id         TEXT,
  note             TEXT,
  CHECK ((item_type = 'document') = (document_id IS NOT NULL))
);
CREATE INDEX movements_barcode ON movements(barcode, seq);

-- A CRM user asks for paper; checking it out to that user fulfils the request.
CREATE TABLE paper_requests (
  id            TEXT PRIMARY KEY,
  document_id   TEXT NOT NULL REFERENCES documents(id),
  requested_by  TEXT NOT NULL,
  note          TEXT,
  needed_by     TEXT,
  status        TEXT NOT NULL CHECK (status IN ('open','fulfilled','cancelled')),
  created_at    TEXT NOT NULL,
  closed_at     TEXT,
  closed_by     TEXT,
  movement_seq  INTEGER REFERENCES movements(seq)
);
CREATE UNIQUE INDEX paper_requests_one_open ON paper_requests(document_id, requested_by) WHERE status = 'open';
CREATE INDEX paper_requests_status ON paper_requests(status, created_at);

-- Pre-printed document codes: taken from the same sequence as registered paper, so no code is
-- ever issued twice; a code is used once, when paper is registered with it.
CREATE TABLE reserved_barcodes (
  barcode     TEXT PRIMARY KEY,
  batch_id    TEXT NOT NULL,
  reserved_by TEXT NOT NULL,
  reserved_at TEXT NOT NULL,
  document_id TEXT REFERENCES documents(id),
  used_at     TEXT
);
CREATE INDEX reserved_barcodes_batch ON reserved_barcodes(batch_id);

-- Inventory audits: count what is really in a shelf or box against the records.
CREATE TABLE inventory_audits (
  id           TEXT PRIMARY KEY,
  location_id  TEXT NOT NULL REFERENCES locations(id),
  status       TEXT NOT NULL CHECK (status IN ('open','finished')),
  place_id     TEXT REFERENCES locations(id),    -- last place code scanned (where the next items are)
  container_id TEXT REFERENCES locations(id),    -- last box/folder code scanned, if any, inside place_id
  started_by   TEXT NOT NULL,
  started_at   TEXT NOT NULL,
  finished_by  TEXT,
  finished_at  TEXT,
  corrected    INTEGER NOT NULL DEFAULT 0,
  report       TEXT                               -- JSON, written when finished
);
CREATE UNIQUE INDEX inventory_audits_one_open ON inventory_audits(location_id) WHERE status = 'open';

CREATE TABLE inventory_audit_scans (
  audit_id    TEXT NOT NULL REFERENCES inventory_audits(id),
  barcode     TEXT NOT NULL,
  found_in_id TEXT REFERENCES locations(id),
  scanned_by  TEXT NOT NULL,
  scanned_at  TEXT NOT NULL,
  PRIMARY KEY (audit_id, barcode)
);

-- Static paper digitised on demand: why, by whom; the ingest keeps such a document dynamic.
CREATE TABLE digitisations (
  document_id  TEXT PRIMARY KEY REFERENCES documents(id),
  reason       TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  at           TEXT NOT NULL,
  previous_class TEXT NOT NULL
);
