import type { Queryable } from './database.js';
import { notRestricted, RESTRICTED_DOCUMENT_ROWIDS } from './restriction.repository.js';

export type SearchFilters = {
  customerId?: string;
  type?: string;
  class?: 'dynamic' | 'static';
  from?: string;
  to?: string;
  /** GDPR art. 18: leave out documents of restricted customers (set from who searches, never from the query string). */
  hideRestricted?: boolean;
};

export type SearchRow = { id: string; customer_id: string | null; type: string; class: string; title: string; doc_date: string | null; score: number; snippet: string };

// Private-use markers survive snippet(); the service escapes the text and turns them into <mark>.
export const MARK_OPEN = '\uE000';
export const MARK_CLOSE = '\uE001';

function where(f: SearchFilters): { sql: string; args: unknown[] } {
  const parts = ['d.destroyed_at IS NULL'];
  const args: unknown[] = [];
  if (f.customerId) (parts.push('d.customer_id = ?'), args.push(f.customerId));
  if (f.type) (parts.push('d.type = ?'), args.push(f.type));
  if (f.class) (parts.push('d.class = ?'), args.push(f.class));
  if (f.from) (parts.push('d.doc_date >= ?'), args.push(f.from));
  if (f.to) (parts.push('d.doc_date <= ?'), args.push(f.to));
  if (f.hideRestricted) parts.push(notRestricted('d.customer_id'));
  return { sql: parts.join(' AND '), args };
}

/** Totals are counted up to this; past it the total says "at least". Nobody pages to hit 10,001. */
export const TOTAL_CAP = 10_000;

function hasFilters(f: SearchFilters): boolean {
  return Boolean(f.customerId || f.type || f.class || f.from || f.to);
}

export const searchRepository = {
  /** (Re)indexes a document's title and text under the document's rowid. */
  async index(q: Queryable, documentId: string, title: string, text: string): Promise<void> {
    await q.run('DELETE FROM document_fts WHERE rowid = (SELECT rowid FROM documents WHERE id = ?)', [documentId]);
    await q.run('INSERT INTO document_fts (rowid, title, text) SELECT rowid, ?, ? FROM documents WHERE id = ?', [title, text, documentId]);
  },

  async remove(q: Queryable, documentId: string): Promise<void> {
    await q.run('DELETE FROM document_fts WHERE rowid = (SELECT rowid FROM documents WHERE id = ?)', [documentId]);
  },

  /**
   * bm25-ranked hits (title weighs 3x text) with a highlighted snippet, filtered and paged.
   * The ranking runs inside FTS5 on rowids only; documents are joined and snippets built for
   * the one page of hits that is returned, not for every match.
   */
  async search(q: Queryable, match: string, f: SearchFilters, limit: number, offset: number): Promise<{ total: number; totalCapped: boolean; rows: SearchRow[] }> {
    const w = where(f);
    // Destroyed documents leave the index when they are destroyed, so without filters the
    // index alone answers; with filters the documents table narrows the matches.
    let matches: string;
    let args: unknown[];
    let order: string;
    if (f.customerId) {
      // Within one dossier hits come newest first. bm25 would cost a walk of the whole posting
      // list of a common word (its IDF) to rank a customer's few documents: 0.5 s at 100k.
      // The index is asked about the customer's documents only (a seek per rowid), not for every
      // match of a common word: 22 ms -> 1 ms at 100k for "klant".
      matches = `SELECT d.rowid AS rowid, 0 AS score, COALESCE(d.doc_date, '') AS d8 FROM documents d
        WHERE ${w.sql} AND d.rowid IN (SELECT rowid FROM document_fts WHERE document_fts MATCH ?
          AND rowid IN (SELECT rowid FROM documents WHERE customer_id = ?))`;
      args = [...w.args, match, f.customerId];
      order = 'd8 DESC, rowid DESC';
    } else {
      // Filters become a set of rowids read from a covering index (migration 015); `+rowid`
      // keeps SQLite from turning the IN into one index seek per rowid (seconds), so the index
      // is scanned in rowid order as without filters (same ties, same order) and bm25 is only
      // computed for matches inside the set. The restriction rides along in that set (w.sql).
      // Without filters: restricted customers are few, their rowids one short list, so hiding
      // them keeps the index-only plan.
      const hide = f.hideRestricted ? ` AND rowid NOT IN (${RESTRICTED_DOCUMENT_ROWIDS})` : '';
      matches = hasFilters(f)
        ? `SELECT rowid, bm25(document_fts, 3.0, 1.0) AS score FROM document_fts
           WHERE document_fts MATCH ? AND +rowid IN (SELECT d.rowid FROM documents d WHERE ${w.sql})`
        : `SELECT rowid, bm25(document_fts, 3.0, 1.0) AS score FROM document_fts WHERE document_fts MATCH ?${hide}`;
      args = [match, ...(hasFilters(f) ? w.args : [])];
      order = 'score';
    }
    const counted = await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (${matches.replace(/, bm25\(document_fts, 3\.0, 1\.0\) AS score/, '')} LIMIT ${TOTAL_CAP + 1})`, args);
    const total = Math.min(counted?.n ?? 0, TOTAL_CAP);
    const top = await q.all<{ rowid: number; score: number }>(`${matches} ORDER BY ${order} LIMIT ? OFFSET ?`, [...args, limit, offset]);
    if (top.length === 0) return { total, totalCapped: (counted?.n ?? 0) > TOTAL_CAP, rows: [] };
    const rows = await q.all<SearchRow & { rowid: number }>(
      `SELECT d.rowid AS rowid, d.id, d.customer_id, d.type, d.class, d.title, d.doc_date,
              snippet(document_fts, 1, '${MARK_OPEN}', '${MARK_CLOSE}', '…', 16) AS snippet
       FROM document_fts JOIN documents d ON d.rowid = document_fts.rowid
       WHERE document_fts MATCH ? AND document_fts.rowid IN (${top.map(() => '?').join(',')})`,
      [match, ...top.map((t) => t.rowid)],
    );
    const byRowid = new Map(rows.map((r) => [r.rowid, r]));
    return {
      total,
      totalCapped: (counted?.n ?? 0) > TOTAL_CAP,
      rows: top.flatMap((t) => {
        const r = byRowid.get(t.rowid);
        return r ? [{ ...r, score: t.score }] : [];
      }),
    };
  },

  count(q: Queryable) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM document_fts').then((r) => r?.n ?? 0);
  },
};
