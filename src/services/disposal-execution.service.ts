import type { Logger } from 'pino';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { holdsRepository } from '../db/holds.repository.js';
import { retentionRepository, type DisposalItemRow, type DisposalRow } from '../db/retention.repository.js';
import { effectiveEnd, executionStep, isComplete, retentionEnded } from '../domain/disposal.js';
import type { Principal } from '../domain/roles.js';
import { AppError, Conflict, Invalid, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { redactErasedBatchPages } from './coupon-batch-redaction.js';
import { nowIso, today, type Clock } from './clock.js';
import type { DestructionService } from './destruction.service.js';
import { locateDocument } from './documents.service.js';
import { removeIfUnreferenced } from './object-guard.js';
import { eraseCustomerDataInTx } from './subject-rights.service.js';
import { parseItemCode } from './tracking.service.js';
import { disposalView, requireDisposal } from './disposal-view.js';
import { WRITE_BATCH } from './document-records.js';

/**
 * Items executed per transaction: a crash loses at most a batch, progress is visible between
 * them, and the write turn every other write and audited read waits for is held for one batch
 * only (WRITE_BATCH, as the whole-index passes).
 */
const BATCH = WRITE_BATCH;

/**
 * Execution of an approved disposal: digital copies destroyed in batches, paper shredded per
 * scanned barcode, transfers confirmed per item, and completion once nothing is pending. Split
 * from DisposalService (which keeps proposal, four-eyes approval and reading, and delegates here)
 * because it changes for other reasons: how copies are removed, not who decides.
 */
export class DisposalExecution {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly audit: AuditService,
    private readonly destruction: DestructionService,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  /**
   * Executes an approved disposal, in batches (progress in the disposal's `progress`). Run again
   * later to pick up items whose retention had not ended yet. Every item is rechecked: a hold
   * placed after approval skips it, a recomputed later end date makes it wait.
   */
  async execute(id: string, actor: Principal) {
    const erased: string[] = [];
    const reviewObjects: string[] = [];
    let couponReviewsRemoved = 0;
    let couponPagesErased = 0;
    const start = await this.db.tx(async (q) => {
      erased.length = 0; // a retried transaction starts over
      reviewObjects.length = 0;
      couponReviewsRemoved = 0;
      couponPagesErased = 0;
      const d = await requireDisposal(q, id);
      if (d.status === 'proposed') throw new Conflict('A second compliance officer must approve the disposal first', { status: d.status }, 'not_approved');
      if (d.status !== 'approved' && d.status !== 'executing') throw new Conflict(`The disposal is ${d.status}`, { status: d.status }, 'not_executable');
      const first = d.status === 'approved';
      if (first) {
        await retentionRepository.updateDisposal(q, id, ['approved'], { status: 'executing', executed_by: actor.id, executed_at: nowIso(this.clock) });
        if (d.kind === 'erasure' && d.customer_id) {
          const r = await eraseCustomerDataInTx(q, this.audit, this.clock, d.customer_id, id, actor);
          erased.push(...r.objects);
          reviewObjects.push(...r.reviewObjects);
          couponReviewsRemoved = r.couponReviews.removed;
          couponPagesErased = r.couponPages.erased;
        }
      }
      const total = (await retentionRepository.items(q, id)).filter((i) => i.status === 'pending').length;
      await this.audit.record(q, { actorId: actor.id, action: 'disposal.execute', subjectType: 'disposal', subjectId: id, customerId: d.customer_id, details: { run: first ? 'first' : 'again', pending: total } });
      return { d, total };
    });
    // The erased customer's stored e-mails (.eml) go after the commit, as documents' objects do.
    await removeIfUnreferenced(this.db, this.store, erased);
    // Its coupon review items' images and scans may be shared (a reply-coupon document, a batch file): re-checked.
    const reviewRemoved = await removeIfUnreferenced(this.db, this.store, reviewObjects);
    // Its coupon pages' images go from the stored stacks too: each file holding one gets a copy
    // without them. Also on a run again, which finishes what a crash left after the erasure.
    const redacted = start.d.kind === 'erasure'
      ? await redactErasedBatchPages({ db: this.db, store: this.store, audit: this.audit, clock: this.clock, logger: this.logger }, { actorId: actor.id, disposalId: id })
      : { files: 0, failed: 0, objectsRemoved: [] };
    const summary = {
      destroyed: 0,
      extended: 0,
      skipped: 0,
      waiting: 0,
      awaitingShredding: 0,
      awaitingTransfer: 0,
      objectsRemoved: erased.length + reviewRemoved.length + redacted.objectsRemoved.length,
      couponReviewsRemoved,
      couponPagesErased,
      couponBatchFilesRedacted: redacted.files,
      couponBatchFilesNotRedacted: redacted.failed,
    };
    const day = today(this.clock);
    let after = '';
    let done = 0;
    for (;;) {
      const batch = await retentionRepository.pendingItems(this.db, id, BATCH, after);
      if (batch.length === 0) break;
      after = batch[batch.length - 1].document_id;
      // Counted after the commit: PostgreSQL may run the callback again after a conflict.
      const began = performance.now();
      const { objects, outcomes } = await this.db.tx(async (q) => {
        const toDelete: string[] = [];
        const outcomes: (keyof typeof summary)[] = [];
        for (const item of batch) {
          const r = await this.executeItem(q, start.d, item, day, actor);
          outcomes.push(r.outcome);
          toDelete.push(...r.objects);
        }
        await retentionRepository.updateDisposal(q, id, ['executing'], { progress: JSON.stringify({ done: done + batch.length, total: start.total }) });
        return { objects: toDelete, outcomes };
      });
      for (const o of outcomes) summary[o]++;
      done += batch.length;
      // Objects go after the commit (as in DestructionService.destroy); `delete` is idempotent.
      await removeIfUnreferenced(this.db, this.store, objects);
      summary.objectsRemoved += objects.length;
      this.logger?.info({ disposalId: id, done, total: start.total, batchMs: Math.round(performance.now() - began) }, 'disposal progress');
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
      const d = await requireDisposal(q, id);
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
    await removeIfUnreferenced(this.db, this.store, result.objects);
    const completed = await this.completeIfDone(id, actor);
    const remaining = (await retentionRepository.itemCounts(this.db, id)).filter((c) => c.status === 'pending' && c.medium === 'paper').reduce((s, c) => s + c.n, 0);
    return { disposalId: id, barcode: code.code, documentId: result.item.document_id, status: result.item.status, already: result.already, paperRemaining: remaining, completed };
  }

  /** Confirms that a transfer item was handed over (to an archive service); the local copies then go. */
  async transfer(id: string, input: { documentId: string; recipient: string; reference: string }, actor: Principal) {
    const result = await this.db.tx(async (q) => {
      const d = await requireDisposal(q, id);
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
    await removeIfUnreferenced(this.db, this.store, result);
    await this.completeIfDone(id, actor);
    return this.get(id);
  }

  private async completeIfDone(id: string, actor: Principal): Promise<boolean> {
    return this.db.tx(async (q) => {
      const d = await requireDisposal(q, id);
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

  private async get(id: string) {
    const d = await requireDisposal(this.db, id);
    return disposalView(this.db, d, await retentionRepository.items(this.db, id));
  }
}
