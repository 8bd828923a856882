import type { Logger } from 'pino';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { renderDestructionCertificatePdf } from '../adapters/pdf/destruction-certificate.pdf.js';
import type { OutputLang } from '../domain/output-language.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { locationsRepository } from '../db/locations.repository.js';
import { retentionRepository, type DueRow } from '../db/retention.repository.js';
import { effectiveEnd, mediumOf, retentionEnded, type DisposalKind } from '../domain/disposal.js';
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
import { DisposalExecution } from './disposal-execution.service.js';
import { disposalView, personOf, requireDisposal, type DisposalView } from './disposal-view.js';

/** A disposal larger than this is split: proposals that big are a mistake in the date more often than a plan. */
export const MAX_ITEMS = 50_000;

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
    store: ObjectStore,
    private readonly audit: AuditService,
    destruction: DestructionService,
    private readonly clock: Clock,
    logger?: Logger,
  ) {
    this.execution = new DisposalExecution(db, store, audit, destruction, clock, logger);
  }

  /** Execution, shredding and transfers live in disposal-execution.service.ts. */
  private readonly execution: DisposalExecution;

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
      const d = await requireDisposal(q, id);
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
      const d = await requireDisposal(q, id);
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
      const d = await requireDisposal(q, id);
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
   * Executes an approved disposal, in batches; run again later to pick up items whose retention
   * had not ended yet (see DisposalExecution.execute).
   */
  execute(id: string, actor: Principal) {
    return this.execution.execute(id, actor);
  }

  /** `POST /api/disposals/:id/shred`: a paper item's barcode scanned as shredded. Idempotent per barcode. */
  shred(id: string, rawBarcode: string, actor: Principal) {
    return this.execution.shred(id, rawBarcode, actor);
  }

  /** Confirms that a transfer item was handed over (to an archive service); the local copies then go. */
  transfer(id: string, input: { documentId: string; recipient: string; reference: string }, actor: Principal) {
    return this.execution.transfer(id, input, actor);
  }

  // ------------------------------------------------------------------------------ reading

  async get(id: string) {
    const d = await requireDisposal(this.db, id);
    return disposalView(this.db, d, await retentionRepository.items(this.db, id));
  }

  async list(f: { status?: string; limit: number }) {
    const rows = await retentionRepository.listDisposals(this.db, f);
    const out = [];
    for (const d of rows) {
      const { items: _items, ...rest } = await disposalView(this.db, d, await retentionRepository.items(this.db, d.id));
      out.push(rest);
    }
    return { disposals: out };
  }

  /** Paper to shred (or hand over) now, in the order a person walks the archive: not held, retention ended. */
  async pickList(id: string) {
    const d = await requireDisposal(this.db, id);
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
      generatedBy: await personOf(this.db, actor.id),
      final,
      auditHead: head ? { seq: head.seq, hash: head.hash, verified: verified.ok } : null,
      lang,
    });
    await this.audit.recordNow({ actorId: actor.id, action: 'disposal.certificate', subjectType: 'disposal', subjectId: id, customerId: view.customerId, details: { final } });
    return { pdf, final };
  }
}

export type { DisposalView };
