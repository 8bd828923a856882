-- The document overview (issue 17): a small first-page image per document, made once and kept
-- in the object store, and the overview's filters saved as named views per user.

CREATE TABLE document_thumbnails (
  document_id TEXT PRIMARY KEY REFERENCES documents(id),
  sha256      TEXT NOT NULL,             -- the image in the object store
  mime        TEXT NOT NULL,
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE saved_views (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  name       TEXT NOT NULL,
  filter     TEXT NOT NULL,              -- JSON: the overview's query parameters
  created_at TEXT NOT NULL,
  UNIQUE (user_id, name)
);

-- The overview lists newest first and pages by (created_at, id).
CREATE INDEX IF NOT EXISTS documents_created_idx ON documents (created_at DESC, id DESC);
