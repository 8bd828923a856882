import { SUBJECT, subjectParams } from './data-subject.js';
import type { Queryable } from './database.js';
import { max2 } from './dialect.js';
import { HOLD, type DocumentRow } from './documents.repository.js';

/** The last day a document must be kept: the schedule's end or a later extension decided in review. */
const effectiveEnd = (q: Queryable) => max2(q, 'd.retention_ends_on', 'COALESCE((SELECT MAX(x.until) FROM retention_extensions x WHERE x.document_id = d.id), d.retention_ends_on)');

/** 1 when the document is a pending item of a disposal that is not finished or cancelled. */
const IN_OPEN_DISPOSAL = `CASE WHEN EXISTS (SELECT 1 FROM disposal_items i JOIN disposals p ON p.id = i.disposal_id
  WHERE i.document_id = d.id AND i.status = 'pending' AND p.status IN ('proposed','approved','executing')) THEN 1 ELSE 0 END`;

export type DueRow = DocumentRow & { effective_end: string; extended_until: string | null; open_disposal_id: string | null };

export type DisposalRow = {
  id: string;
  kind: 'retention' | 'erasure';
  status: 'proposed' | 'approved' | 'executing' | 'completed' | 'cancelled';
  reason: string;
  due_before: string | null;
  customer_id: string | null;
  proposed_by: string;
  proposed_at: string;
  approved_by: string | null;
  approved_at: string | null;
  executed_by: string | null;
  executed_at: string | null;
  completed_at: string | null;
  cancelled_by: string | null;
  cancelled_at: string | null;
  cancel_reason: string | null;
  progress: string;
};

export type DisposalItemRow = {
  disposal_id: string;
  document_id: string;
  medium: 'digital' | 'paper';
  disposition: 'destroy' | 'review' | 'transfer';
  decision: 'destroy' | 'extend' | null;
  extend_until: string | null;
  decision_note: string | null;
  decided_by: string | null;
  status: 'pending' | 'destroyed' | 'transferred' | 'extended' | 'skipped';
  customer_id: string | null;
  type: string;
  barcode: string | null;
  doc_date: string | null;
  legal_basis: string;
  period: string;
  ends_on: string | null;
  location_path: string | null;
  done_at: string | null;
  done_by: string | null;
  method: string | null;
  objects_removed: number | null;
  note: string | null;
};

const ITEM_COLUMNS: (keyof DisposalItemRow)[] = [
  'disposal_id', 'document_id', 'medium', 'disposition', 'decision', 'extend_until', 'decision_note', 'decided_by', 'status',
  'customer_id', 'type', 'barcode', 'doc_date', 'legal_basis', 'period', 'ends_on', 'location_path', 'done_at', 'done_by',
  'method', 'objects_removed', 'note',
];

/** Retention queries (due lists, extensions) and the disposal workflow's tables. */
/** A live document whose retention (extensions included) has ended by a day, not yet announced as `retention.due`. */
export type DueUnannouncedRow = { id: string; customer_id: string | null; ends_on: string; disposition: string; legal_basis: string };

export const retentionRepository = {
  /**
   * Live documents due by `day` (extensions included) with no `retention.due` event for that end
   * date in the outbox yet, earliest first. The dedupe key spelled here must match the one the
   * events service emits with: `retention.due:<id>:<ends_on>`.
   */
  dueUnannounced(q: Queryable, day: string, limit: number) {
    return q.all<DueUnannouncedRow>(
      `SELECT id, customer_id, ends_on, disposition, legal_basis FROM (
         SELECT d.id, d.customer_id, d.retention_disposition AS disposition, d.retention_legal_basis AS legal_basis,
           ${max2(q, 'd.retention_ends_on', "COALESCE((SELECT MAX(x.until) FROM retention_extensions x WHERE x.document_id = d.id), '')")} AS ends_on
         FROM documents d WHERE d.destroyed_at IS NULL AND d.retention_ends_on IS NOT NULL AND d.retention_ends_on <= ?) AS due
       WHERE due.ends_on <= ? AND NOT EXISTS (SELECT 1 FROM outbox_events e WHERE e.dedupe_key = 'retention.due:' || due.id || ':' || due.ends_on)
       ORDER BY due.ends_on, due.id LIMIT ?`,
      [day, day, limit],
    );
  },

  /**
   * Live documents whose retention (with extensions) ends before `before`, held ones included
   * (`on_hold` says which), oldest end first.
   */
  due(q: Queryable, before: string, limit: number) {
    return q.all<DueRow>(
      `SELECT * FROM (
         SELECT d.*, ${HOLD}, ${effectiveEnd(q)} AS effective_end,
           (SELECT MAX(x.until) FROM retention_extensions x WHERE x.document_id = d.id) AS extended_until,
           (SELECT i.disposal_id FROM disposal_items i JOIN disposals p ON p.id = i.disposal_id
             WHERE i.document_id = d.id AND i.status = 'pending' AND p.status IN ('proposed','approved','executing') LIMIT 1) AS open_disposal_id
         FROM documents d WHERE d.destroyed_at IS NULL AND d.retention_ends_on IS NOT NULL AND d.retention_ends_on < ?
       ) AS due WHERE effective_end < ? ORDER BY effective_end, id LIMIT ?`,
      [before, before, limit],
    );
  },

  /** Live documents by id with hold, effective end and open disposal, for a proposal. */
  documentsForProposal(q: Queryable, ids: string[]) {
    if (ids.length === 0) return Promise.resolve([] as DueRow[]);
    return q.all<DueRow>(
      `SELECT d.*, ${HOLD}, ${effectiveEnd(q)} AS effective_end,
         (SELECT MAX(x.until) FROM retention_extensions x WHERE x.document_id = d.id) AS extended_until,
         (SELECT i.disposal_id FROM disposal_items i JOIN disposals p ON p.id = i.disposal_id
           WHERE i.document_id = d.id AND i.status = 'pending' AND p.status IN ('proposed','approved','executing') LIMIT 1) AS open_disposal_id
       FROM documents d WHERE d.destroyed_at IS NULL AND d.id IN (${ids.map(() => '?').join(',')})`,
      ids,
    );
  },

  extendedUntil(q: Queryable, documentId: string) {
    return q.get<{ until: string | null }>('SELECT MAX(until) AS until FROM retention_extensions WHERE document_id = ?', [documentId]).then((r) => r?.until ?? null);
  },

  insertExtension(q: Queryable, e: { document_id: string; until: string; reason: string; decided_by: string; approved_by: string | null; disposal_id: string | null; at: string }) {
    return q.run('INSERT INTO retention_extensions (document_id, until, reason, decided_by, approved_by, disposal_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      e.document_id, e.until, e.reason, e.decided_by, e.approved_by, e.disposal_id, e.at,
    ]);
  },

  // ------------------------------------------------------------------------------ disposals

  insertDisposal(q: Queryable, r: Pick<DisposalRow, 'id' | 'kind' | 'status' | 'reason' | 'due_before' | 'customer_id' | 'proposed_by' | 'proposed_at'>) {
    return q.run(
      'INSERT INTO disposals (id, kind, status, reason, due_before, customer_id, proposed_by, proposed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [r.id, r.kind, r.status, r.reason, r.due_before, r.customer_id, r.proposed_by, r.proposed_at],
    );
  },

  getDisposal(q: Queryable, id: string) {
    return q.get<DisposalRow>('SELECT * FROM disposals WHERE id = ?', [id]);
  },

  listDisposals(q: Queryable, f: { status?: string; limit: number }) {
    return f.status
      ? q.all<DisposalRow>('SELECT * FROM disposals WHERE status = ? ORDER BY proposed_at DESC, id DESC LIMIT ?', [f.status, f.limit])
      : q.all<DisposalRow>('SELECT * FROM disposals ORDER BY proposed_at DESC, id DESC LIMIT ?', [f.limit]);
  },

  /** Sets columns of a disposal when its status is `from` (compare-and-swap); false when it was not. */
  async updateDisposal(q: Queryable, id: string, from: DisposalRow['status'][], patch: Partial<DisposalRow>): Promise<boolean> {
    const keys = Object.keys(patch);
    const r = await q.run(
      `UPDATE disposals SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ? AND status IN (${from.map(() => '?').join(',')})`,
      [...keys.map((k) => (patch as Record<string, unknown>)[k]), id, ...from],
    );
    return r.changes === 1;
  },

  async insertItem(q: Queryable, i: DisposalItemRow): Promise<void> {
    await q.run(`INSERT INTO disposal_items (${ITEM_COLUMNS.join(', ')}) VALUES (${ITEM_COLUMNS.map(() => '?').join(', ')})`, ITEM_COLUMNS.map((c) => i[c]));
  },

  items(q: Queryable, disposalId: string) {
    return q.all<DisposalItemRow>('SELECT * FROM disposal_items WHERE disposal_id = ? ORDER BY type, doc_date, document_id', [disposalId]);
  },

  pendingItems(q: Queryable, disposalId: string, limit: number, afterId = '') {
    return q.all<DisposalItemRow>(
      "SELECT * FROM disposal_items WHERE disposal_id = ? AND status = 'pending' AND document_id > ? ORDER BY document_id LIMIT ?",
      [disposalId, afterId, limit],
    );
  },

  item(q: Queryable, disposalId: string, documentId: string) {
    return q.get<DisposalItemRow>('SELECT * FROM disposal_items WHERE disposal_id = ? AND document_id = ?', [disposalId, documentId]);
  },

  itemByBarcode(q: Queryable, disposalId: string, barcode: string) {
    return q.get<DisposalItemRow>('SELECT * FROM disposal_items WHERE disposal_id = ? AND barcode = ?', [disposalId, barcode]);
  },

  async updateItem(q: Queryable, disposalId: string, documentId: string, patch: Partial<DisposalItemRow>): Promise<void> {
    const keys = Object.keys(patch);
    await q.run(`UPDATE disposal_items SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE disposal_id = ? AND document_id = ?`, [
      ...keys.map((k) => (patch as Record<string, unknown>)[k]),
      disposalId,
      documentId,
    ]);
  },

  itemCounts(q: Queryable, disposalId: string) {
    return q.all<{ status: string; medium: string; n: number }>('SELECT status, medium, COUNT(*) AS n FROM disposal_items WHERE disposal_id = ? GROUP BY status, medium', [
      disposalId,
    ]);
  },

  // ------------------------------------------------------------------------------ report

  /** Live documents per type, class and medium with retention state on `today` (and a horizon for "due soon"). */
  retentionSummary(q: Queryable, today: string, horizon: string) {
    return q.all<{ type: string; class: string; paper: number; n: number; open_ended: number; overdue: number; due_soon: number; held: number; held_overdue: number; in_disposal: number }>(
      `SELECT type, class, paper, COUNT(*) AS n,
         SUM(CASE WHEN effective_end IS NULL THEN 1 ELSE 0 END) AS open_ended,
         SUM(CASE WHEN effective_end IS NOT NULL AND effective_end <= ? AND on_hold = 0 THEN 1 ELSE 0 END) AS overdue,
         SUM(CASE WHEN effective_end > ? AND effective_end <= ? AND on_hold = 0 THEN 1 ELSE 0 END) AS due_soon,
         SUM(on_hold) AS held,
         SUM(CASE WHEN on_hold = 1 AND effective_end IS NOT NULL AND effective_end <= ? THEN 1 ELSE 0 END) AS held_overdue,
         SUM(in_disposal) AS in_disposal
       FROM (SELECT d.type, d.class, CASE WHEN d.barcode IS NOT NULL THEN 1 ELSE 0 END AS paper, ${HOLD}, ${effectiveEnd(q)} AS effective_end, ${IN_OPEN_DISPOSAL} AS in_disposal
             FROM documents d WHERE d.destroyed_at IS NULL) AS live
       GROUP BY type, class, paper ORDER BY type, class, paper`,
      [today, today, horizon, today],
    );
  },

  oldestOverdue(q: Queryable, today: string, limit: number) {
    return q.all<{ id: string; type: string; customer_id: string | null; barcode: string | null; effective_end: string }>(
      `SELECT * FROM (SELECT d.id, d.type, d.customer_id, d.barcode, ${HOLD}, ${effectiveEnd(q)} AS effective_end, ${IN_OPEN_DISPOSAL} AS in_disposal
         FROM documents d WHERE d.destroyed_at IS NULL AND d.retention_ends_on <= ?) AS due
       WHERE effective_end <= ? AND on_hold = 0 AND in_disposal = 0 ORDER BY effective_end, id LIMIT ?`,
      [today, today, limit],
    );
  },

  disposalCounts(q: Queryable) {
    return q.all<{ kind: string; status: string; n: number }>('SELECT kind, status, COUNT(*) AS n FROM disposals GROUP BY kind, status ORDER BY kind, status');
  },

  destroyedSince(q: Queryable, since: string) {
    return q.all<{ method: string; medium: string; n: number }>(
      "SELECT COALESCE(method, status) AS method, medium, COUNT(*) AS n FROM disposal_items WHERE status IN ('destroyed','transferred') AND done_at >= ? GROUP BY 1, 2",
      [since],
    );
  },

  paperAwaitingShredding(q: Queryable) {
    return q
      .get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM disposal_items i JOIN disposals p ON p.id = i.disposal_id WHERE p.status = 'executing' AND i.status = 'pending' AND i.medium = 'paper'",
      )
      .then((r) => r?.n ?? 0);
  },

  /**
   * Live paper with when it was last found in an inventory audit and last moved; `limit` rows of
   * those not seen in an audit since `since`, plus the counts.
   */
  async paperNotSeen(q: Queryable, since: string, limit: number) {
    const base = `SELECT d.id, d.barcode, d.customer_id, d.type, d.location_id, d.holder_user_id,
        (SELECT MAX(s.scanned_at) FROM inventory_audit_scans s WHERE s.barcode = d.barcode) AS last_audit_scan,
        (SELECT MAX(m.at) FROM movements m WHERE m.barcode = d.barcode) AS last_movement
      FROM documents d WHERE d.destroyed_at IS NULL AND d.barcode IS NOT NULL`;
    const counts = await q.get<{ total: number; never: number; stale: number; stale_no_move: number }>(
      `SELECT COUNT(*) AS total, SUM(CASE WHEN last_audit_scan IS NULL THEN 1 ELSE 0 END) AS never,
         SUM(CASE WHEN last_audit_scan IS NULL OR last_audit_scan < ? THEN 1 ELSE 0 END) AS stale,
         SUM(CASE WHEN (last_audit_scan IS NULL OR last_audit_scan < ?) AND (last_movement IS NULL OR last_movement < ?) THEN 1 ELSE 0 END) AS stale_no_move
       FROM (${base}) AS paper`,
      [since, since, since],
    );
    const rows = await q.all<{ id: string; barcode: string; customer_id: string | null; type: string; location_id: string | null; holder_user_id: string | null; last_audit_scan: string | null; last_movement: string | null }>(
      `SELECT * FROM (${base}) AS paper WHERE last_audit_scan IS NULL OR last_audit_scan < ? ORDER BY last_audit_scan IS NOT NULL, last_audit_scan, barcode LIMIT ?`,
      [since, limit],
    );
    return { total: counts?.total ?? 0, neverAudited: counts?.never ?? 0, notSeen: counts?.stale ?? 0, notSeenNorMoved: counts?.stale_no_move ?? 0, rows };
  },

  auditActionCounts(q: Queryable, since: string, actions: string[]) {
    return q.all<{ action: string; n: number }>(
      `SELECT action, COUNT(*) AS n FROM audit_events WHERE at >= ? AND action IN (${actions.map(() => '?').join(',')}) GROUP BY action`,
      [since, ...actions],
    );
  },

  restrictedCustomers(q: Queryable) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM customers WHERE restricted = 1').then((r) => r?.n ?? 0);
  },

  // ------------------------------------------------------------------------------ destruction & subject rights

  /**
   * What DestructionService leaves of a destroyed document beyond its tombstone: the review's
   * corrections (old and new key-point values), the classification trace (it quotes key points)
   * and open requests for the paper. Called in the same transaction as destroyInTx.
   */
  async scrubDestroyed(q: Queryable, documentId: string, at: string, by: string): Promise<void> {
    await q.run('DELETE FROM corrections WHERE document_id = ?', [documentId]);
    const scrubbed = q.dialect === 'sqlite'
      ? "json_object('by', json_extract(classification, '$.by'), 'confidence', 0, 'trace', json('[]'))"
      : "CAST(json_build_object('by', CAST(classification AS json)->'by', 'confidence', 0, 'trace', CAST('[]' AS json)) AS TEXT)";
    await q.run(`UPDATE documents SET classification = ${scrubbed},
      location_id = NULL, holder_user_id = NULL, due_back_on = NULL WHERE id = ?`, [documentId]);
    await q.run("UPDATE paper_requests SET status = 'cancelled', closed_at = ?, closed_by = ? WHERE document_id = ? AND status = 'open'", [at, by, documentId]);
  },

  /** A customer's audit events, oldest first (the access log of a subject-access export). */
  auditForCustomer(q: Queryable, customerId: string, limit: number) {
    return q.all<{ seq: number; at: string; actor_id: string | null; action: string; subject_type: string; subject_id: string | null; details: string }>(
      `SELECT seq, at, actor_id, action, subject_type, subject_id, details FROM audit_events
       WHERE customer_id = ? ORDER BY seq LIMIT ?`,
      [customerId, limit],
    );
  },

  /**
   * Letters mailed to a customer and their replies, including those left on numbers merged into it
   * (a mailing that reached both keeps the merged number's letter on that number; see SUBJECT).
   */
  lettersForCustomer(q: Queryable, customerId: string) {
    return q.all<{ barcode: string; customer_id: string; mailing_id: string; mailing_name: string; sent_at: string | null; replied_at: string | null; answer: string | null; reply_via: string | null; reply_document_id: string | null }>(
      `${SUBJECT} SELECT l.barcode, l.customer_id, l.mailing_id, m.name AS mailing_name, m.sent_at, l.replied_at, l.answer, l.reply_via, l.reply_document_id
       FROM mailing_letters l JOIN mailings m ON m.id = l.mailing_id WHERE l.customer_id IN (SELECT id FROM subject) ORDER BY m.created_at, l.barcode`,
      subjectParams(customerId),
    );
  },

  /** Blanks the answers read from the replies to these letters; the letters themselves stay. */
  async eraseLetterAnswers(q: Queryable, barcodes: string[]): Promise<number> {
    if (barcodes.length === 0) return 0;
    const r = await q.run(`UPDATE mailing_letters SET answer = NULL WHERE answer IS NOT NULL AND barcode IN (${barcodes.map(() => '?').join(', ')})`, barcodes);
    return r.changes;
  },

  /** Removes what Dossierlink holds about a customer beyond documents: status variables and learned letterhead phrases. */
  async eraseCustomerExtras(q: Queryable, customerId: string): Promise<{ statusVariables: number; statusHistory: number; aliases: number }> {
    const history = await q.run('DELETE FROM status_history WHERE customer_id = ?', [customerId]);
    const vars = await q.run('DELETE FROM status_variables WHERE customer_id = ?', [customerId]);
    const aliases = await q.run('DELETE FROM customer_aliases WHERE customer_id = ?', [customerId]);
    return { statusVariables: vars.changes, statusHistory: history.changes, aliases: aliases.changes };
  },

  /** Blanks a customer's contact data, keeping the number (tombstones and audit events refer to it). */
  pseudonymiseCustomer(q: Queryable, customerId: string, at: string) {
    return q.run(
      `UPDATE customers SET name = ?, kvk = NULL, email = NULL, address = NULL, postcode = NULL, city = NULL, attributes = ?, updated_at = ? WHERE id = ?`,
      [`[erased ${customerId}]`, JSON.stringify({ erasedOn: at.slice(0, 10) }), at, customerId],
    );
  },

  setRestricted(q: Queryable, customerId: string, restricted: boolean, at: string) {
    return q.run('UPDATE customers SET restricted = ?, updated_at = ? WHERE id = ?', [restricted ? 1 : 0, at, customerId]);
  },

  heldDocumentIds(q: Queryable, customerId: string) {
    return q
      .all<{ id: string; on_hold: number }>(`SELECT d.id, ${HOLD} FROM documents d WHERE d.customer_id = ? AND d.destroyed_at IS NULL`, [customerId])
      .then((r) => r.filter((x) => Number(x.on_hold) === 1).map((x) => x.id));
  },

  liveDocumentIds(q: Queryable, customerId: string) {
    return q.all<{ id: string }>('SELECT id FROM documents WHERE customer_id = ? AND destroyed_at IS NULL', [customerId]).then((r) => r.map((x) => x.id));
  },

  /** The head of the audit chain, quoted on certificates so a later edit of the log is visible. */
  auditHead(q: Queryable) {
    return q.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  },
};
