-- The same as SQLite's 020_object_pins.sql: pins of writes, claims of deletions, deferred deletions.
CREATE TABLE object_pins (
  sha256     TEXT NOT NULL,
  holder     TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  PRIMARY KEY (sha256, holder)
);
CREATE TABLE object_deletion_claims (
  sha256     TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  claimed_at TEXT NOT NULL
);
CREATE TABLE object_deferred_deletions (
  sha256      TEXT PRIMARY KEY,
  deferred_at TEXT NOT NULL
);
