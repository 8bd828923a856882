import type { Queryable } from './database.js';

/** Live documents that have page text or an index entry: the ones a full-text rebuild touches. */
const REINDEXABLE = `d.destroyed_at IS NULL
  AND (EXISTS (SELECT 1 FROM document_pages p WHERE p.document_id = d.id) OR d.rowid IN (SELECT rowid FROM document_fts))`;

/**
 * The maintenance side of the full-text index (the `reindex` command): which documents to
 * rebuild, in rowid batches, and the sweep of entries whose document is gone. Searching and
 * indexing one document stay in search.repository.
 */
export const reindexRepository = {
  async countReindexable(q: Queryable): Promise<number> {
    return (await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM documents d WHERE ${REINDEXABLE}`))!.n;
  },

  /** The next batch after a rowid, in rowid order (no OFFSET, so the walk stays cheap on a large table). */
  batchAfter(q: Queryable, afterRowid: number, limit: number) {
    return q.all<{ rowid: number; id: string; title: string }>(
      `SELECT d.rowid, d.id, d.title FROM documents d WHERE d.rowid > ? AND ${REINDEXABLE} ORDER BY d.rowid LIMIT ?`,
      [afterRowid, limit],
    );
  },

  /** Removes index entries of documents that are destroyed or gone; returns how many. */
  async removeOrphans(q: Queryable): Promise<number> {
    return (await q.run('DELETE FROM document_fts WHERE rowid NOT IN (SELECT rowid FROM documents WHERE destroyed_at IS NULL)')).changes;
  },
};
