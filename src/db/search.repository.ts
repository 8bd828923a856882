import type { Queryable } from './database.js';
import { postgresSearchIndex } from './search-pg.js';
import type { SearchIndex } from './search-index.js';
import { sqliteSearchIndex } from './search-sqlite.js';

export { MARK_CLOSE, MARK_OPEN, TOTAL_CAP, type HoldTextFilters, type IndexEntry, type SearchFilters, type SearchIndex, type SearchResult, type SearchRow } from './search-index.js';

/** The full-text index of the engine behind this connection: FTS5 on SQLite, tsvector + GIN on PostgreSQL. */
export function searchIndexFor(q: Queryable): SearchIndex {
  return q.dialect === 'postgres' ? postgresSearchIndex : sqliteSearchIndex;
}

/**
 * The SearchIndex port for callers that hold a connection of either engine (services, jobs, the
 * CLI): every call goes to the index of that connection's engine, so one transaction that writes
 * a document also writes its index entry, on both engines.
 *
 *     await db.tx((q) => searchRepository.index(q, id, title, text));
 */
export const searchRepository: SearchIndex = {
  index: (q, documentId, title, text) => searchIndexFor(q).index(q, documentId, title, text),
  indexMany: (q, docs) => searchIndexFor(q).indexMany(q, docs),
  remove: (q, documentId) => searchIndexFor(q).remove(q, documentId),
  search: (q, query, f, limit, offset) => searchIndexFor(q).search(q, query, f, limit, offset),
  matchText: (q, query, f, limit) => searchIndexFor(q).matchText(q, query, f, limit),
  indexed: (q, documentId) => searchIndexFor(q).indexed(q, documentId),
  count: (q) => searchIndexFor(q).count(q),
  countReindexable: (q) => searchIndexFor(q).countReindexable(q),
  reindexBatchAfter: (q, afterRowid, limit) => searchIndexFor(q).reindexBatchAfter(q, afterRowid, limit),
  removeOrphans: (q) => searchIndexFor(q).removeOrphans(q),
};
