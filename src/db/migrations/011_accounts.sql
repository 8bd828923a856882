-- Accounts (issue #16): people sign in with a password or single sign-on and get a server-side
-- session; integrations get named API tokens with a life cycle. users.token_hash stays NOT NULL
-- (SQLite cannot relax it without rebuilding a referenced table): a person created with a
-- password gets the hash of a random token that is never shown, so it can never be used.
ALTER TABLE users ADD COLUMN username TEXT;         -- lower-cased sign-in name
ALTER TABLE users ADD COLUMN password_hash TEXT;    -- argon2id, PHC string
ALTER TABLE users ADD COLUMN sso_subject TEXT;      -- OpenID Connect issuer + ' ' + sub
-- Who set this account's credentials last (created it, reset its password). Four eyes follows
-- this chain: an account and whoever controls its credentials count as one person.
ALTER TABLE users ADD COLUMN credentials_by TEXT;
CREATE UNIQUE INDEX users_username ON users(username) WHERE username IS NOT NULL;
CREATE UNIQUE INDEX users_sso_subject ON users(sso_subject) WHERE sso_subject IS NOT NULL;

CREATE TABLE sessions (
  id_hash      TEXT PRIMARY KEY,              -- sha256 of the cookie value; the value itself is never stored
  user_id      TEXT NOT NULL REFERENCES users(id),
  via          TEXT NOT NULL CHECK (via IN ('password','sso')),
  address      TEXT,
  created_at   TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at   TEXT NOT NULL,                 -- absolute end, whatever the activity
  revoked_at   TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  roles        TEXT NOT NULL,                 -- JSON array of role names
  token_hash   TEXT NOT NULL UNIQUE,          -- sha256 of the token; shown once at creation
  created_by   TEXT,
  created_at   TEXT NOT NULL,
  expires_at   TEXT,
  last_used_at TEXT,
  revoked_at   TEXT,
  revoked_by   TEXT
);

-- Failed sign-ins, per account ('user:<name>') and per address ('addr:<ip>'), for throttling.
CREATE TABLE sign_in_failures (
  key TEXT NOT NULL,
  at  TEXT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures(key, at);
