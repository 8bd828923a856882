import type { Queryable } from './database.js';

export type HoldKind = 'customer' | 'document' | 'documents' | 'query';

export type HoldRow = {
  id: string;
  kind: HoldKind;
  reason: string;
  customer_id: string | null;
  document_id: string | null;
  q_type: string | null;
  q_from: string | null;
  q_to: string | null;
  q_text: string | null;
  placed_by: string;
  placed_at: string;
  released_by: string | null;
  released_at: string | null;
  release_reason: string | null;
};

export type NewHold = Omit<HoldRow, 'released_by' | 'released_at' | 'release_reason'>;

/**
 * True when active hold `h` covers document `d` (both are SQL aliases). The one definition of
 * "held": the documents repository's `on_hold`, the due list and the dossier all use it.
 * Structured query holds also cover documents that arrive later; a text query is frozen.
 */
export function holdCovers(h: string, d: string): string {
  const date = `COALESCE(${d}.doc_date, substr(${d}.created_at, 1, 10))`;
  return `${h}.released_at IS NULL AND (
    ${h}.document_id = ${d}.id
    OR (${h}.kind = 'customer' AND ${h}.customer_id = ${d}.customer_id)
    OR (${h}.kind = 'query' AND ${h}.q_text IS NULL
        AND (${h}.customer_id IS NULL OR ${h}.customer_id = ${d}.customer_id)
        AND (${h}.q_type IS NULL OR ${h}.q_type = ${d}.type)
        AND (${h}.q_from IS NULL OR ${date} >= ${h}.q_from)
        AND (${h}.q_to IS NULL OR ${date} <= ${h}.q_to))
    OR EXISTS (SELECT 1 FROM legal_hold_documents hd WHERE hd.hold_id = ${h}.id AND hd.document_id = ${d}.id))`;
}

const COLUMNS: (keyof NewHold)[] = ['id', 'kind', 'reason', 'customer_id', 'document_id', 'q_type', 'q_from', 'q_to', 'q_text', 'placed_by', 'placed_at'];

/** Legal holds: placing, releasing, and which documents one covers. */
export const holdsRepository = {
  async insert(q: Queryable, h: NewHold, documentIds: string[] = []): Promise<void> {
    await q.run(`INSERT INTO legal_holds (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`, COLUMNS.map((c) => h[c]));
    for (const id of documentIds) await q.run('INSERT INTO legal_hold_documents (hold_id, document_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [h.id, id]);
  },

  get(q: Queryable, id: string) {
    return q.get<HoldRow>('SELECT * FROM legal_holds WHERE id = ?', [id]);
  },

  async release(q: Queryable, id: string, by: string, at: string, reason: string): Promise<boolean> {
    const r = await q.run('UPDATE legal_holds SET released_by = ?, released_at = ?, release_reason = ? WHERE id = ? AND released_at IS NULL', [by, at, reason, id]);
    return r.changes === 1;
  },

  list(q: Queryable, f: { active?: boolean; customerId?: string; limit: number }) {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.active === true) where.push('h.released_at IS NULL');
    if (f.active === false) where.push('h.released_at IS NOT NULL');
    if (f.customerId) {
      where.push(`(h.customer_id = ? OR EXISTS (SELECT 1 FROM documents d WHERE d.customer_id = ? AND ${holdCovers('h', 'd')}))`);
      args.push(f.customerId, f.customerId);
    }
    return q.all<HoldRow>(`SELECT h.* FROM legal_holds h ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY h.placed_at DESC, h.id LIMIT ?`, [...args, f.limit]);
  },

  /** Active holds that concern a customer: on the customer, or covering at least one of its documents. */
  activeForCustomer(q: Queryable, customerId: string) {
    return q.all<HoldRow>(
      `SELECT h.* FROM legal_holds h WHERE h.released_at IS NULL
       AND (h.customer_id = ? OR EXISTS (SELECT 1 FROM documents d WHERE d.customer_id = ? AND d.destroyed_at IS NULL AND ${holdCovers('h', 'd')}))
       ORDER BY h.placed_at, h.id`,
      [customerId, customerId],
    );
  },

  /** Live documents a hold covers now (none once it is released). */
  coveredDocuments(q: Queryable, holdId: string, limit: number) {
    return q.all<{ id: string; customer_id: string | null; type: string; barcode: string | null; title: string }>(
      `SELECT d.id, d.customer_id, d.type, d.barcode, d.title FROM legal_holds h JOIN documents d ON ${holdCovers('h', 'd')}
       WHERE h.id = ? AND d.destroyed_at IS NULL ORDER BY d.customer_id, d.id LIMIT ?`,
      [holdId, limit],
    );
  },

  countCovered(q: Queryable, holdId: string) {
    return q
      .get<{ n: number }>(`SELECT COUNT(*) AS n FROM legal_holds h JOIN documents d ON ${holdCovers('h', 'd')} WHERE h.id = ? AND d.destroyed_at IS NULL`, [holdId])
      .then((r) => r?.n ?? 0);
  },

  /** Active holds covering one document, for explaining why it cannot go. */
  activeForDocument(q: Queryable, documentId: string) {
    return q.all<HoldRow>(`SELECT h.* FROM legal_holds h JOIN documents d ON d.id = ? WHERE ${holdCovers('h', 'd')} ORDER BY h.placed_at`, [documentId]);
  },

  countActive(q: Queryable) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM legal_holds WHERE released_at IS NULL').then((r) => r?.n ?? 0);
  },
};
