-- Files kept with a document besides its original and archive copy (issue #18): the structured
-- e-invoice XML (UBL, or the CII a Factur-X / ZUGFeRD PDF carries), in the object store by
-- content hash. One file per role per document; destruction removes them with the document.
CREATE TABLE document_files (
  document_id TEXT NOT NULL REFERENCES documents(id),
  role        TEXT NOT NULL CHECK (role IN ('e-invoice-xml')),
  sha256      TEXT NOT NULL,
  mime        TEXT NOT NULL,
  name        TEXT,
  format      TEXT,                 -- ubl-invoice, ubl-credit-note, cii
  created_at  TEXT NOT NULL,
  PRIMARY KEY (document_id, role)
);
CREATE INDEX document_files_sha256 ON document_files(sha256);
