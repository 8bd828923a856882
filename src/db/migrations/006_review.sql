-- What people corrected in review, and what detection learned from it.
CREATE TABLE corrections (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id TEXT NOT NULL REFERENCES documents(id),
  field       TEXT NOT NULL,              -- type | customerId | docDate | fields.<name>
  old_value   TEXT,
  new_value   TEXT,
  by_user     TEXT NOT NULL,
  at          TEXT NOT NULL
);
CREATE INDEX corrections_document ON corrections(document_id);

-- Words that, in documents a person typed, pointed to that type (from the first lines: titles, headers).
CREATE TABLE learned_type_keywords (
  type   TEXT NOT NULL,
  word   TEXT NOT NULL,
  weight REAL NOT NULL,
  PRIMARY KEY (type, word)
);

-- Letterhead lines that, in documents a person linked to a customer, identified that customer.
CREATE TABLE customer_aliases (
  customer_id TEXT NOT NULL REFERENCES customers(id),
  phrase      TEXT NOT NULL,              -- folded (lower case, no diacritics)
  learned_at  TEXT NOT NULL,
  PRIMARY KEY (customer_id, phrase)
);
