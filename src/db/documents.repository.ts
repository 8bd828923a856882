import type { Queryable } from './database.js';
import { holdCovers } from './holds.repository.js';
import { notRestricted } from './restriction.repository.js';

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
  /** Why it failed as a code (error.<code> in the interface) and that error's parameters as JSON (023). */
  error_code: string | null;
  error_details: string | null;
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

export type NewDocument = Omit<DocumentRow, 'on_hold' | 'destroyed_at' | 'text_minhash' | 'near_duplicate_of' | 'error_code' | 'error_details'>;
export type DocumentPatch = Partial<NewDocument & Pick<DocumentRow, 'text_minhash' | 'near_duplicate_of' | 'destroyed_at' | 'error_code' | 'error_details'>>;

// Customer, document-set and query holds: see holdCovers (007_retention.sql).
export const HOLD = `CASE WHEN EXISTS (SELECT 1 FROM legal_holds h WHERE ${holdCovers('h', 'd')}) THEN 1 ELSE 0 END AS on_hold`;

const COLUMNS: (keyof NewDocument)[] = [
  'id', 'customer_id', 'type', 'class', 'status', 'barcode', 'title', 'doc_date', 'fields', 'classification',
  'location_id', 'holder_user_id', 'due_back_on', 'original_sha256', 'original_mime', 'original_name',
  'original_size', 'archive_sha256', 'page_count', 'error', 'retention_legal_basis', 'retention_trigger',
  'retention_starts_on', 'retention_period', 'retention_ends_on', 'retention_disposition', 'source',
  'created_by', 'created_at', 'updated_at',
];

const UPDATABLE = new Set<string>([...COLUMNS, 'text_minhash', 'near_duplicate_of', 'destroyed_at', 'error_code', 'error_details']);

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
       WHERE text_minhash IS NOT NULL AND destroyed_at IS NULL AND id <> ? AND customer_id IS NOT DISTINCT FROM ?
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

  /** A document in any state, destroyed ones (tombstones) included; no hold column. For event payloads. */
  anyState(q: Queryable, id: string) {
    return q.get<DocumentRow>('SELECT * FROM documents WHERE id = ?', [id]);
  },

  /** The next batch of live documents after a rowid, in rowid order: walks the whole table without OFFSET. */
  liveBatchAfter(q: Queryable, afterRowid: number, limit: number) {
    return q.all<DocumentRow & { rowid: number }>('SELECT rowid, * FROM documents WHERE destroyed_at IS NULL AND rowid > ? ORDER BY rowid LIMIT ?', [afterRowid, limit]);
  },

  /** Live documents waiting for review, oldest first; `hideRestricted` leaves restricted customers' out (GDPR art. 18). */
  async reviewQueue(q: Queryable, hideRestricted: boolean, limit: number, offset: number): Promise<{ total: number; ids: string[] }> {
    const hide = hideRestricted ? ` AND ${notRestricted('customer_id')}` : '';
    const total = (await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM documents WHERE status = 'needs_review' AND destroyed_at IS NULL${hide}`))!.n;
    const rows = await q.all<{ id: string }>(
      `SELECT id FROM documents WHERE status = 'needs_review' AND destroyed_at IS NULL${hide} ORDER BY created_at LIMIT ? OFFSET ?`,
      [limit, offset],
    );
    return { total, ids: rows.map((r) => r.id) };
  },

  /** Whether another live document holds these bytes (as original or archive), so the object must stay. */
  async objectSharedWithOthers(q: Queryable, documentId: string, sha256: string): Promise<boolean> {
    const shared = await q.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM documents WHERE id <> ? AND destroyed_at IS NULL AND (original_sha256 = ? OR archive_sha256 = ?)',
      [documentId, sha256, sha256],
    );
    return shared!.n > 0;
  },

  async deletePages(q: Queryable, documentId: string): Promise<void> {
    await q.run('DELETE FROM document_pages WHERE document_id = ?', [documentId]);
  },

  /** After a crash: documents whose ingest job died on its last attempt become `failed`, with the job's error. */
  async failWhereIngestFailed(q: Queryable, now: string): Promise<number> {
    const r = await q.run(
      `UPDATE documents SET status = 'failed', updated_at = ?,
         error = COALESCE((SELECT substr(j.last_error, 1, 500) FROM jobs j WHERE j.idempotency_key = 'ingest:' || documents.id), 'processing failed'),
         error_code = 'processing_failed', error_details = NULL
       WHERE status IN ('queued','processing') AND destroyed_at IS NULL
         AND EXISTS (SELECT 1 FROM jobs j WHERE j.idempotency_key = 'ingest:' || documents.id AND j.status = 'failed')`,
      [now],
    );
    return r.changes;
  },

  /** After a crash: documents left `processing` whose ingest job was put back become `queued`. */
  async requeueWhereIngestQueued(q: Queryable, now: string): Promise<number> {
    const r = await q.run(
      `UPDATE documents SET status = 'queued', updated_at = ?
       WHERE status = 'processing' AND destroyed_at IS NULL
         AND EXISTS (SELECT 1 FROM jobs j WHERE j.idempotency_key = 'ingest:' || documents.id AND j.status = 'queued')`,
      [now],
    );
    return r.changes;
  },

  /** A retried ingest: the failed document goes back to `queued` (no-op for any other status). */
  async requeueFailed(q: Queryable, id: string, now: string): Promise<void> {
    await q.run(`UPDATE documents SET status = 'queued', error = NULL, error_code = NULL, error_details = NULL, updated_at = ? WHERE id = ? AND status = 'failed'`, [now, id]);
  },

  /** How many of a customer's documents are paper (have a barcode); for the merge report. */
  async countPaperOf(q: Queryable, customerId: string): Promise<number> {
    return (await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM documents WHERE customer_id = ? AND barcode IS NOT NULL', [customerId]))!.n;
  },

  /** Moves every document of one customer to another (a merge); returns how many moved. */
  async moveCustomer(q: Queryable, fromId: string, intoId: string, now: string): Promise<number> {
    return (await q.run('UPDATE documents SET customer_id = ?, updated_at = ? WHERE customer_id = ?', [intoId, now, fromId])).changes;
  },
};
