-- Retention, legal holds, disposal and subject rights (issue #8).

-- Legal holds by customer, by a set of documents, or by a query. 001's CHECK demanded a customer
-- or a document, which a query hold across customers ("all invoices of 2019") has neither of, so
-- the table is rebuilt; old rows keep their meaning (customer_id holds the customer, document_id
-- holds that document).
CREATE TABLE legal_holds_v7 (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL DEFAULT 'customer' CHECK (kind IN ('customer','document','documents','query')),
  reason         TEXT NOT NULL,
  customer_id    TEXT REFERENCES customers(id),  -- kind customer: the customer; kind query: optional filter
  document_id    TEXT REFERENCES documents(id),  -- one document (any kind)
  q_type         TEXT,                           -- kind query: document type
  q_from         TEXT,                           -- kind query: document date from (inclusive)
  q_to           TEXT,                           -- kind query: document date to (inclusive)
  q_text         TEXT,                           -- kind query: full-text search; its matches are frozen in legal_hold_documents
  placed_by      TEXT NOT NULL,
  placed_at      TEXT NOT NULL,
  released_by    TEXT,
  released_at    TEXT,
  release_reason TEXT,
  CHECK (kind <> 'customer' OR customer_id IS NOT NULL OR document_id IS NOT NULL)
);
INSERT INTO legal_holds_v7 (id, kind, reason, customer_id, document_id, placed_by, placed_at, released_by, released_at)
  SELECT id, CASE WHEN customer_id IS NULL THEN 'document' ELSE 'customer' END, reason, customer_id, document_id,
         placed_by, placed_at, released_by, released_at
  FROM legal_holds;
DROP TABLE legal_holds;
ALTER TABLE legal_holds_v7 RENAME TO legal_holds;
CREATE INDEX legal_holds_customer ON legal_holds(customer_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_document ON legal_holds(document_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_active ON legal_holds(released_at, kind);

-- The documents a set hold (or a text query hold, as matched when it was placed) covers.
CREATE TABLE legal_hold_documents (
  hold_id     TEXT NOT NULL REFERENCES legal_holds(id),
  document_id TEXT NOT NULL REFERENCES documents(id),
  PRIMARY KEY (hold_id, document_id)
);
CREATE INDEX legal_hold_documents_document ON legal_hold_documents(document_id);

-- A review at the end of a retention period decided to keep the document longer. The schedule's
-- end date stays what the law says; the due list uses the later of the two.
CREATE TABLE retention_extensions (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id  TEXT NOT NULL REFERENCES documents(id),
  until        TEXT NOT NULL,
  reason       TEXT NOT NULL,
  decided_by   TEXT NOT NULL,
  approved_by  TEXT,
  disposal_id  TEXT,
  at           TEXT NOT NULL
);
CREATE INDEX retention_extensions_document ON retention_extensions(document_id, until);

-- A disposal: proposed by one compliance officer, approved by another, then executed. Digital
-- items go at execution; paper waits on a pick list until each barcode is scanned as shredded.
CREATE TABLE disposals (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('retention','erasure')),
  status        TEXT NOT NULL CHECK (status IN ('proposed','approved','executing','completed','cancelled')),
  reason        TEXT NOT NULL,
  due_before    TEXT,                          -- proposed as "everything due before"
  customer_id   TEXT REFERENCES customers(id), -- erasure: whose data
  proposed_by   TEXT NOT NULL,
  proposed_at   TEXT NOT NULL,
  approved_by   TEXT,
  approved_at   TEXT,
  executed_by   TEXT,
  executed_at   TEXT,
  completed_at  TEXT,
  cancelled_by  TEXT,
  cancelled_at  TEXT,
  cancel_reason TEXT,
  progress      TEXT NOT NULL DEFAULT '{}'     -- JSON {done, total} while executing
);
CREATE INDEX disposals_status ON disposals(status, proposed_at);

-- What a disposal covers. The columns after `status` are a snapshot taken at proposal: what the
-- certificate names once the document is a tombstone (identifiers, dates, schedule; no content).
CREATE TABLE disposal_items (
  disposal_id   TEXT NOT NULL REFERENCES disposals(id),
  document_id   TEXT NOT NULL REFERENCES documents(id),
  medium        TEXT NOT NULL CHECK (medium IN ('digital','paper')),
  disposition   TEXT NOT NULL CHECK (disposition IN ('destroy','review','transfer')),
  decision      TEXT CHECK (decision IN ('destroy','extend')),   -- review items
  extend_until  TEXT,
  decision_note TEXT,
  decided_by    TEXT,
  status        TEXT NOT NULL CHECK (status IN ('pending','destroyed','transferred','extended','skipped')),
  customer_id   TEXT,
  type          TEXT NOT NULL,
  barcode       TEXT,
  doc_date      TEXT,
  legal_basis   TEXT NOT NULL,
  period        TEXT NOT NULL,
  ends_on       TEXT,
  location_path TEXT,
  done_at       TEXT,
  done_by       TEXT,
  method        TEXT,                           -- digital destruction | shredded | transferred to …
  objects_removed INTEGER,
  note          TEXT,
  PRIMARY KEY (disposal_id, document_id)
);
CREATE INDEX disposal_items_document ON disposal_items(document_id, status);
CREATE INDEX disposal_items_barcode ON disposal_items(barcode);
