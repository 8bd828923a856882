import type { Queryable } from './database.js';

export type Ranked = { rowid: number; score: number };

/** How many slices one ranking is split into at most: its own connection and up to 7 idle slice connections (DOSSIER_SEARCH_SLICES is capped to match). */
export const MAX_SLICES = 8;

/**
 * Ranks a large match set in rowid slices at once, one on the search's own connection and one
 * on each idle slice connection (DOSSIER_SEARCH_SLICES), and merges the slices' top hits: what
 * Lucene's IndexSearcher does over index slices with an executor. bm25 is computed over every match whatever is done (FTS5 has no early termination),
 * so a near-universal term (`ka*` matches 92% of the documents) costs as much as its matches;
 * two cores rank it in about half the time.
 *
 * The results are the unsliced ones: FTS5 takes bm25's statistics (documents, matching
 * documents, average length) from the whole index, not from the rowid range, so every hit gets
 * the score it gets unsliced, and equal scores are ordered by rowid, as the unsliced scan (rowid
 * order, SQLite's stable sort) orders them. Each slice is its own read, so a write committed
 * between them can shift the statistics of one slice: a search running beside indexing may rank
 * as if it ran a moment earlier or later, as its count already may.
 *
 * `matches` selects `rowid` and `score` from document_fts and ends in its WHERE clause.
 * Falls back to one statement when no slice connection is idle (another search is using them).
 */
export async function rankSliced(q: Queryable, matches: string, args: unknown[], limit: number, offset: number): Promise<Ranked[]> {
  const whole = () => q.all<Ranked>(`${matches} ORDER BY score LIMIT ? OFFSET ?`, [...args, limit, offset]);
  if (!q.withSpare) return whole();
  return q.withSpare(MAX_SLICES - 1, async (spare) => {
    if (spare.length === 0) return whole();
    // Two subqueries: min and max in one SELECT is a full scan (5 ms at 100k), each alone one seek.
    const b = await q.get<{ lo: number | null; hi: number | null }>('SELECT (SELECT min(rowid) FROM documents) AS lo, (SELECT max(rowid) FROM documents) AS hi');
    if (b?.lo == null || b.hi == null) return [];
    const conns = [q, ...spare];
    const step = Math.ceil((b.hi - b.lo + 1) / conns.length);
    const parts = await Promise.all(
      conns.map((c, i) =>
        c.all<Ranked>(`${matches} AND rowid BETWEEN ? AND ? ORDER BY score LIMIT ?`, [...args, b.lo! + i * step, b.lo! + (i + 1) * step - 1, offset + limit]),
      ),
    );
    return parts
      .flat()
      .sort((x, y) => x.score - y.score || x.rowid - y.rowid)
      .slice(offset, offset + limit);
  });
}
