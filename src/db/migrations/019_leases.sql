-- Work that one process of several should do at a time (issue #13 follow-up): reading an IMAP
-- mailbox. The holder renews its row on every round; another process takes the row over once it
-- has expired (the holder died or was cut off) or was given back (the holder stopped).
CREATE TABLE leases (
  name        TEXT PRIMARY KEY,   -- what is held, e.g. imap:user@host:port/INBOX
  holder      TEXT NOT NULL,      -- host/pid/random of the process holding it
  acquired_at TEXT NOT NULL,      -- when this holder took it
  renewed_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL       -- ISO time: past it, any process may take it
);
