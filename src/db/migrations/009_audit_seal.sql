-- Issue #14: a tamper-proof audit trail. Audit rows are append-only: the database refuses to
-- change or remove them (destruction and erasure only ever add events). Hashes from
-- `keyed_from_seq` on are HMACs with a key kept outside the database, and signed checkpoints
-- (sequence + hash) are written outside it too; older rows keep their plain SHA-256 chain,
-- pinned by the first checkpoint.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only: they cannot be changed');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only: they cannot be deleted');
END;

-- From which event on hashes are keyed, and with which key (its id, never the key itself).
CREATE TABLE audit_keying (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  keyed_from_seq INTEGER NOT NULL,
  key_id         TEXT NOT NULL,
  created_at     TEXT NOT NULL
);

CREATE TRIGGER audit_keying_no_update BEFORE UPDATE ON audit_keying
BEGIN
  SELECT RAISE(ABORT, 'the audit keying record cannot be changed');
END;

CREATE TRIGGER audit_keying_no_delete BEFORE DELETE ON audit_keying
BEGIN
  SELECT RAISE(ABORT, 'the audit keying record cannot be deleted');
END;
