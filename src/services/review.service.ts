import type { ObjectStore } from '../adapters/object-store/object-store.js';
import type { Database } from '../db/database.js';
import { customersRepository } from '../db/customers.repository.js';
import { documentsRepository } from '../db/documents.repository.js';
import { learningRepository } from '../db/learning.repository.js';
import { searchRepository } from '../db/search.repository.js';
import { headWords, letterhead } from '../domain/detection.js';
import type { Classification, DocumentView, KeyPoints, TraceStep } from '../domain/document.js';
import type { Principal } from '../domain/roles.js';
import { parseReviewReasons, suggestedType, type ReviewReason } from '../domain/review-reasons.js';
import { Conflict, UnknownReference } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { decide, defaultTitle } from './document-records.js';
import { toDocumentView } from './documents.service.js';
import { UNCLASSIFIED } from './intake.service.js';
import { events } from './events.service.js';
import { removeIfUnreferenced } from './object-guard.js';
import type { ScopesService } from './scopes.service.js';
import type { DestructionService } from './destruction.service.js';
import { seesRestricted } from '../domain/restriction.js';

export type ReviewDecision = {
  type?: string;
  customerId?: string;
  docDate?: string | null;
  fields?: KeyPoints;
  title?: string;
  /** For a flagged near duplicate: keep it as a document of its own (the default), or drop it as a rescan. */
  duplicate?: 'keep' | 'discard';
};

/**
 * The review queue: documents detection was unsure about wait here for a person to confirm or
 * correct. Corrections are kept (who changed what) and teach detection: words from the first
 * lines for a corrected type, the letterhead for a corrected customer.
 */
export class ReviewService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly scopes: ScopesService,
    private readonly clock: Clock,
    private readonly destruction: DestructionService,
    private readonly store: ObjectStore,
  ) {}

  /** Documents waiting for review, oldest first; a restricted customer's (GDPR art. 18) only for compliance and admin. */
  async queue(
    limit: number,
    offset: number,
    actor?: Principal,
  ): Promise<{ total: number; documents: (DocumentView & { reasons: string[]; problems: ReviewReason[]; suggestedType: string | null; nearDuplicateOf: string | null })[] }> {
    const { total, ids } = await documentsRepository.reviewQueue(this.db, !seesRestricted(actor), limit, offset);
    const documents = [];
    for (const id of ids) {
      const row = (await documentsRepository.get(this.db, id))!;
      const problems = parseReviewReasons(row.error);
      documents.push({ ...(await toDocumentView(this.db, row)), reasons: row.error ? row.error.split('; ') : [], problems, suggestedType: suggestedType(problems), nearDuplicateOf: row.near_duplicate_of });
    }
    return { total, documents };
  }

  async resolve(id: string, d: ReviewDecision, actor: Principal): Promise<DocumentView | { discarded: true; duplicateOf: string }> {
    const outcome = await this.db.tx(async (q) => {
      const row = await documentsRepository.get(q, id);
      if (!row) throw new UnknownReference(`document ${JSON.stringify(id)} does not exist`, { id }, 'unknown_document');
      if (row.status !== 'needs_review') throw new Conflict(`The document is ${row.status}, not waiting for review`, { status: row.status }, 'not_in_review');
      const now = nowIso(this.clock);
      if (d.duplicate === 'discard') {
        if (!row.near_duplicate_of) throw new Conflict('Only a flagged near duplicate can be discarded as a rescan', undefined, 'not_a_duplicate');
        // A discarded rescan is destroyed like any document: file, archive copy, text, title and
        // name go; the tombstone and the audit trail say what it was and why.
        const reason = `discarded in review as a rescan of ${row.near_duplicate_of}`;
        const { objects } = await this.destruction.destroyInTx(q, row, actor, reason);
        await documentsRepository.update(q, id, { error: reason }, now);
        await this.audit.record(q, { actorId: actor.id, action: 'document.discard-rescan', subjectType: 'document', subjectId: id, customerId: row.customer_id, details: { duplicateOf: row.near_duplicate_of } });
        return { kind: 'discarded' as const, discarded: { discarded: true as const, duplicateOf: row.near_duplicate_of }, objects };
      }
      const type = d.type ?? row.type;
      const customerId = d.customerId ?? row.customer_id;
      if (type === UNCLASSIFIED) throw new Conflict('Choose a document type before confirming', undefined, 'type_required');
      if (!customerId) throw new Conflict('Choose the customer before confirming', undefined, 'customer_required');
      if (!(await customersRepository.get(q, customerId))) throw new UnknownReference(`customer ${JSON.stringify(customerId)} does not exist`, { customerId }, 'unknown_customer');
      const fields: KeyPoints = { ...(JSON.parse(row.fields) as KeyPoints), ...(d.fields ?? {}) };
      const docDate = d.docDate === undefined ? row.doc_date : d.docDate;
      const text = (await documentsRepository.pages(q, id)).map((p) => p.text).join('\n');
      const changes: [string, unknown, unknown][] = [];
      if (type !== row.type) changes.push(['type', row.type, type]);
      if (customerId !== row.customer_id) changes.push(['customerId', row.customer_id, customerId]);
      if (docDate !== row.doc_date) changes.push(['docDate', row.doc_date, docDate]);
      for (const [k, v] of Object.entries(d.fields ?? {})) changes.push([`fields.${k}`, (JSON.parse(row.fields) as KeyPoints)[k], v]);
      for (const [field, oldValue, newValue] of changes) {
        await learningRepository.recordCorrection(q, { documentId: id, field, oldValue, newValue, by: actor.id, at: now });
      }
      if (type !== row.type && text) await learningRepository.learnTypeWords(q, type, headWords(text));
      if (customerId !== row.customer_id && text) {
        const head = letterhead(text);
        if (head) await learningRepository.learnCustomerPhrase(q, customerId, head, now);
      }
      const previous = JSON.parse(row.classification) as Classification;
      const trace: TraceStep[] = [
        { rule: 'review', evidence: `confirmed by ${actor.name}${changes.length ? `, corrected ${changes.map((c) => c[0]).join(', ')}` : ''}`, result: type },
        ...previous.trace.filter((s) => s.rule.startsWith('detect') || s.rule.startsWith('match')),
      ];
      const decision = await decide(q, { documentId: id, registeredOn: row.created_at.slice(0, 10), customerId, type, docDate, fields, extraTrace: trace, confidence: 1, by: 'user' }, await this.scopes.active(q), this.clock);
      const title = d.title ?? (row.type === UNCLASSIFIED ? defaultTitle(type, fields) : row.title);
      await documentsRepository.update(q, id, { status: 'ready', error: null, error_code: null, error_details: null, type, customer_id: customerId, doc_date: docDate, fields: JSON.stringify(fields), title, ...decision }, now);
      await searchRepository.index(q, id, title, text);
      await events.emit(q, { type: 'document.ready', subjectType: 'document', subjectId: id, customerId, actorId: actor.id, at: now, data: { reviewed: true, class: decision.class } });
      if (decision.class !== row.class) {
        await events.emit(q, { type: 'document.class_changed', subjectType: 'document', subjectId: id, customerId, actorId: actor.id, at: now, data: { from: row.class, to: decision.class } });
      }
      await this.audit.record(q, { actorId: actor.id, action: 'document.review', subjectType: 'document', subjectId: id, customerId, details: { changes: changes.map(([f, a, b]) => ({ field: f, from: a, to: b })) } });
      return { kind: 'confirmed' as const, view: await toDocumentView(q, (await documentsRepository.get(q, id))!) };
    });
    if (outcome.kind === 'discarded') {
      // After the commit, as in DestructionService.destroy: a crash in between leaves an
      // unreferenced object for the sweep, never a row pointing at nothing.
      await removeIfUnreferenced(this.db, this.store, outcome.objects);
      return outcome.discarded;
    }
    return outcome.view;
  }
}
