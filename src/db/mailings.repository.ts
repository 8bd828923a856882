import type { CustomerRow } from './customers.repository.js';
import type { Queryable } from './database.js';
import { jsonArrayValues } from './dialect.js';
import { notRestricted } from './restriction.repository.js';

/** Whom a coupon review item is about: the separator sheet's customer, else the letter whose code was read. */
export const REVIEW_CUSTOMER = 'COALESCE(coupon_reviews.hint_customer_id, (SELECT ml.customer_id FROM mailing_letters ml WHERE ml.barcode = coupon_reviews.code))';

export type MailingRow = {
  id: string;
  name: string;
  template: string;
  selection: string;
  letter_count: number;
  created_by: string | null;
  created_at: string;
  sent_at: string | null;
  sent_by: string | null;
};

export type LetterRow = {
  barcode: string;
  mailing_id: string;
  seq: number;
  customer_id: string;
  replied_at: string | null;
  answer: string | null;
  reply_via: 'batch' | 'scan' | 'review' | null;
  reply_document_id: string | null;
  reply_batch_id: string | null;
  reply_unit: number | null;
  /** Set when the mailing was marked as sent while the addressee was restricted (GDPR art. 18): not sent. */
  withheld_at: string | null;
};

/** A letter with what printing and CSV need of its customer. */
export type LetterWithCustomer = LetterRow & Pick<CustomerRow, 'name' | 'address' | 'postcode' | 'city'>;
/** A letter with its mailing, as a scanned code is looked up. */
export type LetterWithMailing = LetterRow & { mailing_name: string; template: string; sent_at: string | null };

export type CustomerFilter = { city?: string; postcodePrefix?: string; hasStatus?: string; lacksStatus?: string };

export type BatchRow = {
  id: string;
  status: 'queued' | 'processing' | 'done' | 'failed';
  page_count: number;
  job_id: string | null;
  summary: string;
  created_by: string | null;
  created_at: string;
  finished_at: string | null;
};
export type BatchFileRow = {
  batch_id: string;
  file_no: number;
  /** The file as kept: the upload, or once pages were erased from it its redacted copy. */
  sha256: string;
  mime: string;
  name: string | null;
  size: number;
  page_count: number;
  /** The upload's hash once it was replaced by a redacted copy (migration 022), so it is still refused as a duplicate. */
  original_sha256?: string | null;
};
export type CouponPageRow = {
  batch_id: string;
  page_no: number;
  file_no: number;
  file_page: number;
  kind: 'letter' | 'separator' | 'other' | 'invalid' | 'multiple' | 'none';
  code: string | null;
  answer: string | null;
  ticks: string | null;
  unit: number | null;
  outcome: 'received' | 'duplicate' | 'unknown' | 'unreadable' | 'invalid' | 'separator' | 'attached' | 'restricted' | null;
  /** Set when an erasure (GDPR art. 17) blanked the page's readings: code, answer and ticks are NULL. */
  erased_at: string | null;
  /** Set when the erased page was replaced by a placeholder in the batch's stored file (migration 022). */
  redacted_at?: string | null;
};
/** `restricted`: a coupon held because its customer's processing is restricted (GDPR art. 18). */
export type ReviewReason = 'unreadable' | 'unknown' | 'duplicate' | 'invalid' | 'multiple' | 'restricted';
export type ReviewRow = {
  id: string;
  /** NULL for a coupon held from a single (keyboard-wedge) scan: no batch, image or scanned original. */
  batch_id: string | null;
  unit: number;
  pages: string;
  reason: ReviewReason;
  code: string | null;
  answer: string | null;
  hint_customer_id: string | null;
  image_sha256: string | null;
  original_sha256: string | null;
  original_mime: string | null;
  original_size: number | null;
  status: 'open' | 'resolved' | 'discarded';
  resolution: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
  created_at: string;
};
export type SeparatorRow = { barcode: string; customer_id: string | null; type: string | null; created_by: string | null; created_at: string };

const LETTER_WITH_MAILING = `SELECT l.*, m.name AS mailing_name, m.template, m.sent_at FROM mailing_letters l JOIN mailings m ON m.id = l.mailing_id`;

/** Names of a status variable, optionally `name=value`. */
function statusClause(spec: string): { sql: string; params: string[] } {
  const eq = spec.indexOf('=');
  return eq < 0
    ? { sql: 's.name = ?', params: [spec] }
    : { sql: 's.name = ? AND s.value = ?', params: [spec.slice(0, eq), spec.slice(eq + 1)] };
}

export const mailingsRepository = {
  /** Reserves `n` consecutive values of a named counter in one statement; returns the first. */
  async reserve(q: Queryable, name: string, n: number): Promise<number> {
    const row = await q.get<{ value: number }>(
      'INSERT INTO sequences (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = sequences.value + excluded.value RETURNING value',
      [name, n],
    );
    return row!.value - n + 1;
  },

  customersByIds(q: Queryable, ids: string[]): Promise<CustomerRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    // json_each keeps this one statement with one parameter, whatever the selection's size.
    return q.all<CustomerRow>(`SELECT c.* FROM customers c WHERE c.id IN (${jsonArrayValues(q)})`, [JSON.stringify(ids)]);
  },

  customersByFilter(q: Queryable, f: CustomerFilter): Promise<CustomerRow[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (f.city) {
      where.push('lower(c.city) = lower(?)');
      params.push(f.city.trim());
    }
    if (f.postcodePrefix) {
      where.push(`upper(replace(c.postcode, ' ', '')) LIKE ? ESCAPE '\\'`);
      params.push(`${f.postcodePrefix.replace(/\s+/g, '').toUpperCase().replace(/[%_\\]/g, (m) => `\\${m}`)}%`);
    }
    if (f.hasStatus) {
      const s = statusClause(f.hasStatus);
      where.push(`EXISTS (SELECT 1 FROM status_variables s WHERE s.customer_id = c.id AND ${s.sql})`);
      params.push(...s.params);
    }
    if (f.lacksStatus) {
      const s = statusClause(f.lacksStatus);
      where.push(`NOT EXISTS (SELECT 1 FROM status_variables s WHERE s.customer_id = c.id AND ${s.sql})`);
      params.push(...s.params);
    }
    return q.all<CustomerRow>(`SELECT c.* FROM customers c ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.id`, params);
  },

  async insertMailing(q: Queryable, m: Omit<MailingRow, 'sent_at' | 'sent_by'>): Promise<void> {
    await q.run(
      'INSERT INTO mailings (id, name, template, selection, letter_count, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [m.id, m.name, m.template, m.selection, m.letter_count, m.created_by, m.created_at],
    );
  },

  /** Inserts letters 100 rows per statement: 1,598 letters are 16 statements, not 1,598. */
  async insertLetters(q: Queryable, mailingId: string, letters: { barcode: string; seq: number; customerId: string }[]): Promise<void> {
    for (let i = 0; i < letters.length; i += 100) {
      const chunk = letters.slice(i, i + 100);
      await q.run(
        `INSERT INTO mailing_letters (barcode, mailing_id, seq, customer_id) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap((l) => [l.barcode, mailingId, l.seq, l.customerId]),
      );
    }
  },

  get(q: Queryable, id: string) {
    return q.get<MailingRow>('SELECT * FROM mailings WHERE id = ?', [id]);
  },

  list(q: Queryable, limit: number, offset: number) {
    return q.all<MailingRow>('SELECT * FROM mailings ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?', [limit, offset]);
  },

  /** Replies per answer (`answer` NULL = received, answer not readable). */
  replyCounts(q: Queryable, mailingId: string) {
    return q.all<{ answer: string | null; n: number }>(
      'SELECT answer, COUNT(*) AS n FROM mailing_letters WHERE mailing_id = ? AND replied_at IS NOT NULL GROUP BY answer',
      [mailingId],
    );
  },

  /** Letters in print order with their customer, `offset`/`limit` by sequence number. */
  letters(q: Queryable, mailingId: string, offset = 0, limit = 1_000_000) {
    return q.all<LetterWithCustomer>(
      `SELECT l.*, c.name, c.address, c.postcode, c.city FROM mailing_letters l JOIN customers c ON c.id = l.customer_id
       WHERE l.mailing_id = ? ORDER BY l.seq LIMIT ? OFFSET ?`,
      [mailingId, limit, offset],
    );
  },

  letterByBarcode(q: Queryable, barcode: string) {
    return q.get<LetterWithMailing>(`${LETTER_WITH_MAILING} WHERE l.barcode = ?`, [barcode]);
  },

  /** Letters of a customer that have no reply yet, newest mailing first. */
  openLettersOfCustomer(q: Queryable, customerId: string, mailingId?: string) {
    return q.all<LetterWithMailing>(
      `${LETTER_WITH_MAILING} WHERE l.customer_id = ? AND l.replied_at IS NULL ${mailingId ? 'AND l.mailing_id = ?' : ''} ORDER BY m.created_at DESC`,
      mailingId ? [customerId, mailingId] : [customerId],
    );
  },

  /** Records a reply; 0 changes when the letter already had one (the caller decides what that means). */
  async markReplied(
    q: Queryable,
    barcode: string,
    r: { at: string; answer: string | null; via: 'batch' | 'scan' | 'review'; documentId: string | null; batchId?: string | null; unit?: number | null },
  ): Promise<number> {
    const res = await q.run(
      `UPDATE mailing_letters SET replied_at = ?, answer = ?, reply_via = ?, reply_document_id = ?, reply_batch_id = ?, reply_unit = ?
       WHERE barcode = ? AND replied_at IS NULL`,
      [r.at, r.answer, r.via, r.documentId, r.batchId ?? null, r.unit ?? null, barcode],
    );
    return res.changes;
  },

  /** Marks these letters of a mailing as withheld (GDPR art. 18: their addressee is restricted). */
  async markWithheld(q: Queryable, mailingId: string, barcodes: string[], at: string): Promise<void> {
    if (barcodes.length === 0) return;
    await q.run(`UPDATE mailing_letters SET withheld_at = ? WHERE mailing_id = ? AND barcode IN (${jsonArrayValues(q)}) AND withheld_at IS NULL`, [at, mailingId, JSON.stringify(barcodes)]);
  },

  async withheldCount(q: Queryable, mailingId: string): Promise<number> {
    return (await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM mailing_letters WHERE mailing_id = ? AND withheld_at IS NOT NULL', [mailingId]))!.n;
  },

  async markSent(q: Queryable, id: string, at: string, by: string): Promise<number> {
    return (await q.run('UPDATE mailings SET sent_at = ?, sent_by = ? WHERE id = ? AND sent_at IS NULL', [at, by, id])).changes;
  },

  // ------------------------------------------------------------ coupon batches

  async insertBatch(q: Queryable, b: Omit<BatchRow, 'summary' | 'finished_at'>, files: Omit<BatchFileRow, 'batch_id'>[]): Promise<void> {
    await q.run('INSERT INTO coupon_batches (id, status, page_count, job_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      b.id,
      b.status,
      b.page_count,
      b.job_id,
      b.created_by,
      b.created_at,
    ]);
    for (const f of files) {
      await q.run('INSERT INTO coupon_batch_files (batch_id, file_no, sha256, mime, name, size, page_count) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        b.id,
        f.file_no,
        f.sha256,
        f.mime,
        f.name,
        f.size,
        f.page_count,
      ]);
    }
  },

  async setBatchJob(q: Queryable, id: string, jobId: string): Promise<void> {
    await q.run('UPDATE coupon_batches SET job_id = ? WHERE id = ?', [jobId, id]);
  },

  getBatch(q: Queryable, id: string) {
    return q.get<BatchRow>('SELECT * FROM coupon_batches WHERE id = ?', [id]);
  },

  batchFiles(q: Queryable, id: string) {
    return q.all<BatchFileRow>('SELECT * FROM coupon_batch_files WHERE batch_id = ? ORDER BY file_no', [id]);
  },

  /** The earlier batch a file with these bytes came in with, if any (also when its pages were erased from it since). */
  batchWithFile(q: Queryable, sha256: string) {
    return q.get<{ batch_id: string }>('SELECT batch_id FROM coupon_batch_files WHERE sha256 = ? OR original_sha256 = ? LIMIT 1', [sha256, sha256]);
  },

  async setBatchStatus(q: Queryable, id: string, status: BatchRow['status'], extra: { summary?: string; finishedAt?: string } = {}): Promise<void> {
    await q.run('UPDATE coupon_batches SET status = ?, summary = COALESCE(?, summary), finished_at = COALESCE(?, finished_at) WHERE id = ?', [
      status,
      extra.summary ?? null,
      extra.finishedAt ?? null,
      id,
    ]);
  },

  /** Stores what was read on a page; a page read before (job re-run) keeps its first reading. */
  async insertPage(q: Queryable, p: Omit<CouponPageRow, 'unit' | 'outcome' | 'erased_at'>): Promise<void> {
    await q.run(
      `INSERT INTO coupon_pages (batch_id, page_no, file_no, file_page, kind, code, answer, ticks) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(batch_id, page_no) DO NOTHING`,
      [p.batch_id, p.page_no, p.file_no, p.file_page, p.kind, p.code, p.answer, p.ticks],
    );
  },

  pages(q: Queryable, batchId: string) {
    return q.all<CouponPageRow>('SELECT * FROM coupon_pages WHERE batch_id = ? ORDER BY page_no', [batchId]);
  },

  async setPageOutcome(q: Queryable, batchId: string, pageNos: number[], unit: number | null, outcome: NonNullable<CouponPageRow['outcome']>): Promise<void> {
    await q.run(`UPDATE coupon_pages SET unit = ?, outcome = ? WHERE batch_id = ? AND page_no IN (${jsonArrayValues(q, 'integer')})`, [
      unit,
      outcome,
      batchId,
      JSON.stringify(pageNos),
    ]);
  },

  // ------------------------------------------------------------ review queue

  async insertReview(q: Queryable, r: Omit<ReviewRow, 'resolution' | 'resolved_by' | 'resolved_at' | 'status'>): Promise<boolean> {
    const res = await q.run(
      `INSERT INTO coupon_reviews (id, batch_id, unit, pages, reason, code, answer, hint_customer_id, image_sha256, original_sha256, original_mime,
         original_size, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) ON CONFLICT(batch_id, unit) DO NOTHING`,
      [r.id, r.batch_id, r.unit, r.pages, r.reason, r.code, r.answer, r.hint_customer_id, r.image_sha256, r.original_sha256, r.original_mime, r.original_size, r.created_at],
    );
    return res.changes > 0;
  },

  /** The customer a review item is about, if known (GDPR art. 18 checks). */
  async reviewCustomer(q: Queryable, id: string): Promise<string | null> {
    const r = await q.get<{ customer_id: string | null }>(`SELECT ${REVIEW_CUSTOMER} AS customer_id FROM coupon_reviews WHERE id = ?`, [id]);
    return r?.customer_id ?? null;
  },

  getReview(q: Queryable, id: string) {
    return q.get<ReviewRow>('SELECT * FROM coupon_reviews WHERE id = ?', [id]);
  },

  /** The open hold of a letter's coupon (reason `restricted`), if it was held before. */
  openHold(q: Queryable, code: string) {
    return q.get<ReviewRow>("SELECT * FROM coupon_reviews WHERE code = ? AND status = 'open' AND reason = 'restricted' ORDER BY created_at LIMIT 1", [code]);
  },

  listReviews(q: Queryable, f: { status?: ReviewRow['status']; batchId?: string; limit: number; offset: number; hideRestricted?: boolean }) {
    const where: string[] = [];
    if (f.hideRestricted) where.push(notRestricted(REVIEW_CUSTOMER));
    const params: (string | number)[] = [];
    if (f.status) {
      where.push('status = ?');
      params.push(f.status);
    }
    if (f.batchId) {
      where.push('batch_id = ?');
      params.push(f.batchId);
    }
    return q.all<ReviewRow>(
      `SELECT * FROM coupon_reviews ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, batch_id, unit LIMIT ? OFFSET ?`,
      [...params, f.limit, f.offset],
    );
  },

  async closeReview(q: Queryable, id: string, status: 'resolved' | 'discarded', resolution: string, by: string, at: string): Promise<number> {
    return (
      await q.run(`UPDATE coupon_reviews SET status = ?, resolution = ?, resolved_by = ?, resolved_at = ? WHERE id = ? AND status = 'open'`, [
        status,
        resolution,
        by,
        at,
        id,
      ])
    ).changes;
  },

  // ------------------------------------------------------------ separator sheets

  async insertSeparator(q: Queryable, s: SeparatorRow): Promise<void> {
    await q.run('INSERT INTO separator_sheets (barcode, customer_id, type, created_by, created_at) VALUES (?, ?, ?, ?, ?)', [
      s.barcode,
      s.customer_id,
      s.type,
      s.created_by,
      s.created_at,
    ]);
  },

  separator(q: Queryable, barcode: string) {
    return q.get<SeparatorRow>('SELECT * FROM separator_sheets WHERE barcode = ?', [barcode]);
  },
};
