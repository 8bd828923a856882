import type { Logger } from 'pino';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { renderDestructionCertificatePdf } from '../adapters/pdf/destruction-certificate.pdf.js';
import type { OutputLang } from '../domain/output-language.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { holdsRepository } from '../db/holds.repository.js';
import { locationsRepository } from '../db/locations.repository.js';
import { retentionRepository, type DisposalItemRow, type DisposalRow, type DueRow } from '../db/retention.repository.js';
import { usersRepository } from '../db/users.repository.js';
import { effectiveEnd, executionStep, isComplete, mediumOf, retentionEnded, type DisposalKind } from '../domain/disposal.js';
import type { LocationRef } from '../domain/document.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { comparePaths } from '../domain/tracking.js';
import { AppError, Conflict, Invalid, NotFound, UnknownReference } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, today, type Clock } from './clock.js';
import type { DestructionService } from './destruction.service.js';
import { requireSecondPerson } from './four-eyes.js';
import { locateDocument } from './documents.service.js';
import { eraseCustomerDataInTx } from './subject-rights.service.js';
import { parseItemCode } from './tracking.service.js';

/** Items executed per transaction: a crash loses at most a batch, and progress is visible between them. */
const BATCH = 50;
/** A disposal larger than this is split: proposals that big are a mistake in the date more often than a plan. */
export const MAX_ITEMS = 50_000;
const OPEN: DisposalRow['status'][] = ['proposed', 'approved', 'executing'];

export type ProposeInput = { reason: string; documentIds?: string[]; dueBefore?: string };

export type PickListEntry = {
  documentId: string;
  barcode: string;
  title: string;
  type: string;
  customerId: string | null;
  customerName: string | null;
  action: 'shred' | 'transfer';
  endsOn: string | null;
  location: LocationRef | null;
  available: boolean;
};

/**
 * The disposal workflow: a proposal (documents or "all due before"), approval by a second
 * compliance officer (four eyes), then execution. Digital copies go at execution through
 * DestructionService; paper waits on a pick list until each barcode is scanned as shredded; review
 * items are decided (extend or destroy) before approval; transfer items are confirmed per item.
 * Every step is an audit event; the certificate of destruction is generated from the items.
 */
export class DisposalService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly audit: AuditService,
    private readonly destruction: DestructionService,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  // ------------------------------------------------------------------------------ proposal

  async propose(input: ProposeInput, actor: Principal) {
    if ((input.documentIds === undefined) === (input.dueBefore === undefined)) {
      throw new Invalid('Give either documentIds or dueBefore', undefined, 'invalid_selection');
    }
    const id = await this.db.tx(async (q) => {
      let rows: DueRow[];
      let excludedHeld = 0;
      let excludedOpen = 0;
      if (input.documentIds) {
        const ids = [...new Set(input.documentIds)];
        if (ids.length === 0) throw new Invalid('documentIds is empty', undefined, 'invalid_selection');
        if (ids.length > MAX_ITEMS) throw new Invalid(`At most ${MAX_ITEMS} documents per disposal`, undefined, 'selection_too_large');
        rows = await retentionRepository.documentsForProposal(q, ids);
        const found = new Set(rows.map((r) => r.id));
        const unknown = ids.filter((i) => !found.has(i));
        if (unknown.length) throw new UnknownReference(`${unknown.length} document(s) do not exist or were destroyed`, { documentIds: unknown }, 'unknown_documents');
        const held = rows.filter((r) => r.on_hold).map((r) => r.id);
        if (held.length) throw new Conflict(`${held.length} document(s) are under a legal hold and cannot be disposed of`, { documentIds: held }, 'legal_hold');
        const open = rows.filter((r) => r.open_disposal_id).map((r) => ({ documentId: r.id, disposalId: r.open_disposal_id }));
        if (open.length) throw new Conflict(`${open.length} document(s) are already in an open disposal`, { documents: open }, 'already_proposed');
        const openEnded = rows.filter((r) => !r.effective_end).map((r) => r.id);
        if (openEnded.length) {
          throw new Conflict(`${openEnded.length} document(s) have no retention end yet (their trigger, e.g. the end of the relationship, has not happened)`, { documentIds: openEnded }, 'retention_open');
        }
      } else {
        const due = await retentionRepository.due(q, input.dueBefore!, MAX_ITEMS + 1);
        excludedHeld = due.filter((r) => r.on_hold).length;
        excludedOpen = due.filter((r) => !r.on_hold && r.open_disposal_id).length;
        rows = due.filter((r) => !r.on_hold && !r.open_disposal_id);
        if (rows.length > MAX_ITEMS) throw new Invalid(`More than ${MAX_ITEMS} documents are due; propose an earlier date first`, undefined, 'selection_too_large');
        if (rows.length === 0) {
          throw new Conflict(`Nothing is due before ${input.dueBefore} that is not held or already proposed`, { excludedHeld, excludedOpen }, 'nothing_due');
        }
      }
      const disposalId = await this.createInTx(q, { kind: 'retention', reason: input.reason, dueBefore: input.dueBefore ?? null, customerId: null, rows }, actor);
      if (excludedHeld || excludedOpen) {
        await retentionRepository.updateDisposal(q, disposalId, ['proposed'], { progress: JSON.stringify({ excludedHeld, excludedOpen }) });
      }
      return disposalId;
    });
    return this.get(id);
  }

  /** Creates a disposal with its items inside the caller's transaction (also used for erasure requests). */
  async createInTx(
    q: Queryable,
    p: { kind: DisposalKind; reason: string; dueBefore: string | null; customerId: string | null; rows: DocumentRow[] },
    actor: Principal,
  ): Promise<string> {
    const id = newId('dsp', this.clock.now().getTime());
    await retentionRepository.insertDisposal(q, {
      id,
      kind: p.kind,
      status: 'proposed',
      reason: p.reason,
      due_before: p.dueBefore,
      customer_id: p.customerId,
      proposed_by: actor.id,
      proposed_at: nowIso(this.clock),
    });
    const counts = { digital: 0, paper: 0, review: 0, transfer: 0 };
    for (const d of p.rows) {
      const medium = mediumOf(d);
      // An erasure removes: review and transfer are how retention ends, not how a right is honoured.
      const disposition = p.kind === 'erasure' ? 'destroy' : d.retention_disposition;
      counts[medium]++;
      if (disposition !== 'destroy') counts[disposition]++;
      const where = medium === 'paper' ? await locateDocument(q, d) : null;
      await retentionRepository.insertItem(q, {
        disposal_id: id,
        document_id: d.id,
        medium,
        disposition,
        decision: null,
        extend_until: null,
        decision_note: null,
        decided_by: null,
        status: 'pending',
        customer_id: d.customer_id,
        type: d.type,
        barcode: d.barcode,
        doc_date: d.doc_date,
        legal_basis: d.retention_legal_basis,
        period: d.retention_period,
        ends_on: d.retention_ends_on,
        location_path: where?.path ?? null,
        done_at: null,
        done_by: null,
        method: null,
        objects_removed: null,
        note: null,
      });
    }
    await this.audit.record(q, {
      actorId: actor.id,
      action: 'disposal.propose',
      subjectType: 'disposal',
      subjectId: id,
      customerId: p.customerId,
      details: { kind: p.kind, reason: p.reason, dueBefore: p.dueBefore, items: p.rows.length, ...counts, documentIds: p.rows.slice(0, 500).map((r) => r.id) },
    });
    return id;
  }

  /** A review item's decision, made before approval so the second officer approves it too. */
  async review(id: string, input: { documentId: string; decision: 'destroy' | 'extend'; until?: string; note: string }, actor: Principal) {
    await this.db.tx(async (q) => {
      const d = await this.requireDisposal(q, id);
      if (d.status !== 'proposed') throw new Conflict(`Review decisions are made before approval; the disposal is ${d.status}`, { status: d.status }, 'not_proposed');
      const item = await retentionRepository.item(q, id, input.documentId);
      if (!item) throw new NotFound('disposal item', input.documentId);
      if (item.disposition !== 'review') throw new Conflict(`The schedule says ${item.disposition} for this document, not review`, { disposition: item.disposition }, 'not_a_review');
      if (input.decision === 'extend') {
        if (!input.until) throw new Invalid('An extension needs `until` (YYYY-MM-DD)', undefined, 'until_required');
        if (input.until <= today(this.clock)) throw new Invalid(`until ${input.until} is not in the future`, { until: input.until }, 'invalid_until');
      }
      await retentionRepository.updateItem(q, id, input.documentId, {
        decision: input.decision,
        extend_until: input.decision === 'extend' ? input.until! : null,
        decision_note: input.note,
        decided_by: actor.id,
      });
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'disposal.review',
        subjectType: 'document',
        subjectId: input.documentId,
        customerId: item.customer_id,
        details: { disposalId: id, decision: input.decision, until: input.until ?? null, note: input.note },
      });
    });
    return this.get(id);
  }

  // ------------------------------------------------------------------------------ four eyes

  async approve(id: string, note: string | undefined, actor: Principal) {
    await this.db.tx(async (q) => {
      const d = await this.requireDisposal(q, id);
      if (d.status !== 'proposed') throw new Conflict(`The disposal is ${d.status}, not proposed`, { status: d.status }, 'not_proposed');
      if (d.proposed_by === actor.id) {
        throw new AppError(403, 'four_eyes', 'You proposed this disposal: a second compliance officer must approve it', { proposedBy: d.proposed_by });
      }
      const items = await retentionRepository.items(q, id);
      const ownDecisions = items.filter((i) => i.decided_by === actor.id).map((i) => i.document_id);
      if (ownDecisions.length) {
        throw new AppError(403, 'four_eyes', `You decided ${ownDecisions.length} review item(s) of this disposal: another compliance officer must approve it`, { documentIds: ownDecisions });
      }
      await requireSecondPerson(q, actor, [d.proposed_by, ...items.map((i) => i.decided_by)]);
      const undecided = items.filter((i) => i.disposition === 'review' && !i.decision).map((i) => i.document_id);
      if (undecided.length) {
        throw new Conflict(`${undecided.length} review item(s) have no decision (extend or destroy) yet`, { documentIds: undecided }, 'review_undecided');
      }
      if (!(await retentionRepository.updateDisposal(q, id, ['proposed'], { status: 'approved', approved_by: actor.id, approved_at: nowIso(this.clock) }))) {
        throw new Conflict('The disposal changed meanwhile; reload it', undefined, 'disposal_changed');
      }
      await this.audit.record(q, { actorId: actor.id, action: 'disposal.approve', subjectType: 'disposal', subjectId: id, customerId: d.customer_id, details: { proposedBy: d.proposed_by, note: note ?? null } });
    });
    return this.get(id);
  }

  /**
   * Cancels a proposed or approved disposal. One that is executing is closed instead: what was
   * done stays done, pending items are recorded as not done with the reason (lost paper, say).
   */
  async cancel(id: string, reason: string, actor: Principal) {
    await this.db.tx(async (q) => {
      const d = await this.requireDisposal(q, id);
      const now = nowIso(this.clock);
      if (d.status === 'executing') {
        const pending = (await retentionRepository.items(q, id)).filter((i) => i.status === 'pending');
        for (const i of pending) await retentionRepository.updateItem(q, id, i.document_id, { status: 'skipped', note: `not done: disposal closed (${reason})`, done_at: now, done_by: actor.id });
        await retentionRepository.updateDisposal(q, id, ['executing'], { status: 'completed', completed_at: now, cancel_reason: reason, cancelled_by: actor.id, cancelled_at: now });
        await this.audit.record(q, { actorId: actor.id, action: 'disposal.close', subjectType: 'disposal', subjectId: id, customerId: d.customer_id, details: { reason, notDone: pending.map((i) => i.document_id).slice(0, 500), count: pending.length } });
        return;
      }
      if (!(await retentionRepository.updateDisposal(q, id, ['proposed', 'approved'], { status: 'cancelled', cancelled_by: actor.id, cancelled_at: now, cancel_reason: reason }))) {
        throw new Conflict(`The disposal is ${d.status}; it cannot be cancelled`, { status: d.status }, 'not_cancellable');
      }
      await this.audit.record(q, { actorId: actor.id, action: 'disposal.cancel', subjectType: 'disposal', subjectId: id, customerId: d.customer_id, details: { reason, from: d.status } });
    });
    return this.get(id);
  }

  // ------------------------------------------------------------------------------ execution

  /**
   * Executes an approved disposal, in batches (progress in the disposal's `progress`). Run again
   * later to pick up items whose retention had not ended yet. Every item is rechecked: a hold
   * placed after approval skips it, a recomputed later end date makes it wait.
   */
  async execute(id: string, actor: Principal) {
    const start = await this.db.tx(async (q) => {
      const d = await this.requireDisposal(q, id);
      if (d.status === 'proposed') throw new Conflict('A second compliance officer must approve the disposal first', { status: d.status }, 'not_approved');
      if (d.status !== 'approved' && d.status !== 'executing') throw new Conflict(`The disposal is ${d.status}`, { status: d.status }, 'not_executable');
      const first = d.status === 'approved';
      if (first) {
        await retentionRepository.updateDisposal(q, id, ['approved'], { status: 'executing', executed_by: actor.id, executed_at: nowIso(this.clock) });
        if (d.kind === 'erasure' && d.customer_id) await eraseCustomerDataInTx(q, this.audit, this.clock, d.customer_id, id, actor);
      }
      const total = (await retentionRepository.items(q, id)).filter((i) => i.status === 'pending').length;
      await this.audit.record(q, { actorId: actor.id, action: 'disposal.execute', subjectType: 'disposal', subjectId: id, customerId: d.customer_id, details: { run: first ? 'first' : 'again', pending: total } });
      return { d, total };
    });
    const summary = { destroyed: 0, extended: 0, skipped: 0, waiting: 0, awaitingShredding: 0, awaitingTransfer: 0, objectsRemoved: 0 };
    const day = today(this.clock);
    let after = '';
    let done = 0;
    for (;;) {
      const batch = await retentionRepository.pendingItems(this.db, id, BATCH, after);
      if (batch.length === 0) break;
      after = batch[batch.length - 1].document_id;
      const objects = await this.db.tx(async (q) => {
        const toDelete: string[] = [];
        for (const item of batch) {
          const r = await this.executeItem(q, start.d, item, day, actor);
          summary[r.outcome]++;
          toDelete.push(...r.objects);
        }
        done += batch.length;
        await retentionRepository.updateDisposal(q, id, ['executing'], { progress: JSON.stringify({ done, total: start.total }) });
        return toDelete;
      });
      // Objects go after the commit (as in DestructionService.destroy); `delete` is idempotent.
      for (const h of objects) await this.store.delete(h);
      summary.objectsRemoved += objects.length;
      this.logger?.info({ disposalId: id, done, total: start.total }, 'disposal progress');
    }
    await this.completeIfDone(id, actor);
    return { summary, disposal: await this.get(id) };
  }

  private async executeItem(q: Queryable, d: DisposalRow, item: DisposalItemRow, day: string, actor: Principal) {
    const now = nowIso(this.clock);
    const doc = await documentsRepository.get(q, item.document_id);
    if (!doc) {
      await retentionRepository.updateItem(q, d.id, item.document_id, { status: 'skipped', note: 'already destroyed by other means', done_at: now, done_by: actor.id });
      return { outcome: 'skipped' as const, objects: [] };
    }
    const end = effectiveEnd(doc.retention_ends_on, await retentionRepository.extendedUntil(q, doc.id));
    const step = executionStep(
      { medium: item.medium, disposition: item.disposition, decision: item.decision, status: item.status },
      { kind: d.kind, held: Boolean(doc.on_hold), ended: retentionEnded(end, day) },
    );
    switch (step) {
      case 'skip-held': {
        const holds = await holdsRepository.activeForDocument(q, doc.id);
        await retentionRepository.updateItem(q, d.id, doc.id, { status: 'skipped', note: `legal hold ${holds.map((h) => h.id).join(', ')}`, done_at: now, done_by: actor.id });
        return { outcome: 'skipped' as const, objects: [] };
      }
      case 'wait':
        await retentionRepository.updateItem(q, d.id, doc.id, { note: end ? `waiting: retention runs until ${end}` : 'waiting: retention period has not started' });
        return { outcome: 'waiting' as const, objects: [] };
      case 'extend':
        await retentionRepository.insertExtension(q, {
          document_id: doc.id,
          until: item.extend_until!,
          reason: item.decision_note ?? 'review',
          decided_by: item.decided_by ?? actor.id,
          approved_by: d.approved_by,
          disposal_id: d.id,
          at: now,
        });
        await retentionRepository.updateItem(q, d.id, doc.id, { status: 'extended', method: `kept until ${item.extend_until}`, done_at: now, done_by: actor.id });
        await this.audit.record(q, {
          actorId: actor.id,
          action: 'retention.extend',
          subjectType: 'document',
          subjectId: doc.id,
          customerId: doc.customer_id,
          details: { disposalId: d.id, until: item.extend_until, reason: item.decision_note, decidedBy: item.decided_by, approvedBy: d.approved_by },
        });
        return { outcome: 'extended' as const, objects: [] };
      case 'destroy': {
        const r = await this.destruction.destroyInTx(q, doc, actor, `disposal ${d.id}: ${d.reason}`);
        await retentionRepository.scrubDestroyed(q, doc.id, now, actor.id);
        await retentionRepository.updateItem(q, d.id, doc.id, { status: 'destroyed', method: 'digital destruction', objects_removed: r.objects.length, done_at: now, done_by: actor.id, note: null });
        return { outcome: 'destroyed' as const, objects: r.objects };
      }
      case 'await-shred':
        await retentionRepository.updateItem(q, d.id, doc.id, { note: 'on the pick list: scan the barcode when shredded' });
        return { outcome: 'awaitingShredding' as const, objects: [] };
      case 'await-transfer':
        await retentionRepository.updateItem(q, d.id, doc.id, { note: 'awaiting confirmation of the transfer' });
        return { outcome: 'awaitingTransfer' as const, objects: [] };
      default:
        return { outcome: 'skipped' as const, objects: [] };
    }
  }

  /** `POST /api/disposals/:id/shred`: a paper item's barcode scanned as shredded. Idempotent per barcode. */
  async shred(id: string, rawBarcode: string, actor: Principal) {
    const code = parseItemCode(rawBarcode);
    const result = await this.db.tx(async (q) => {
      const d = await this.requireDisposal(q, id);
      const item = await retentionRepository.itemByBarcode(q, id, code.code);
      if (!item) {
        if (code.kind !== 'document') {
          throw new Invalid(`${code.code} is a ${code.kind} code; scan the document's own label`, { barcode: code.code, kind: code.kind }, 'not_a_document_code');
        }
        const other = await documentsRepository.byBarcode(q, code.code);
        if (other) throw new Conflict(`${code.code} is not on this disposal's list: do not shred it, put it back`, { barcode: code.code, documentId: other.id }, 'not_in_disposal');
        throw new AppError(404, 'unknown_barcode', `No document has the barcode ${code.code}`, { barcode: code.code });
      }
      if (item.status === 'destroyed') return { item, already: true, objects: [] as string[] };
      if (d.status !== 'executing') {
        throw new Conflict(
          d.status === 'proposed' || d.status === 'approved' ? 'The disposal must be approved and executed before paper is shredded' : `The disposal is ${d.status}`,
          { status: d.status },
          'not_executing',
        );
      }
      if (item.status !== 'pending') throw new Conflict(`${code.code} is ${item.status} in this disposal (${item.note ?? ''}): do not shred it`, { status: item.status, note: item.note }, 'item_not_pending');
      if (item.disposition === 'transfer') throw new Conflict(`${code.code} is to be transferred, not shredded`, undefined, 'transfer_item');
      if (item.disposition === 'review' && item.decision === 'extend') throw new Conflict(`${code.code} is kept longer after review: do not shred it`, undefined, 'item_extended');
      const doc = await documentsRepository.get(q, item.document_id);
      if (!doc) throw new Conflict(`${code.code} was already destroyed by other means`, undefined, 'already_destroyed');
      const end = effectiveEnd(doc.retention_ends_on, await retentionRepository.extendedUntil(q, doc.id));
      if (d.kind === 'retention' && !retentionEnded(end, today(this.clock))) {
        throw new Conflict(`${code.code} must be kept until ${end ?? 'its retention starts and ends'}: do not shred it yet`, { endsOn: end }, 'not_yet_due');
      }
      if (doc.on_hold) throw new Conflict(`${code.code} is under a legal hold: do not shred it, put it back`, { holds: (await holdsRepository.activeForDocument(q, doc.id)).map((h) => h.id) }, 'legal_hold');
      const where = await locateDocument(q, doc);
      const now = nowIso(this.clock);
      const r = await this.destruction.destroyInTx(q, doc, actor, `disposal ${d.id}: shredded (${d.reason})`);
      await retentionRepository.scrubDestroyed(q, doc.id, now, actor.id);
      await retentionRepository.updateItem(q, id, doc.id, { status: 'destroyed', method: 'shredded', objects_removed: r.objects.length, done_at: now, done_by: actor.id, note: null });
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'disposal.shred',
        subjectType: 'document',
        subjectId: doc.id,
        customerId: doc.customer_id,
        details: { disposalId: id, barcode: code.code, from: where?.path ?? null },
      });
      return { item: (await retentionRepository.item(q, id, doc.id))!, already: false, objects: r.objects };
    });
    for (const h of result.objects) await this.store.delete(h);
    const completed = await this.completeIfDone(id, actor);
    const remaining = (await retentionRepository.itemCounts(this.db, id)).filter((c) => c.status === 'pending' && c.medium === 'paper').reduce((s, c) => s + c.n, 0);
    return { disposalId: id, barcode: code.code, documentId: result.item.document_id, status: result.item.status, already: result.already, paperRemaining: remaining, completed };
  }

  /** Confirms that a transfer item was handed over (to an archive service); the local copies then go. */
  async transfer(id: string, input: { documentId: string; recipient: string; reference: string }, actor: Principal) {
    const result = await this.db.tx(async (q) => {
      const d = await this.requireDisposal(q, id);
      if (d.status !== 'executing') throw new Conflict('The disposal must be approved and executed first', { status: d.status }, 'not_executing');
      const item = await retentionRepository.item(q, id, input.documentId);
      if (!item) throw new NotFound('disposal item', input.documentId);
      if (item.disposition !== 'transfer') throw new Conflict(`This item is to be ${item.disposition === 'review' ? 'reviewed' : 'destroyed'}, not transferred`, undefined, 'not_a_transfer');
      if (item.status !== 'pending') throw new Conflict(`The item is ${item.status}`, { status: item.status }, 'item_not_pending');
      const doc = await documentsRepository.get(q, item.document_id);
      if (!doc) throw new Conflict('The document was already destroyed by other means', undefined, 'already_destroyed');
      if (!retentionEnded(effectiveEnd(doc.retention_ends_on, await retentionRepository.extendedUntil(q, doc.id)), today(this.clock))) {
        throw new Conflict('Its retention has not ended yet', { endsOn: doc.retention_ends_on }, 'not_yet_due');
      }
      const now = nowIso(this.clock);
      const method = `transferred to ${input.recipient} (receipt ${input.reference})`;
      const r = await this.destruction.destroyInTx(q, doc, actor, `disposal ${d.id}: ${method}`);
      await retentionRepository.scrubDestroyed(q, doc.id, now, actor.id);
      await retentionRepository.updateItem(q, id, doc.id, { status: 'transferred', method, objects_removed: r.objects.length, done_at: now, done_by: actor.id, note: null });
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'document.transfer',
        subjectType: 'document',
        subjectId: doc.id,
        customerId: doc.customer_id,
        details: { disposalId: id, recipient: input.recipient, reference: input.reference, barcode: doc.barcode },
      });
      return r.objects;
    });
    for (const h of result) await this.store.delete(h);
    await this.completeIfDone(id, actor);
    return this.get(id);
  }

  private async completeIfDone(id: string, actor: Principal): Promise<boolean> {
    return this.db.tx(async (q) => {
      const d = await this.requireDisposal(q, id);
      if (d.status === 'completed') return true;
      if (d.status !== 'executing') return false;
      const items = await retentionRepository.items(q, id);
      if (!isComplete(items.map((i) => i.status))) return false;
      await retentionRepository.updateDisposal(q, id, ['executing'], { status: 'completed', completed_at: nowIso(this.clock) });
      const count = (s: string) => items.filter((i) => i.status === s).length;
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'disposal.complete',
        subjectType: 'disposal',
        subjectId: id,
        customerId: d.customer_id,
        details: { destroyed: count('destroyed'), transferred: count('transferred'), extended: count('extended'), skipped: count('skipped') },
      });
      return true;
    });
  }

  // ------------------------------------------------------------------------------ reading

  async get(id: string) {
    const d = await this.requireDisposal(this.db, id);
    return this.view(this.db, d, await retentionRepository.items(this.db, id));
  }

  async list(f: { status?: string; limit: number }) {
    const rows = await retentionRepository.listDisposals(this.db, f);
    const out = [];
    for (const d of rows) {
      const { items: _items, ...rest } = await this.view(this.db, d, await retentionRepository.items(this.db, d.id));
      out.push(rest);
    }
    return { disposals: out };
  }

  /** Paper to shred (or hand over) now, in the order a person walks the archive: not held, retention ended. */
  async pickList(id: string) {
    const d = await this.requireDisposal(this.db, id);
    // Nothing is shredded before four eyes and execution: a list of a proposal would invite it.
    if (d.status !== 'executing') throw new Conflict(`There is nothing to pick: the disposal is ${d.status}`, { status: d.status }, 'not_executing');
    const entries: (PickListEntry & { segments: string[] | null })[] = [];
    const names = new Map<string, string | null>();
    const day = today(this.clock);
    for (const i of await retentionRepository.items(this.db, id)) {
      if (i.medium !== 'paper' || i.status !== 'pending' || i.decision === 'extend') continue;
      const doc = await documentsRepository.get(this.db, i.document_id);
      if (!doc || !doc.barcode || doc.on_hold) continue;
      if (d.kind === 'retention' && !retentionEnded(effectiveEnd(doc.retention_ends_on, await retentionRepository.extendedUntil(this.db, doc.id)), day)) continue;
      const chain = doc.location_id ? await locationsRepository.ancestry(this.db, doc.location_id) : [];
      const available = !doc.holder_user_id && chain.length > 0 && !chain[0]!.holder_user_id;
      if (doc.customer_id && !names.has(doc.customer_id)) names.set(doc.customer_id, (await customersRepository.get(this.db, doc.customer_id))?.name ?? null);
      entries.push({
        documentId: doc.id,
        barcode: doc.barcode,
        title: doc.title,
        type: doc.type,
        customerId: doc.customer_id,
        customerName: doc.customer_id ? (names.get(doc.customer_id) ?? null) : null,
        action: i.disposition === 'transfer' ? 'transfer' : 'shred',
        endsOn: doc.retention_ends_on,
        location: await locateDocument(this.db, doc),
        available,
        segments: available ? chain.map((l) => l.name) : null,
      });
    }
    // The same walking order as the mailroom's request pick list (RequestsService.pickList).
    const rank = (e: PickListEntry) => (e.available ? 0 : e.location ? 1 : 2);
    entries.sort((a, b) => rank(a) - rank(b) || comparePaths(a.segments, b.segments) || (a.location?.path ?? '').localeCompare(b.location?.path ?? '') || a.barcode.localeCompare(b.barcode));
    return {
      disposalId: id,
      status: d.status,
      generatedAt: nowIso(this.clock),
      count: entries.length,
      items: entries.map(({ segments: _, ...e }) => e),
    };
  }

  /** The certificate of destruction as a PDF; interim while items are pending. Generating it is audited. */
  async certificate(id: string, actor: Principal, lang: OutputLang = 'nl'): Promise<{ pdf: Uint8Array; final: boolean }> {
    const view = await this.get(id);
    if (view.status === 'proposed' || view.status === 'approved' || view.status === 'cancelled') {
      throw new Conflict(`Nothing was executed: the disposal is ${view.status}`, { status: view.status }, 'not_executed');
    }
    const head = await retentionRepository.auditHead(this.db);
    const verified = await this.audit.verify();
    const final = view.status === 'completed';
    const pdf = await renderDestructionCertificatePdf({
      disposal: view,
      generatedAt: nowIso(this.clock),
      generatedBy: await this.person(this.db, actor.id),
      final,
      auditHead: head ? { seq: head.seq, hash: head.hash, verified: verified.ok } : null,
      lang,
    });
    await this.audit.recordNow({ actorId: actor.id, action: 'disposal.certificate', subjectType: 'disposal', subjectId: id, customerId: view.customerId, details: { final } });
    return { pdf, final };
  }

  private async requireDisposal(q: Queryable, id: string): Promise<DisposalRow> {
    const d = await retentionRepository.getDisposal(q, id);
    if (!d) throw new NotFound('disposal', id);
    return d;
  }

  private async person(q: Queryable, id: string | null) {
    if (!id) return null;
    return { id, name: (await usersRepository.get(q, id))?.name ?? id };
  }

  private async view(q: Queryable, d: DisposalRow, items: DisposalItemRow[]) {
    const people = new Map<string, { id: string; name: string } | null>();
    const person = async (id: string | null) => {
      if (!id) return null;
      if (!people.has(id)) people.set(id, await this.person(q, id));
      return people.get(id)!;
    };
    const counts = { total: items.length, pending: 0, destroyed: 0, transferred: 0, extended: 0, skipped: 0, paperPending: 0, reviewUndecided: 0 };
    for (const i of items) {
      counts[i.status]++;
      if (i.status === 'pending' && i.medium === 'paper') counts.paperPending++;
      if (i.disposition === 'review' && !i.decision) counts.reviewUndecided++;
    }
    const itemViews = [];
    for (const i of items) {
      // The second officer judges by title and where the paper is now (checked out and overdue is a warning).
      const live = i.status === 'pending' ? await documentsRepository.get(q, i.document_id) : undefined;
      itemViews.push({
        title: live?.title ?? null,
        location: live ? await locateDocument(q, live) : null,
        documentId: i.document_id,
        barcode: i.barcode,
        type: i.type,
        customerId: i.customer_id,
        docDate: i.doc_date,
        medium: i.medium,
        disposition: i.disposition,
        decision: i.decision,
        extendUntil: i.extend_until,
        decisionNote: i.decision_note,
        decidedBy: await person(i.decided_by),
        status: i.status,
        method: i.method,
        objectsRemoved: i.objects_removed,
        doneAt: i.done_at,
        doneBy: await person(i.done_by),
        note: i.note,
        retention: { legalBasis: i.legal_basis, period: i.period, endsOn: i.ends_on },
        locationPath: i.location_path,
      });
    }
    return {
      id: d.id,
      kind: d.kind,
      status: d.status,
      reason: d.reason,
      dueBefore: d.due_before,
      customerId: d.customer_id,
      proposedBy: (await person(d.proposed_by))!,
      proposedAt: d.proposed_at,
      approvedBy: await person(d.approved_by),
      approvedAt: d.approved_at,
      executedBy: await person(d.executed_by),
      executedAt: d.executed_at,
      completedAt: d.completed_at,
      cancelledBy: await person(d.cancelled_by),
      cancelledAt: d.cancelled_at,
      cancelReason: d.cancel_reason,
      progress: JSON.parse(d.progress) as Record<string, unknown>,
      counts,
      items: itemViews,
    };
  }
}

export type DisposalView = Awaited<ReturnType<DisposalService['get']>>;

