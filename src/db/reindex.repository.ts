import type { Queryable } from './database.js';
import { searchRepository } from './search.repository.js';

/**
 * The maintenance side of the full-text index (the `reindex` command): which documents to
 * rebuild, in rowid batches, and the sweep of entries whose document is gone. The SQL is the
 * engine's own and lives with its SearchIndex (search-sqlite.ts, search-pg.ts).
 */
export const reindexRepository = {
  countReindexable: (q: Queryable) => searchRepository.countReindexable(q),
  batchAfter: (q: Queryable, afterRowid: number, limit: number) => searchRepository.reindexBatchAfter(q, afterRowid, limit),
  removeOrphans: (q: Queryable) => searchRepository.removeOrphans(q),
};
