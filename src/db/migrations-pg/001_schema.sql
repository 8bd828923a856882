-- The PostgreSQL schema (issue #13): the state after SQLite migrations 001–017, in one script.
-- Same tables, columns and meaning; SQLite's shapes are kept on purpose so one repository
-- statement works on both engines: dates are ISO TEXT, flags INTEGER 0/1, JSON TEXT.
-- Differences, each for a reason:
--   * INTEGER PRIMARY KEY AUTOINCREMENT → BIGINT identity (BY DEFAULT, so a migration can copy
--     existing numbers). audit_events.seq is given by the appender (audit.repository.ts: gapless).
--   * Tables whose SQL reads SQLite's implicit `rowid` (documents, jobs, mail_message_documents)
--     get a real `rowid` identity column, so `SELECT rowid, …` and `ORDER BY run_after, rowid` work.
--   * outbox_events.seq is numbered from a counter row in the writer's transaction (like
--     sync_counter): the event feed pages by `seq > ?`, so numbers must appear in commit order,
--     never be reused after a prune, which an identity sequence does not promise under concurrency.
--   * SQLite trigger bodies are plpgsql functions; a trigger WHEN with a subquery (not allowed in
--     PostgreSQL) is tested inside the function instead.
--   * The full-text table (document_fts) is not here: search has its own migration (002_search.sql).
-- Text compares byte-wise only under the C collation, as in SQLite: create the database with
-- LC_COLLATE 'C' (the test server's cluster is initialised with --locale=C).

CREATE TABLE customers (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  kvk         TEXT,
  email       TEXT,
  address     TEXT,
  postcode    TEXT,
  city        TEXT,
  attributes  TEXT NOT NULL DEFAULT '{}',
  restricted  INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX customers_kvk ON customers(kvk);
CREATE INDEX customers_postcode ON customers(postcode);

CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  roles          TEXT NOT NULL,
  token_hash     TEXT NOT NULL UNIQUE,
  created_at     TEXT NOT NULL,
  disabled_at    TEXT,
  username       TEXT,
  password_hash  TEXT,
  sso_subject    TEXT,
  credentials_by TEXT
);
CREATE UNIQUE INDEX users_username ON users(username) WHERE username IS NOT NULL;
CREATE UNIQUE INDEX users_sso_subject ON users(sso_subject) WHERE sso_subject IS NOT NULL;

CREATE TABLE locations (
  id             TEXT PRIMARY KEY,
  barcode        TEXT NOT NULL UNIQUE,
  kind           TEXT NOT NULL CHECK (kind IN ('site','room','cabinet','rack','shelf','box','folder')),
  name           TEXT NOT NULL,
  parent_id      TEXT REFERENCES locations(id),
  created_at     TEXT NOT NULL,
  holder_user_id TEXT REFERENCES users(id),
  due_back_on    TEXT
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
  fields          TEXT NOT NULL DEFAULT '{}',
  classification  TEXT NOT NULL,
  location_id     TEXT REFERENCES locations(id),
  holder_user_id  TEXT REFERENCES users(id),
  due_back_on     TEXT,
  original_sha256 TEXT,
  original_mime   TEXT,
  original_name   TEXT,
  original_size   BIGINT,
  archive_sha256  TEXT,
  page_count      INTEGER,
  error           TEXT,
  retention_legal_basis TEXT NOT NULL,
  retention_trigger     TEXT NOT NULL,
  retention_starts_on   TEXT,
  retention_period      TEXT NOT NULL,
  retention_ends_on     TEXT,
  retention_disposition TEXT NOT NULL CHECK (retention_disposition IN ('destroy','review','transfer')),
  source          TEXT NOT NULL,
  created_by      TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  destroyed_at    TEXT,
  text_minhash    TEXT,
  near_duplicate_of TEXT REFERENCES documents(id),
  -- SQLite's implicit rowid, made real: batch walks and the search index key on it.
  rowid           BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE UNIQUE INDEX documents_rowid ON documents(rowid);
CREATE INDEX documents_customer ON documents(customer_id, doc_date);
CREATE INDEX documents_sha ON documents(original_sha256);
CREATE INDEX documents_ends ON documents(retention_ends_on);
CREATE INDEX documents_status ON documents(status);
CREATE INDEX documents_location ON documents(location_id);
CREATE INDEX documents_holder ON documents(holder_user_id, due_back_on);
CREATE INDEX documents_archive_sha ON documents(archive_sha256);
CREATE INDEX documents_created_idx ON documents (created_at DESC, id DESC);
CREATE INDEX documents_live_type_date ON documents(type, doc_date, class) WHERE destroyed_at IS NULL;
CREATE INDEX documents_live_date ON documents(doc_date, class) WHERE destroyed_at IS NULL;

CREATE TABLE document_pages (
  document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  page_no     INTEGER NOT NULL,
  text        TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('text-layer','ocr','manual')),
  confidence  DOUBLE PRECISION,
  PRIMARY KEY (document_id, page_no)
);

-- As rebuilt by SQLite migration 007 (kinds customer, document, documents, query).
CREATE TABLE legal_holds (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL DEFAULT 'customer' CHECK (kind IN ('customer','document','documents','query')),
  reason         TEXT NOT NULL,
  customer_id    TEXT REFERENCES customers(id),
  document_id    TEXT REFERENCES documents(id),
  q_type         TEXT,
  q_from         TEXT,
  q_to           TEXT,
  q_text         TEXT,
  placed_by      TEXT NOT NULL,
  placed_at      TEXT NOT NULL,
  released_by    TEXT,
  released_at    TEXT,
  release_reason TEXT,
  CHECK (kind <> 'customer' OR customer_id IS NOT NULL OR document_id IS NOT NULL)
);
CREATE INDEX legal_holds_customer ON legal_holds(customer_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_document ON legal_holds(document_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_active ON legal_holds(released_at, kind);

CREATE TABLE legal_hold_documents (
  hold_id     TEXT NOT NULL REFERENCES legal_holds(id),
  document_id TEXT NOT NULL REFERENCES documents(id),
  PRIMARY KEY (hold_id, document_id)
);
CREATE INDEX legal_hold_documents_document ON legal_hold_documents(document_id);

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
  seq         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}',
  set_at      TEXT NOT NULL,
  set_by      TEXT,
  source      TEXT
);
CREATE INDEX status_history_customer ON status_history(customer_id, name);

-- seq is given by the appender (the one after the last, under an advisory lock): no gaps, which
-- verification would read as a deleted event. The primary key's name is known to pg-database.ts.
CREATE TABLE audit_events (
  seq          BIGINT GENERATED BY DEFAULT AS IDENTITY,
  at           TEXT NOT NULL,
  actor_id     TEXT,
  action       TEXT NOT NULL,
  subject_type TEXT NOT NULL,
  subject_id   TEXT,
  customer_id  TEXT,
  details      TEXT NOT NULL DEFAULT '{}',
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL,
  CONSTRAINT audit_events_pkey PRIMARY KEY (seq)
);
CREATE INDEX audit_customer ON audit_events(customer_id, seq);
CREATE INDEX audit_actor ON audit_events(actor_id, seq);
CREATE INDEX audit_subject ON audit_events(subject_id, seq);

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
  updated_at      TEXT NOT NULL,
  -- insertion order breaks ties between jobs due at the same time
  rowid           BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE UNIQUE INDEX jobs_rowid ON jobs(rowid);
CREATE INDEX jobs_ready ON jobs(status, run_after, rowid);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE sequences (
  name  TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);

-- File tracking (SQLite 004).
CREATE TABLE movements (
  seq              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  at               TEXT NOT NULL,
  actor_id         TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('file','move','check-out','check-in','transfer','correction')),
  item_type        TEXT NOT NULL CHECK (item_type IN ('document','container','location')),
  barcode          TEXT NOT NULL,
  document_id      TEXT REFERENCES documents(id),
  location_id      TEXT REFERENCES locations(id),
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
  movement_seq  BIGINT REFERENCES movements(seq)
);
CREATE UNIQUE INDEX paper_requests_one_open ON paper_requests(document_id, requested_by) WHERE status = 'open';
CREATE INDEX paper_requests_status ON paper_requests(status, created_at);

CREATE TABLE reserved_barcodes (
  barcode     TEXT PRIMARY KEY,
  batch_id    TEXT NOT NULL,
  reserved_by TEXT NOT NULL,
  reserved_at TEXT NOT NULL,
  document_id TEXT REFERENCES documents(id),
  used_at     TEXT
);
CREATE INDEX reserved_barcodes_batch ON reserved_barcodes(batch_id);

CREATE TABLE inventory_audits (
  id           TEXT PRIMARY KEY,
  location_id  TEXT NOT NULL REFERENCES locations(id),
  status       TEXT NOT NULL CHECK (status IN ('open','finished')),
  place_id     TEXT REFERENCES locations(id),
  container_id TEXT REFERENCES locations(id),
  started_by   TEXT NOT NULL,
  started_at   TEXT NOT NULL,
  finished_by  TEXT,
  finished_at  TEXT,
  corrected    INTEGER NOT NULL DEFAULT 0,
  report       TEXT
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

CREATE TABLE digitisations (
  document_id    TEXT PRIMARY KEY REFERENCES documents(id),
  reason         TEXT NOT NULL,
  requested_by   TEXT NOT NULL,
  at             TEXT NOT NULL,
  previous_class TEXT NOT NULL
);

-- Mailings and reply coupons (SQLite 005).
CREATE TABLE mailings (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  template     TEXT NOT NULL,
  selection    TEXT NOT NULL DEFAULT '{}',
  letter_count INTEGER NOT NULL,
  created_by   TEXT,
  created_at   TEXT NOT NULL,
  sent_at      TEXT,
  sent_by      TEXT
);

CREATE TABLE mailing_letters (
  barcode           TEXT PRIMARY KEY,
  mailing_id        TEXT NOT NULL REFERENCES mailings(id),
  seq               INTEGER NOT NULL,
  customer_id       TEXT NOT NULL REFERENCES customers(id),
  replied_at        TEXT,
  answer            TEXT,
  reply_via         TEXT CHECK (reply_via IN ('batch','scan','review')),
  reply_document_id TEXT REFERENCES documents(id),
  reply_batch_id    TEXT,
  reply_unit        INTEGER,
  UNIQUE (mailing_id, seq),
  UNIQUE (mailing_id, customer_id)
);
CREATE INDEX mailing_letters_customer ON mailing_letters(customer_id);

CREATE TABLE coupon_batches (
  id          TEXT PRIMARY KEY,
  status      TEXT NOT NULL CHECK (status IN ('queued','processing','done','failed')),
  page_count  INTEGER NOT NULL,
  job_id      TEXT,
  summary     TEXT NOT NULL DEFAULT '{}',
  created_by  TEXT,
  created_at  TEXT NOT NULL,
  finished_at TEXT
);

CREATE TABLE coupon_batch_files (
  batch_id    TEXT NOT NULL REFERENCES coupon_batches(id),
  file_no     INTEGER NOT NULL,
  sha256      TEXT NOT NULL,
  mime        TEXT NOT NULL,
  name        TEXT,
  size        BIGINT NOT NULL,
  page_count  INTEGER NOT NULL,
  PRIMARY KEY (batch_id, file_no)
);
CREATE INDEX coupon_batch_files_sha ON coupon_batch_files(sha256);

CREATE TABLE coupon_pages (
  batch_id    TEXT NOT NULL REFERENCES coupon_batches(id),
  page_no     INTEGER NOT NULL,
  file_no     INTEGER NOT NULL,
  file_page   INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('letter','separator','other','invalid','multiple','none')),
  code        TEXT,
  answer      TEXT,
  ticks       TEXT,
  unit        INTEGER,
  outcome     TEXT CHECK (outcome IN ('received','duplicate','unknown','unreadable','invalid','separator','attached')),
  PRIMARY KEY (batch_id, page_no)
);

CREATE TABLE coupon_reviews (
  id               TEXT PRIMARY KEY,
  batch_id         TEXT NOT NULL REFERENCES coupon_batches(id),
  unit             INTEGER NOT NULL,
  pages            TEXT NOT NULL,
  reason           TEXT NOT NULL CHECK (reason IN ('unreadable','unknown','duplicate','invalid','multiple')),
  code             TEXT,
  answer           TEXT,
  hint_customer_id TEXT,
  image_sha256     TEXT NOT NULL,
  original_sha256  TEXT NOT NULL,
  original_mime    TEXT NOT NULL,
  original_size    BIGINT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('open','resolved','discarded')),
  resolution       TEXT,
  resolved_by      TEXT,
  resolved_at      TEXT,
  created_at       TEXT NOT NULL,
  UNIQUE (batch_id, unit)
);
CREATE INDEX coupon_reviews_open ON coupon_reviews(status, created_at);
CREATE INDEX coupon_reviews_image_sha ON coupon_reviews(image_sha256);
CREATE INDEX coupon_reviews_original_sha ON coupon_reviews(original_sha256);

CREATE TABLE separator_sheets (
  barcode     TEXT PRIMARY KEY,
  customer_id TEXT REFERENCES customers(id),
  type        TEXT,
  created_by  TEXT,
  created_at  TEXT NOT NULL
);

-- Review and learning (SQLite 006).
CREATE TABLE corrections (
  seq         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  document_id TEXT NOT NULL REFERENCES documents(id),
  field       TEXT NOT NULL,
  old_value   TEXT,
  new_value   TEXT,
  by_user     TEXT NOT NULL,
  at          TEXT NOT NULL
);
CREATE INDEX corrections_document ON corrections(document_id);

CREATE TABLE learned_type_keywords (
  type   TEXT NOT NULL,
  word   TEXT NOT NULL,
  weight DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (type, word)
);

CREATE TABLE customer_aliases (
  customer_id TEXT NOT NULL REFERENCES customers(id),
  phrase      TEXT NOT NULL,
  learned_at  TEXT NOT NULL,
  PRIMARY KEY (customer_id, phrase)
);

-- Retention, disposal (SQLite 007).
CREATE TABLE retention_extensions (
  seq          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  document_id  TEXT NOT NULL REFERENCES documents(id),
  until        TEXT NOT NULL,
  reason       TEXT NOT NULL,
  decided_by   TEXT NOT NULL,
  approved_by  TEXT,
  disposal_id  TEXT,
  at           TEXT NOT NULL
);
CREATE INDEX retention_extensions_document ON retention_extensions(document_id, until);

CREATE TABLE disposals (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('retention','erasure')),
  status        TEXT NOT NULL CHECK (status IN ('proposed','approved','executing','completed','cancelled')),
  reason        TEXT NOT NULL,
  due_before    TEXT,
  customer_id   TEXT REFERENCES customers(id),
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
  progress      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX disposals_status ON disposals(status, proposed_at);

CREATE TABLE disposal_items (
  disposal_id     TEXT NOT NULL REFERENCES disposals(id),
  document_id     TEXT NOT NULL REFERENCES documents(id),
  medium          TEXT NOT NULL CHECK (medium IN ('digital','paper')),
  disposition     TEXT NOT NULL CHECK (disposition IN ('destroy','review','transfer')),
  decision        TEXT CHECK (decision IN ('destroy','extend')),
  extend_until    TEXT,
  decision_note   TEXT,
  decided_by      TEXT,
  status          TEXT NOT NULL CHECK (status IN ('pending','destroyed','transferred','extended','skipped')),
  customer_id     TEXT,
  type            TEXT NOT NULL,
  barcode         TEXT,
  doc_date        TEXT,
  legal_basis     TEXT NOT NULL,
  period          TEXT NOT NULL,
  ends_on         TEXT,
  location_path   TEXT,
  done_at         TEXT,
  done_by         TEXT,
  method          TEXT,
  objects_removed INTEGER,
  note            TEXT,
  PRIMARY KEY (disposal_id, document_id)
);
CREATE INDEX disposal_items_document ON disposal_items(document_id, status);
CREATE INDEX disposal_items_barcode ON disposal_items(barcode);

-- Integration (SQLite 008).
CREATE TABLE customer_imports (
  id          TEXT PRIMARY KEY,
  status      TEXT NOT NULL CHECK (status IN ('queued','running','done','failed')),
  dry_run     INTEGER NOT NULL,
  format      TEXT NOT NULL CHECK (format IN ('csv','ndjson')),
  file_name   TEXT,
  file_sha256 TEXT NOT NULL,
  file_bytes  BIGINT NOT NULL,
  total_rows  INTEGER NOT NULL DEFAULT 0,
  done_rows   INTEGER NOT NULL DEFAULT 0,
  created     INTEGER NOT NULL DEFAULT 0,
  updated     INTEGER NOT NULL DEFAULT 0,
  unchanged   INTEGER NOT NULL DEFAULT 0,
  failed      INTEGER NOT NULL DEFAULT 0,
  errors      TEXT NOT NULL DEFAULT '[]',
  error       TEXT,
  job_id      TEXT,
  created_by  TEXT,
  created_at  TEXT NOT NULL,
  started_at  TEXT,
  finished_at TEXT
);
CREATE INDEX customer_imports_created ON customer_imports(created_at);
CREATE INDEX customer_imports_file_sha ON customer_imports(file_sha256);

CREATE TABLE customer_merges (
  merged_id   TEXT PRIMARY KEY REFERENCES customers(id),
  into_id     TEXT NOT NULL REFERENCES customers(id),
  merged_at   TEXT NOT NULL,
  merged_by   TEXT NOT NULL,
  moved       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX customer_merges_into ON customer_merges(into_id);

CREATE TABLE outbox_events (
  seq          BIGINT PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  type         TEXT NOT NULL,
  occurred_at  TEXT NOT NULL,
  customer_id  TEXT,
  subject_type TEXT NOT NULL,
  subject_id   TEXT,
  actor_id     TEXT,
  data         TEXT NOT NULL DEFAULT '{}',
  dedupe_key   TEXT UNIQUE
);
CREATE INDEX outbox_events_type ON outbox_events(type, seq);

-- The outbox's number: one row, bumped in the writer's transaction, so a concurrent writer waits
-- (or is retried) and numbers become visible in order; a pruned event's number is never reused.
CREATE TABLE outbox_counter (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value BIGINT NOT NULL
);
INSERT INTO outbox_counter (id, value) VALUES (1, 0);

CREATE FUNCTION outbox_events_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.seq IS NULL THEN
    UPDATE outbox_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO NEW.seq;
  ELSE
    -- a copied event (migration from SQLite) keeps its number; later ones follow it
    UPDATE outbox_counter SET value = GREATEST(value, NEW.seq) WHERE id = 1;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER outbox_events_number BEFORE INSERT ON outbox_events
  FOR EACH ROW EXECUTE FUNCTION outbox_events_number();

CREATE TABLE webhooks (
  id          TEXT PRIMARY KEY,
  url         TEXT NOT NULL,
  secret      TEXT NOT NULL,
  event_types TEXT NOT NULL DEFAULT '[]',
  description TEXT,
  active      INTEGER NOT NULL DEFAULT 1,
  created_by  TEXT,
  created_at  TEXT NOT NULL,
  deleted_by  TEXT,
  deleted_at  TEXT
);

CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY,
  webhook_id      TEXT NOT NULL REFERENCES webhooks(id),
  event_seq       BIGINT NOT NULL REFERENCES outbox_events(seq),
  status          TEXT NOT NULL CHECK (status IN ('pending','sending','delivered','dead','cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  locked_until    TEXT,
  last_status     INTEGER,
  last_error      TEXT,
  last_attempt_at TEXT,
  delivered_at    TEXT,
  dead_at         TEXT,
  replays         INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  UNIQUE (webhook_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);

CREATE TABLE sync_counter (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value BIGINT NOT NULL
);
INSERT INTO sync_counter (id, value) VALUES (1, 0);

CREATE TABLE sync_changes (
  entity      TEXT NOT NULL CHECK (entity IN ('customer','document','status')),
  entity_id   TEXT NOT NULL,
  customer_id TEXT,
  seq         BIGINT NOT NULL UNIQUE,
  PRIMARY KEY (entity, entity_id)
);

-- Audit keying (SQLite 009).
CREATE TABLE audit_keying (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  keyed_from_seq BIGINT NOT NULL,
  key_id         TEXT NOT NULL,
  created_at     TEXT NOT NULL
);

-- Accounts (SQLite 011).
CREATE TABLE sessions (
  id_hash      TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(id),
  via          TEXT NOT NULL CHECK (via IN ('password','sso')),
  address      TEXT,
  created_at   TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  revoked_at   TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  roles        TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  created_by   TEXT,
  created_at   TEXT NOT NULL,
  expires_at   TEXT,
  last_used_at TEXT,
  revoked_at   TEXT,
  revoked_by   TEXT
);

CREATE TABLE sign_in_failures (
  key TEXT NOT NULL,
  at  TEXT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures(key, at);

-- Overview (SQLite 012).
CREATE TABLE document_thumbnails (
  document_id TEXT PRIMARY KEY REFERENCES documents(id),
  sha256      TEXT NOT NULL,
  mime        TEXT NOT NULL,
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX document_thumbnails_sha256_idx ON document_thumbnails (sha256);

CREATE TABLE saved_views (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  name       TEXT NOT NULL,
  filter     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (user_id, name)
);

-- Files kept with a document (SQLite 013).
CREATE TABLE document_files (
  document_id TEXT NOT NULL REFERENCES documents(id),
  role        TEXT NOT NULL CHECK (role IN ('e-invoice-xml')),
  sha256      TEXT NOT NULL,
  mime        TEXT NOT NULL,
  name        TEXT,
  format      TEXT,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (document_id, role)
);
CREATE INDEX document_files_sha256 ON document_files(sha256);

-- Intake (SQLite 014, 017).
CREATE TABLE intake_split_parts (
  document_id TEXT NOT NULL,
  part_no     INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('document','paper','coupon','duplicate')),
  pages       TEXT NOT NULL,
  result      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (document_id, part_no)
);

CREATE TABLE intake_splits (
  document_id  TEXT PRIMARY KEY,
  stack_sha256 TEXT NOT NULL,
  stack_mime   TEXT NOT NULL,
  page_count   INTEGER NOT NULL,
  sheets       INTEGER NOT NULL,
  parts        TEXT NOT NULL,
  created_at   TEXT NOT NULL
);
CREATE INDEX intake_splits_sha ON intake_splits(stack_sha256);

CREATE TABLE mail_messages (
  id          TEXT PRIMARY KEY,
  message_id  TEXT,
  mailbox     TEXT NOT NULL,
  uid         BIGINT,
  sender      TEXT,
  subject     TEXT,
  eml_sha256  TEXT NOT NULL,
  eml_size    BIGINT NOT NULL,
  customer_id TEXT,
  status      TEXT NOT NULL CHECK (status IN ('queued','done','failed')),
  job_id      TEXT,
  error       TEXT,
  skipped     TEXT NOT NULL DEFAULT '[]',
  received_at TEXT,
  marked_at   TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  destroyed_at TEXT
);
CREATE INDEX mail_messages_status ON mail_messages(status);
CREATE INDEX mail_messages_eml_idx ON mail_messages (eml_sha256);

CREATE TABLE mail_message_documents (
  message_id  TEXT NOT NULL REFERENCES mail_messages(id),
  document_id TEXT NOT NULL,
  name        TEXT,
  duplicate   INTEGER NOT NULL DEFAULT 0,
  -- attachments are listed in the order they were taken
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY,
  PRIMARY KEY (message_id, document_id)
);
CREATE UNIQUE INDEX mail_message_documents_rowid ON mail_message_documents(rowid);
CREATE INDEX mail_message_documents_doc ON mail_message_documents(document_id);

-- ---------------------------------------------------------------------------------------------
-- Triggers (SQLite 008 and 009), row by row as in SQLite.

-- The change log behind GET /api/changes: every write moves the entity to a new number taken
-- from the one counter row, in the writer's transaction (concurrent writers take turns on it).
CREATE FUNCTION sync_touch(p_entity TEXT, p_entity_id TEXT, p_customer_id TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq)
    VALUES (p_entity, p_entity_id, p_customer_id, (SELECT value FROM sync_counter WHERE id = 1))
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
END $$;

CREATE FUNCTION sync_customers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN PERFORM sync_touch('customer', OLD.id, OLD.id);
  ELSE PERFORM sync_touch('customer', NEW.id, NEW.id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER sync_customers_insert AFTER INSERT ON customers FOR EACH ROW EXECUTE FUNCTION sync_customers();
CREATE TRIGGER sync_customers_update AFTER UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION sync_customers();
CREATE TRIGGER sync_customers_delete AFTER DELETE ON customers FOR EACH ROW EXECUTE FUNCTION sync_customers();

CREATE FUNCTION sync_customer_merges() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM sync_touch('customer', NEW.merged_id, NEW.merged_id);
  RETURN NULL;
END $$;
CREATE TRIGGER sync_customer_merges_insert AFTER INSERT ON customer_merges FOR EACH ROW EXECUTE FUNCTION sync_customer_merges();

CREATE FUNCTION sync_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN PERFORM sync_touch('document', OLD.id, OLD.customer_id);
  ELSE PERFORM sync_touch('document', NEW.id, NEW.customer_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER sync_documents_insert AFTER INSERT ON documents FOR EACH ROW EXECUTE FUNCTION sync_documents();
CREATE TRIGGER sync_documents_update AFTER UPDATE ON documents FOR EACH ROW EXECUTE FUNCTION sync_documents();
CREATE TRIGGER sync_documents_delete AFTER DELETE ON documents FOR EACH ROW EXECUTE FUNCTION sync_documents();

-- Paper carried along in a box gets a movement row but no document write: its place changed all the same.
CREATE FUNCTION sync_movements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE sync_counter SET value = value + 1 WHERE id = 1;
  INSERT INTO sync_changes (entity, entity_id, customer_id, seq)
    SELECT 'document', d.id, d.customer_id, (SELECT value FROM sync_counter WHERE id = 1) FROM documents d WHERE d.id = NEW.document_id
    ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq, customer_id = excluded.customer_id;
  RETURN NULL;
END $$;
CREATE TRIGGER sync_movements_insert AFTER INSERT ON movements FOR EACH ROW
  WHEN (NEW.document_id IS NOT NULL) EXECUTE FUNCTION sync_movements();

CREATE FUNCTION sync_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN PERFORM sync_touch('status', OLD.customer_id || ':' || OLD.name, OLD.customer_id);
  ELSE PERFORM sync_touch('status', NEW.customer_id || ':' || NEW.name, NEW.customer_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER sync_status_insert AFTER INSERT ON status_variables FOR EACH ROW EXECUTE FUNCTION sync_status();
CREATE TRIGGER sync_status_update AFTER UPDATE ON status_variables FOR EACH ROW EXECUTE FUNCTION sync_status();
CREATE TRIGGER sync_status_delete AFTER DELETE ON status_variables FOR EACH ROW EXECUTE FUNCTION sync_status();

-- After a merge, writes that still name the retired number (a scan reading "Klantnummer: <old>",
-- a reply coupon of a letter sent before the merge) land on the surviving customer.
CREATE FUNCTION merged_customer_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.customer_id IN (SELECT merged_id FROM customer_merges) THEN
    UPDATE documents SET customer_id = (SELECT into_id FROM customer_merges WHERE merged_id = NEW.customer_id) WHERE id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER merged_customer_documents_insert AFTER INSERT ON documents FOR EACH ROW
  WHEN (NEW.customer_id IS NOT NULL) EXECUTE FUNCTION merged_customer_documents();
CREATE TRIGGER merged_customer_documents_update AFTER UPDATE OF customer_id ON documents FOR EACH ROW
  WHEN (NEW.customer_id IS NOT NULL) EXECUTE FUNCTION merged_customer_documents();

CREATE FUNCTION merged_customer_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.customer_id IN (SELECT merged_id FROM customer_merges) THEN
    INSERT INTO status_variables (customer_id, name, value, detail, set_at, set_by, source)
      SELECT m.into_id, NEW.name, NEW.value, NEW.detail, NEW.set_at, NEW.set_by, NEW.source FROM customer_merges m WHERE m.merged_id = NEW.customer_id
      ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value, detail = excluded.detail,
        set_at = excluded.set_at, set_by = excluded.set_by, source = excluded.source;
    DELETE FROM status_variables WHERE customer_id = NEW.customer_id AND name = NEW.name;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER merged_customer_status_insert AFTER INSERT ON status_variables FOR EACH ROW EXECUTE FUNCTION merged_customer_status();

CREATE FUNCTION merged_customer_status_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.customer_id IN (SELECT merged_id FROM customer_merges) THEN
    UPDATE status_history SET customer_id = (SELECT into_id FROM customer_merges WHERE merged_id = NEW.customer_id) WHERE seq = NEW.seq;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER merged_customer_status_history_insert AFTER INSERT ON status_history FOR EACH ROW EXECUTE FUNCTION merged_customer_status_history();

-- Destruction and erasure reach the outbox too: earlier events carried titles, key points and
-- status values; their ids and types stay, the content goes, in the same transaction.
CREATE FUNCTION outbox_scrub_destroyed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE outbox_events SET data = '{"scrubbed":"document destroyed"}'
    WHERE subject_type = 'document' AND subject_id = NEW.subject_id AND type <> 'document.destroyed';
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_scrub_destroyed AFTER INSERT ON audit_events FOR EACH ROW
  WHEN (NEW.action = 'document.destroy') EXECUTE FUNCTION outbox_scrub_destroyed();

CREATE FUNCTION outbox_scrub_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE outbox_events SET data = '{"scrubbed":"customer data erased"}' WHERE customer_id = NEW.customer_id;
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_scrub_erased AFTER INSERT ON audit_events FOR EACH ROW
  WHEN (NEW.action = 'customer.erase') EXECUTE FUNCTION outbox_scrub_erased();

-- Audit rows are append-only (issue #14): the database refuses to change or remove them, with
-- SQLite's words. TRUNCATE, which skips row triggers, is refused too.
CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events FOR EACH ROW
  EXECUTE FUNCTION audit_refuse('audit events are append-only: they cannot be changed');
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events FOR EACH ROW
  EXECUTE FUNCTION audit_refuse('audit events are append-only: they cannot be deleted');
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT
  EXECUTE FUNCTION audit_refuse('audit events are append-only: they cannot be deleted');
CREATE TRIGGER audit_keying_no_update BEFORE UPDATE ON audit_keying FOR EACH ROW
  EXECUTE FUNCTION audit_refuse('the audit keying record cannot be changed');
CREATE TRIGGER audit_keying_no_delete BEFORE DELETE ON audit_keying FOR EACH ROW
  EXECUTE FUNCTION audit_refuse('the audit keying record cannot be deleted');
CREATE TRIGGER audit_keying_no_truncate BEFORE TRUNCATE ON audit_keying FOR EACH STATEMENT
  EXECUTE FUNCTION audit_refuse('the audit keying record cannot be deleted');
