-- Integration with the CRM and neighbouring systems (issue #10): customer imports, merges,
-- a transactional outbox with webhook deliveries, and a change log for the mobile delta feed.

-- A batch import of customer master data (CSV or JSON lines). Counters and done_rows are written
-- in the same transaction as the rows they count, so a re-run after a crash resumes exactly.
CREATE TABLE customer_imports (
  id          TEXT PRIMARY KEY,
  status      TEXT NOT NULL CHECK (status IN ('queued','running','done','failed')),
  dry_run     INTEGER NOT NULL,
  format      TEXT NOT NULL CHECK (format IN ('csv','ndjson')),
  file_name   TEXT,
  file_sha256 TEXT NOT NULL,                 -- the upload, in the object store until the import ends
  file_bytes  INTEGER NOT NULL,
  total_rows  INTEGER NOT NULL DEFAULT 0,    -- an estimate (line count) until the import ends
  done_rows   INTEGER NOT NULL DEFAULT 0,
  created     INTEGER NOT NULL DEFAULT 0,
  updated     INTEGER NOT NULL DEFAULT 0,
  unchanged   INTEGER NOT NULL DEFAULT 0,
  failed      INTEGER NOT NULL DEFAULT 0,
  errors      TEXT NOT NULL DEFAULT '[]',    -- JSON [{row, line, field, message, customerId}], first 1000
  error       TEXT,                          -- why the import as a whole failed
  job_id      TEXT,
  created_by  TEXT,
  created_at  TEXT NOT NULL,
  started_at  TEXT,
  finished_at TEXT
);
CREATE INDEX customer_imports_created ON customer_imports(created_at);

-- A merged (retired) customer number and the number that survived. The retired customer row stays
-- as a tombstone so foreign keys (mailing letters, history) and old references keep resolving.
CREATE TABLE customer_merges (
  merged_id   TEXT PRIMARY KEY REFERENCES customers(id),
  into_id     TEXT NOT NULL REFERENCES customers(id),
  merged_at   TEXT NOT NULL,
  merged_by   TEXT NOT NULL,
  moved       TEXT NOT NULL DEFAULT '{}'     -- JSON counts of what moved
);
CREATE INDEX customer_merges_into ON customer_merges(into_id);

-- The transactional outbox: written in the transaction of the change it reports.
CREATE TABLE outbox_events (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,         -- evt_…: receivers de-duplicate on it
  type         TEXT NOT NULL,
  occurred_at  TEXT NOT NULL,
  customer_id  TEXT,
  subject_type TEXT NOT NULL,
  subject_id   TEXT,
  actor_id     TEXT,
  data         TEXT NOT NULL DEFAULT '{}',
  dedupe_key   TEXT UNIQUE                   -- time-based events (retention due) are raised once
);
CREATE INDEX outbox_events_type ON outbox_events(type, seq);

CREATE TABLE webhooks (
  id          TEXT PRIMARY KEY,
  url         TEXT NOT NULL,
  secret      TEXT NOT NULL,                 -- HMAC key; needed in clear to sign
  event_types TEXT NOT NULL DEFAULT '[]',    -- JSON array; empty = every event type
  description TEXT,
  active      INTEGER NOT NULL DEFAULT 1,
  created_by  TEXT,
  created_at  TEXT NOT NULL,
  deleted_by  TEXT,
  deleted_at  TEXT
);

-- One row per (webhook, event): at-least-once delivery with backoff, then the dead-letter list.
CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY,
  webhook_id      TEXT NOT NULL REFERENCES webhooks(id),
  event_seq       INTEGER NOT NULL REFERENCES outbox_events(seq),
  status          TEXT NOT NULL CHECK (status IN ('pending','sending','delivered','dead','cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  locked_until    TEXT,                      -- a 'sending' row past this was left by a crash
  last_status     INTEGER,                   -- HTTP status of the last attempt, if any
  last_error      TEXT,
  last_attempt_at TEXT,
  delivered_at    TEXT,
  dead_at         TEXT,
  replays         INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  UNIQUE (webhook_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);

-- The change log behind GET /api/changes: one row per entity, moved to a new sequence number by
-- triggers on every write, in the writer's transaction. Writes are serialised, so a reader that
-- sees seq N sees every change below N: paging by seq never misses one.
CREATE TABLE sync_counter (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
CREATE TABLE sync_changes (
  entity      TEXT NOT NULL CHECK (entity IN ('customer','document','status')),
  entity_id   TEXT NOT NULL,                 -- status: <customer id>:<name>
  customer_id TEXT,
  seq         INTEGER NOT NULL UNIQUE,
  PRIMARY KEY (entity, entity_id)
);

-- What existed before this migration counts as changed once.
INSERT INTO sync_changes (entity, entity_id, customer_id, seq)
  SELECT entity, entity_id, customer_id, row_number() OVER (ORDER BY k, at, entity_id) FROM (
    SELECT 'customer' AS entity, id AS entity_id, id AS customer_id, 1 AS k, created_at AS at FROM customers
    UNION ALL SELECT 'document', id, customer_id, 2, created_at FROM documents
    UNION ALL SELECT 'status', customer_id || ':' || name, customer_id, 3, set_at FROM status_variables
  );
INSERT INTO sync_counter (id, value) SELECT 1, COUNT(*) FROM sync_changes;

CREATE TRIGGER sync_customers_insert AFTER INSERT ON customers BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq) VALUES ('customer', NEW.id, NEW.id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

CREATE TRIGGER sync_customers_update AFTER UPDATE ON customers BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq) VALUES ('customer', NEW.id, NEW.id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

CREATE TRIGGER sync_customer_merges_insert AFTER INSERT ON customer_merges BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq) VALUES ('customer', NEW.merged_id, NEW.merged_id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

CREATE TRIGGER sync_documents_insert AFTER INSERT ON documents BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq) VALUES ('document', NEW.id, NEW.customer_id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

CREATE TRIGGER sync_documents_update AFTER UPDATE ON documents BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq) VALUES ('document', NEW.id, NEW.customer_id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

-- Paper carried along in a box gets a movement row but no document write: its place changed all the same.
CREATE TRIGGER sync_movements_insert AFTER INSERT ON movements WHEN NEW.document_id IS NOT NULL BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq)
    SELECT 'document', d.id, d.customer_id, (SELECT value FROM sync_counter WHERE id = 1) FROM documents d WHERE d.id = NEW.document_id
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

CREATE TRIGGER sync_status_insert AFTER INSERT ON status_variables BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq) VALUES ('status', NEW.customer_id || ':' || NEW.name, NEW.customer_id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

CREATE TRIGGER sync_status_update AFTER UPDATE ON status_variables BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq) VALUES ('status', NEW.customer_id || ':' || NEW.name, NEW.customer_id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

CREATE TRIGGER sync_status_delete AFTER DELETE ON status_variables BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq) VALUES ('status', OLD.customer_id || ':' || OLD.name, OLD.customer_id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

-- After a merge, writes that still name the retired number (a scan reading "Klantnummer: <old>",
-- a reply coupon of a letter sent before the merge) land on the surviving customer.
CREATE TRIGGER merged_customer_documents_insert AFTER INSERT ON documents
  WHEN NEW.customer_id IN (SELECT merged_id FROM customer_merges) BEGIN
  UPDATE documents SET customer_id = (SELECT into_id FROM customer_merges WHERE merged_id = NEW.customer_id) WHERE id = NEW.id;
END;

CREATE TRIGGER merged_customer_documents_update AFTER UPDATE OF customer_id ON documents
  WHEN NEW.customer_id IN (SELECT merged_id FROM customer_merges) BEGIN
  UPDATE documents SET customer_id = (SELECT into_id FROM customer_merges WHERE merged_id = NEW.customer_id) WHERE id = NEW.id;
END;

CREATE TRIGGER merged_customer_status_insert AFTER INSERT ON status_variables
  WHEN NEW.customer_id IN (SELECT merged_id FROM customer_merges) BEGIN
  INSERT INTO status_variables (customer_id, name, value, detail, set_at, set_by, source)
    SELECT m.into_id, NEW.name, NEW.value, NEW.detail, NEW.set_at, NEW.set_by, NEW.source FROM customer_merges m WHERE m.merged_id = NEW.customer_id
    ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value, detail = excluded.detail,
      set_at = excluded.set_at, set_by = excluded.set_by, source = excluded.source;
  DELETE FROM status_variables WHERE customer_id = NEW.customer_id AND name = NEW.name;
END;

CREATE TRIGGER merged_customer_status_history_insert AFTER INSERT ON status_history
  WHEN NEW.customer_id IN (SELECT merged_id FROM customer_merges) BEGIN
  UPDATE status_history SET customer_id = (SELECT into_id FROM customer_merges WHERE merged_id = NEW.customer_id) WHERE seq = NEW.seq;
END;

-- Rows removed outright (not the usual way: documents are destroyed, customers pseudonymised)
-- still reach mobile clients, as tombstones.
CREATE TRIGGER sync_customers_delete AFTER DELETE ON customers BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq) VALUES ('customer', OLD.id, OLD.id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

CREATE TRIGGER sync_documents_delete AFTER DELETE ON documents BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq) VALUES ('document', OLD.id, OLD.customer_id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END;

-- Destruction and erasure reach the outbox too: earlier events carried titles, key points and
-- status values. Their ids and types stay (receivers may still de-duplicate), the content goes,
-- in the transaction that destroys or erases.
CREATE TRIGGER outbox_scrub_destroyed AFTER INSERT ON audit_events WHEN NEW.action = 'document.destroy' BEGIN
  UPDATE outbox_events SET data = '{"scrubbed":"document destroyed"}'
    WHERE subject_type = 'document' AND subject_id = NEW.subject_id AND type <> 'document.destroyed';
END;

CREATE TRIGGER outbox_scrub_erased AFTER INSERT ON audit_events WHEN NEW.action = 'customer.erase' BEGIN
  UPDATE outbox_events SET data = '{"scrubbed":"customer data erased"}' WHERE customer_id = NEW.customer_id;
END;
