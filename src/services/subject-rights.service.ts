import type { ZipFile } from 'yazl';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { auditRepository } from '../db/audit.repository.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { holdsRepository } from '../db/holds.repository.js';
import { mailMessagesRepository } from '../db/mail-messages.repository.js';
import { retentionRepository } from '../db/retention.repository.js';
import { statusRepository } from '../db/status.repository.js';
import { effectiveEnd, erasureVerdict, mediumOf } from '../domain/disposal.js';
import type { Principal } from '../domain/roles.js';
import type { OutputLang } from '../domain/output-language.js';
import type { ErasureReason } from '../domain/disposal.js';
import { Conflict, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, today, type Clock } from './clock.js';
import { toCustomerView } from './customers.service.js';
import { destroyMailMessagesInTx } from './mail-message-destruction.js';
import { couponPagesForErasure, eraseCouponPagesInTx, heldPagesByBatch } from './coupon-page-erasure.js';
import { couponReviewsForErasure, destroyCouponReviewsInTx } from './coupon-review-erasure.js';
import type { DisposalService } from './disposal.service.js';
import { SubjectAccessExport } from './subject-access-export.service.js';

/**
 * The rule for the answers read from a customer's replies on the letters mailed to them: each goes
 * as the status variables it set do, unless the reply-coupon document it came with is in `kept`.
 * One rule for the erasure report and its execution.
 */
function letterAnswers<L extends { answer: string | null; reply_document_id: string | null }>(letters: L[], kept: Set<string>): { erase: L[]; keep: L[] } {
  const answered = letters.filter((l) => l.answer !== null);
  const keptWith = (l: L) => Boolean(l.reply_document_id && kept.has(l.reply_document_id));
  return { erase: answered.filter((l) => !keptWith(l)), keep: answered.filter(keptWith) };
}

/**
 * Erasure's part beyond documents, run when an erasure disposal is executed (after four eyes):
 * status variables, learned letterhead phrases and coupon review items (unless a legal hold keeps
 * them) go; the customer record is pseudonymised when no kept document refers to it, else
 * processing is restricted to storage. `objects` are unreferenced already (delete them after the
 * commit); `reviewObjects` go through removeIfUnreferenced after the commit.
 */
export async function eraseCustomerDataInTx(
  q: Queryable,
  audit: AuditService,
  clock: Clock,
  customerId: string,
  disposalId: string,
  actor: Principal,
): Promise<{ objects: string[]; reviewObjects: string[]; couponReviews: { removed: number; held: number }; couponPages: { erased: number; held: number } }> {
  const now = nowIso(clock);
  const extras = await retentionRepository.eraseCustomerExtras(q, customerId);
  const going = new Set((await retentionRepository.items(q, disposalId)).map((i) => i.document_id));
  const kept = (await retentionRepository.liveDocumentIds(q, customerId)).filter((id) => !going.has(id));
  // Stored e-mails: one no live document came from goes now; one whose documents are all in this
  // disposal goes with the last of them (DestructionService); one that carries a kept document stays.
  const mail = await erasableMessages(q, customerId);
  const objects = await destroyMailMessagesInTx(q, audit, mail.remove, { actorId: actor.id, customerId, reason: `erasure ${disposalId}`, now });
  // Coupon review items hold the scan of the customer's coupon: they go unless a hold keeps them
  // (rechecked here, as documents are: a hold placed after approval counts).
  const reviews = await couponReviewsForErasure(q, customerId);
  // The pages' readings follow their review item: found before the items go (an item decides whose they are).
  const pages = await couponPagesForErasure(q, customerId, reviews.held);
  const reviewObjects = await destroyCouponReviewsInTx(q, audit, reviews.remove, { actorId: actor.id, customerId, reason: `erasure ${disposalId}` });
  const pagesErased = await eraseCouponPagesInTx(q, audit, pages.remove, { actorId: actor.id, customerId, reason: `erasure ${disposalId}`, now });
  // Reply answers (merged numbers included): a document of this disposal placed on hold since its
  // approval is kept too (its item is skipped).
  const keptDocs = new Set([...kept, ...(await retentionRepository.heldDocumentIds(q, customerId))]);
  const answers = letterAnswers(await retentionRepository.lettersForCustomer(q, customerId), keptDocs);
  const letterAnswersErased = await retentionRepository.eraseLetterAnswers(q, answers.erase.map((l) => l.barcode));
  // Held review items and page readings name the customer as kept documents do: the record stays, restricted.
  const keepRecord = kept.length > 0 || reviews.held.length > 0 || pages.held.length > 0;
  if (!keepRecord) await retentionRepository.pseudonymiseCustomer(q, customerId, now);
  else await retentionRepository.setRestricted(q, customerId, true, now);
  await audit.record(q, {
    actorId: actor.id,
    action: 'customer.erase',
    subjectType: 'customer',
    subjectId: customerId,
    customerId,
    details: {
      disposalId,
      ...extras,
      keptDocuments: kept.length,
      pseudonymised: !keepRecord,
      restricted: keepRecord,
      mailMessagesRemoved: mail.remove.length,
      couponReviewsRemoved: reviews.remove.length,
      couponReviewsHeld: reviews.held.map((h) => ({ id: h.review.id, holds: h.holds })),
      couponPagesErased: pagesErased,
      couponPagesHeld: heldPagesByBatch(pages.held),
      letterAnswersErased,
    },
  });
  return { objects, reviewObjects, couponReviews: { removed: reviews.remove.length, held: reviews.held.length }, couponPages: { erased: pagesErased, held: pages.held.length } };
}

/** The customer's stored e-mails: those no live document came from (removable now) and those that carry one. */
async function erasableMessages(q: Queryable, customerId: string) {
  const remove = [];
  const carrying = [];
  for (const m of await mailMessagesRepository.liveForCustomer(q, customerId)) {
    const docs = await mailMessagesRepository.liveDocuments(q, m.id);
    if (docs.length === 0) remove.push(m);
    else carrying.push({ message: m, documents: docs.map((d) => d.id) });
  }
  return { remove, carrying };
}

export type ErasureItem = {
  documentId: string;
  type: string;
  title: string;
  barcode: string | null;
  medium: 'digital' | 'paper';
  docDate: string | null;
  action: 'remove' | 'keep';
  /** keep: until when (null: until a hold is released or a trigger happens; see `why`). */
  until: string | null;
  basis: string | null;
  why: string;
  /** `why` as a code with parameters, for the web interface to say in the user's language. */
  reason: ErasureReason & { inDisposal: string | null };
  how: string | null;
};

export type ErasureOther = { what: string; count: number | null; action: 'remove' | 'keep'; basis: string | null; why: string; code?: string };

/** GDPR subject rights: access (art. 15) as a zip, erasure (art. 17) with per-item reasons, restriction (art. 18). */
export class SubjectRightsService {
  constructor(
    private readonly db: Database,
    store: ObjectStore,
    private readonly audit: AuditService,
    private readonly disposals: DisposalService,
    private readonly clock: Clock,
  ) {
    this.access = new SubjectAccessExport(db, store, audit, clock);
  }

  /** Access (art. 15) lives in subject-access-export.service.ts. */
  private readonly access: SubjectAccessExport;

  // ------------------------------------------------------------------------------ access (subject-access-export.service.ts)

  /** The subject-access export as a zip (see SubjectAccessExport.accessExport). */
  accessExport(customerId: string, actor: Principal, lang: OutputLang = 'nl'): Promise<{ filename: string; zip: ZipFile; counts: Record<string, number> }> {
    return this.access.accessExport(customerId, actor, lang);
  }

  // ------------------------------------------------------------------------------ erasure

  /**
   * GDPR art. 17: per document, removed or kept (until when, on which legal obligation). A dry
   * run only reports. Otherwise what may go becomes an erasure disposal: a second compliance
   * officer approves it and its execution removes documents (paper via the pick list) and the
   * customer's other data.
   */
  async erasure(customerId: string, input: { dryRun: boolean; reason: string }, actor: Principal) {
    const customer = await customersRepository.get(this.db, customerId);
    if (!customer) throw new NotFound('customer', customerId);
    const day = today(this.clock);
    const docs = await documentsRepository.byCustomer(this.db, customerId);
    const open = new Map((await retentionRepository.documentsForProposal(this.db, docs.map((d) => d.id))).map((r) => [r.id, r]));
    const items: ErasureItem[] = [];
    for (const d of docs) {
      const holds = d.on_hold ? (await holdsRepository.activeForDocument(this.db, d.id)).map((h) => ({ id: h.id, reason: h.reason })) : [];
      const end = effectiveEnd(d.retention_ends_on, open.get(d.id)?.extended_until);
      const v = erasureVerdict({ type: d.type, endsOn: end, trigger: d.retention_trigger, period: d.retention_period, holds }, day);
      const medium = mediumOf(d);
      const inDisposal = open.get(d.id)?.open_disposal_id ?? null;
      items.push({
        documentId: d.id,
        type: d.type,
        title: d.title,
        barcode: d.barcode,
        medium,
        docDate: d.doc_date,
        action: v.action,
        until: v.action === 'keep' ? v.until : null,
        basis: v.action === 'keep' ? v.basis : null,
        why: inDisposal && v.action === 'remove' ? `${v.why}; already in disposal ${inDisposal}` : v.why,
        reason: { ...v.reason, inDisposal },
        how: v.action === 'keep' ? null : medium === 'paper' ? 'the paper is shredded from a pick list (barcode scanned per item); any scan goes with it' : 'every digital copy goes: original, archive PDF, text, search index, the e-mail it came in with; a tombstone remains',
      });
    }
    const kept = items.filter((i) => i.action === 'keep').length;
    const reviews = await couponReviewsForErasure(this.db, customerId);
    const pages = await couponPagesForErasure(this.db, customerId, reviews.held);
    const heldRefs = reviews.held.length + pages.held.length;
    const statuses = await statusRepository.byCustomer(this.db, customerId);
    const letters = await retentionRepository.lettersForCustomer(this.db, customerId);
    const others: ErasureOther[] = [
      { code: 'status_variables', what: 'status variables and their history', count: statuses.length, action: 'remove', basis: null, why: 'no legal obligation to keep them' },
      { code: 'learned_phrases', what: 'letterhead phrases learned to recognise the customer', count: null, action: 'remove', basis: null, why: 'derived data with no obligation to keep it' },
      kept || heldRefs
        ? { code: 'customer_record_kept', what: 'customer record (name, contact data)', count: 1, action: 'keep', basis: 'GDPR art. 17(3)(b)/(e), as the kept documents', why: `${kept} kept document(s)${reviews.held.length ? ` and ${reviews.held.length} held coupon review item(s)` : ''}${pages.held.length ? ` and ${pages.held.length} held coupon page reading(s)` : ''} refer to it; processing is restricted to storage (art. 18) until they go` }
        : { code: 'customer_record_pseudonymised', what: 'customer record (name, contact data)', count: 1, action: 'remove', basis: null, why: 'pseudonymised (the number stays for tombstones and the audit log); erase it in the CRM too, which is leading, or the next sync restores it' },
      { code: 'letters', what: 'letters mailed (barcode, mailing, sent and replied dates)', count: letters.length, action: 'keep', basis: null, why: "the mailing's record of what was sent, for its counts; it names the customer by number only, pseudonymised with the customer record" },
      { code: 'audit_log', what: 'audit log events about the customer', count: null, action: 'keep', basis: 'GDPR art. 5(2) accountability; art. 17(3)(b)/(e)', why: 'the tamper-evident log proves lawful processing; it holds identifiers, no document content' },
      { code: 'tombstones', what: 'tombstones of destroyed documents', count: null, action: 'keep', basis: 'GDPR art. 5(2) accountability', why: 'proof of destruction: id, type, dates and schedule, no content' },
    ];
    const answers = letterAnswers(letters, new Set(items.filter((i) => i.action === 'keep').map((i) => i.documentId)));
    if (answers.erase.length) {
      others.push({ code: 'letter_answers', what: 'answers read from the replies to letters mailed', count: answers.erase.length, action: 'remove', basis: null, why: 'no legal obligation to keep them, as the status variables they set' });
    }
    if (answers.keep.length) {
      others.push({ code: 'letter_answers_kept', what: 'answers read from the replies to letters mailed', count: answers.keep.length, action: 'keep', basis: 'as the reply-coupon document(s) they came with', why: `kept with reply-coupon document(s) ${answers.keep.map((l) => l.reply_document_id).join(', ')}` });
    }
    if (reviews.remove.length) {
      others.push({ code: 'coupon_reviews', what: 'coupon review items (scanned reply coupons that needed a person, open or resolved)', count: reviews.remove.length, action: 'remove', basis: null, why: 'no legal obligation to keep them: a reply recorded from one is kept as its reply-coupon document, under that document\'s own retention' });
    }
    for (const h of reviews.held) {
      others.push({ code: 'coupon_review_held', what: `coupon review item ${h.review.id}`, count: 1, action: 'keep', basis: 'GDPR art. 17(3)(e): establishment, exercise or defence of legal claims (legal hold)', why: `under legal hold ${h.holds.join(', ')}; kept until the hold is released` });
    }
    if (pages.remove.length) {
      others.push({ code: 'coupon_pages', what: 'coupon page readings (code, answer and tick readings of each page of a returned coupon batch)', count: pages.remove.length, action: 'remove', basis: null, why: 'no legal obligation to keep them: the reply is recorded on the letter and its reply-coupon document; the page stays in its batch, marked erased' });
      const batches = new Set(pages.remove.map((p) => p.batch_id));
      others.push({ code: 'coupon_batch_scans', what: `the page images in the stored scans of ${batches.size} returned stack(s)`, count: pages.remove.length, action: 'remove', basis: null, why: "each scan is replaced by a copy with these pages as placeholder pages (other customers' pages unchanged); the upload is deleted once nothing else keeps its bytes" });
    }
    for (const h of heldPagesByBatch(pages.held)) {
      others.push({ code: 'coupon_pages_held', what: `coupon page readings of batch ${h.batchId}, page(s) ${h.pages.join(', ')}`, count: h.pages.length, action: 'keep', basis: 'GDPR art. 17(3)(e): establishment, exercise or defence of legal claims (legal hold)', why: `under legal hold ${h.holds.join(', ')}; kept until the hold is released` });
    }
    const mail = await erasableMessages(this.db, customerId);
    const action = new Map(items.map((i) => [i.documentId, i.action]));
    if (mail.remove.length) {
      others.push({ code: 'mail_messages', what: 'stored e-mail messages (.eml) no document remains from', count: mail.remove.length, action: 'remove', basis: null, why: 'a copy of destroyed or never-taken attachments; a tombstone without sender or subject remains' });
    }
    for (const c of mail.carrying) {
      const keptBy = c.documents.filter((d) => action.get(d) !== 'remove');
      others.push(
        keptBy.length
          ? { code: 'mail_message_kept', what: `stored e-mail message ${c.message.id} (.eml)`, count: 1, action: 'keep', basis: 'as the document(s) it carries', why: `it holds the attachment of kept document(s) ${keptBy.join(', ')}; it goes when the last of them is destroyed` }
          : { code: 'mail_message_with_documents', what: `stored e-mail message ${c.message.id} (.eml)`, count: 1, action: 'remove', basis: null, why: `goes with its document(s) ${c.documents.join(', ')} when they are destroyed` },
      );
    }
    const removable = items.filter((i) => i.action === 'remove' && !open.get(i.documentId)?.open_disposal_id);
    const report = {
      customerId,
      dryRun: input.dryRun,
      asOf: day,
      summary: `${items.length - kept} of ${items.length} document(s) can be removed, ${kept} must be kept`,
      documents: items,
      other: others,
      /** Coupon review items of the customer: removed when the erasure is executed, or kept by a legal hold. */
      couponReviews: { remove: reviews.remove.length, keep: reviews.held.length },
      /** The readings of the customer's coupon pages: blanked when the erasure is executed, or kept by a legal hold. */
      couponPages: { remove: pages.remove.length, keep: pages.held.length },
      disposal: null as Awaited<ReturnType<DisposalService['get']>> | null,
    };
    if (input.dryRun) {
      await this.audit.recordNow({ actorId: actor.id, action: 'customer.erasure-dry-run', subjectType: 'customer', subjectId: customerId, customerId, details: { remove: items.length - kept, keep: kept, couponReviews: report.couponReviews, couponPages: report.couponPages } });
      return report;
    }
    const disposalId = await this.db.tx(async (q) => {
      const openErasure = (await retentionRepository.listDisposals(q, { limit: 1000 })).find((d) => d.kind === 'erasure' && d.customer_id === customerId && ['proposed', 'approved', 'executing'].includes(d.status));
      if (openErasure) throw new Conflict(`An erasure for ${customerId} is already open (${openErasure.id})`, { disposalId: openErasure.id }, 'erasure_open');
      const rows = [];
      for (const i of removable) {
        const r = await documentsRepository.get(q, i.documentId);
        if (r && !r.on_hold) rows.push(r);
      }
      const id = await this.disposals.createInTx(q, { kind: 'erasure', reason: input.reason, dueBefore: null, customerId, rows }, actor);
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'customer.erasure-request',
        subjectType: 'customer',
        subjectId: customerId,
        customerId,
        details: { reason: input.reason, disposalId: id, remove: rows.length, couponReviews: report.couponReviews, couponPages: report.couponPages, keep: items.filter((i) => i.action === 'keep').map((i) => ({ id: i.documentId, until: i.until, basis: i.basis })) },
      });
      return id;
    });
    report.disposal = await this.disposals.get(disposalId);
    return report;
  }

  // ------------------------------------------------------------------------------ restriction

  /** GDPR art. 18: marks (or unmarks) the customer; mailings refuse restricted customers. */
  async restrict(customerId: string, input: { restricted: boolean; reason: string }, actor: Principal) {
    await this.db.tx(async (q) => {
      const c = await customersRepository.get(q, customerId);
      if (!c) throw new NotFound('customer', customerId);
      await retentionRepository.setRestricted(q, customerId, input.restricted, nowIso(this.clock));
      await this.audit.record(q, {
        actorId: actor.id,
        action: input.restricted ? 'customer.restrict' : 'customer.unrestrict',
        subjectType: 'customer',
        subjectId: customerId,
        customerId,
        details: { reason: input.reason, before: Boolean(c.restricted) },
      });
    });
    return { customer: toCustomerView((await customersRepository.get(this.db, customerId))!), restriction: await this.restriction(customerId) };
  }

  /** The last restriction decision on a customer, from the audit log. */
  async restriction(customerId: string) {
    const events = [
      ...(await auditRepository.query(this.db, { customerId, action: 'customer.restrict' }, 1)),
      ...(await auditRepository.query(this.db, { customerId, action: 'customer.unrestrict' }, 1)),
      ...(await auditRepository.query(this.db, { customerId, action: 'customer.erase' }, 1)),
    ].sort((a, b) => b.seq - a.seq);
    const last = events[0];
    if (!last) return null;
    const details = JSON.parse(last.details) as { reason?: string; disposalId?: string };
    return { action: last.action, at: last.at, by: last.actor_id, reason: details.reason ?? (details.disposalId ? `erasure ${details.disposalId}` : null) };
  }
}
