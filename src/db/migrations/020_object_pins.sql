-- Closes the race between a write that finds its object already stored (same hash, nothing
-- written) and a deletion that saw no row referring to that hash (src/services/object-guard.ts).
-- A write pins the hash before it looks at the store; a deletion keeps what is pinned and claims
-- what it deletes, and a write that finds a claim waits for it before it looks.
CREATE TABLE object_pins (
  sha256     TEXT NOT NULL,     -- the object a write is storing
  holder     TEXT NOT NULL,     -- that write (random), so it can give its own pin back
  expires_at TEXT NOT NULL,     -- ISO wall-clock time: past it the pin no longer counts and the sweep drops it
  PRIMARY KEY (sha256, holder)
);
CREATE TABLE object_deletion_claims (
  sha256     TEXT PRIMARY KEY,  -- an object being deleted right now
  holder     TEXT NOT NULL,     -- the deletion (random), which removes its own claims when done
  claimed_at TEXT NOT NULL      -- ISO wall-clock time: a claim left by a crash goes stale
);
-- Deletions that found the object pinned: the sweep deletes these once unpinned and unreferenced,
-- whatever their age, so a destruction's bytes do not wait for the sweep's grace period.
CREATE TABLE object_deferred_deletions (
  sha256      TEXT PRIMARY KEY,
  deferred_at TEXT NOT NULL
);
