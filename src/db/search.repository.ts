import type { Queryable } from './database.js';

export type SearchFilters = {
  customerId?: string;
  type?: string;
  class?: 'dynamic' | 'static';
  from?: string;
  to?: string;
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
  return { sql: parts.join(' AND '), args };
}

export const searchRepository = {
  /** (Re)indexes a document's title and text under the document's rowid. */
  async index(q: Queryable, documentId: string, title: string, text: string): Promise<void> {
    const row = await q.get<{ rowid: number }>('SELECT rowid FROM documents WHERE id = ?', [documentId]);
    if (!row) return;
    await q.run('DELETE FROM document_fts WHERE rowid = ?', [row.rowid]);
    await q.run('INSERT INTO document_fts (rowid, title, text) VALUES (?, ?, ?)', [row.rowid, title, text]);
  },

  async remove(q: Queryable, documentId: string): Promise<void> {
    await q.run('DELETE FROM document_fts WHERE rowid = (SELECT rowid FROM documents WHERE id = ?)', [documentId]);
  },

  /** bm25-ranked hits (title weighs 3x text) with a highlighted snippet, filtered and paged. */
  async search(q: Queryable, match: string, f: SearchFilters, limit: number, offset: number): Promise<{ total: number; rows: SearchRow[] }> {
    const w = where(f);
    const total = await q.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM document_fts JOIN documents d ON d.rowid = document_fts.rowid
       WHERE document_fts MATCH ? AND ${w.sql}`,
      [match, ...w.args],
    );
    const rows = await q.all<SearchRow>(
      `SELECT d.id, d.customer_id, d.type, d.class, d.title, d.doc_date,
              bm25(document_fts, 3.0, 1.0) AS score,
              snippet(document_fts, 1, '${MARK_OPEN}', '${MARK_CLOSE}', '…', 16) AS snippet
       FROM document_fts JOIN documents d ON d.rowid = document_fts.rowid
       WHERE document_fts MATCH ? AND ${w.sql}
       ORDER BY score LIMIT ? OFFSET ?`,
      [match, ...w.args, limit, offset],
    );
    return { total: total?.n ?? 0, rows };
  },

  count(q: Queryable) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM document_fts').then((r) => r?.n ?? 0);
  },
};
