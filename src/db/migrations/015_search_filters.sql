-- Search filters (issue 15): a filtered search reads the set of matching documents from one of
-- these covering indexes instead of looking up every full-text match in the documents table.
-- Partial on live documents, as every search is; `class` rides along so a class filter stays
-- inside the index.
CREATE INDEX documents_live_type_date ON documents(type, doc_date, class) WHERE destroyed_at IS NULL;
CREATE INDEX documents_live_date ON documents(doc_date, class) WHERE destroyed_at IS NULL;
