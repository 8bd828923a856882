import type { Queryable } from './database.js';
import { holdCovers } from './holds.repository.js';

export type DocumentRow = {
  id: string;
  customer_id: string | null;
  type: string;
  class: 'dynamic' | 'static';
  status: 'queued' | 'processing' | 'ready' | 'needs_review' | 'failed';
  barcode: string | null;
  title: string;
  doc_date: string | null;
  fields: string;
  classification: string;
  location_id: string | null;
  holder_user_id: string | null;
  due_back_on: string | null;
  original_sha256: string | null;
  original_mime: string | null;
  original_name: string | null;
  original_size: number | null;
  archive_sha256: string | null;
  page_count: number | null;
  error: string | null;
  retention_legal_basis: string;
  retention_trigger: string;
  retention_starts_on: string | null;
  retention_period: string;
  retention_ends_on: string | null;
  retention_disposition: 'destroy' | 'review' | 'transfer';
  source: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  destroyed_at: string | null;
  text_minhash: string | null;
  near_duplicate_of: string | null;
  /** Computed by the queries below: 1 when an active legal hold covers the document or its customer. */
  on_hold?: number;
};

export type NewDocument = Omit<DocumentRow, 'on_hold' | 'destroyed_at' | 'text_minhash' | 'near_duplicate_of'>;
export type DocumentPatch = Partial<NewDocument & Pick<DocumentRow, 'text_minhash' | 'near_duplicate_of' | 'destroyed_at'>>;

// Customer, document-set and query holds: see holdCovers (007_retention.sql).
export const HOLD = `EXISTS (SELECT 1 FROM legal_holds h WHERE ${holdCovers('h', 'd')}) AS on_hold`;

const COLUMNS: (keyof NewDocument)[] = [
  'id', 'customer_id', 'type', 'class', 'status', 'barcode', 'title', 'doc_date', 'fields', 'classification',
  'location_id', 'holder_user_id', 'due_back_on', 'original_sha256', 'original_mime', 'original_name',
  'original_size', 'archive_sha256', 'page_count', 'error', 'retention_legal_basis', 'retention_trigger',
  'retention_starts_on', 'retention_period', 'retention_ends_on', 'retention_disposition', 'source',
  'created_by', 'created_at', 'updated_at',
];

const UPDATABLE = new Set<string>([...COLUMNS, 'text_minhash', 'near_duplicate_of', 'destroyed_at']);

export type PageText = { pageNo: number; text: string; source: 'text-layer' | 'ocr' | 'manual'; confidence: number | null };

export const documentsRepository = {
  async insert(q: Queryable, d: NewDocument): Promise<void> {
    await q.run(
      `INSERT INTO documents (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
      COLUMNS.map((c) => d[c]),
    );
  },

  get(q: Queryable, id: string) {
    return q.get<DocumentRow>(`SELECT d.*, ${HOLD} FROM documents d WHERE d.id = ? AND d.destroyed_at IS NULL`, [id]);
  },

  byBarcode(q: Queryable, barcode: string) {
    return q.get<DocumentRow>(`SELECT d.*, ${HOLD} FROM documents d WHERE d.barcode = ? AND d.destroyed_at IS NULL`, [barcode]);
  },

  bySha256(q: Queryable, sha256: string) {
    return q.get<DocumentRow>(
      `SELECT d.*, ${HOLD} FROM documents d WHERE d.original_sha256 = ? AND d.destroyed_at IS NULL ORDER BY d.created_at LIMIT 1`,
      [sha256],
    );
  },

  /** A customer's documents, digital and paper, newest first (by document date, then registration). */
  byCustomer(q: Queryable, customerId: string) {
    return q.all<DocumentRow>(
      `SELECT d.*, ${HOLD} FROM documents d WHERE d.customer_id = ? AND d.destroyed_at IS NULL
       ORDER BY COALESCE(d.doc_date, substr(d.created_at, 1, 10)) DESC, d.created_at DESC, d.id DESC`,
      [customerId],
    );
  },

  /** Updates the named columns; `updated_at` is always set. */
  async update(q: Queryable, id: string, patch: DocumentPatch, now: string): Promise<number> {
    const keys = Object.keys(patch).filter((k) => UPDATABLE.has(k) && k !== 'id');
    const sets = [...keys.map((k) => `${k} = ?`), 'updated_at = ?'];
    const r = await q.run(`UPDATE documents SET ${sets.join(', ')} WHERE id = ?`, [
      ...keys.map((k) => (patch as Record<string, unknown>)[k]),
      now,
      id,
    ]);
    return r.changes;
  },

  async replacePages(q: Queryable, documentId: string, pages: PageText[]): Promise<void> {
    await q.run('DELETE FROM document_pages WHERE document_id = ?', [documentId]);
    for (const p of pages) {
      await q.run('INSERT INTO document_pages (document_id, page_no, text, source, confidence) VALUES (?, ?, ?, ?, ?)', [
        documentId,
        p.pageNo,
        p.text,
        p.source,
        p.confidence,
      ]);
    }
  },

  pages(q: Queryable, documentId: string) {
    return q.all<{ page_no: number; text: string; source: string; confidence: number | null }>(
      'SELECT page_no, text, source, confidence FROM document_pages WHERE document_id = ? ORDER BY page_no',
      [documentId],
    );
  },

  /** Documents whose text MinHash is known, of one customer (or of none), to compare a new one with. */
  minhashes(q: Queryable, customerId: string | null, excludeId: string) {
    return q.all<{ id: string; text_minhash: string }>(
      `SELECT id, text_minhash FROM documents
       WHERE text_minhash IS NOT NULL AND destroyed_at IS NULL AND id <> ? AND customer_id IS ?
       ORDER BY created_at DESC LIMIT 5000`,
      [excludeId, customerId],
    );
  },

  countByType(q: Queryable) {
    return q.all<{ type: string; class: string; n: number }>(
      'SELECT type, class, COUNT(*) AS n FROM documents WHERE destroyed_at IS NULL GROUP BY type, class ORDER BY type, class',
    );
  },

  count(q: Queryable) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM documents WHERE destroyed_at IS NULL').then((r) => r?.n ?? 0);
  },
};
