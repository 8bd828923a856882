import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { mailingsRepository, type BatchRow, type CouponPageRow, type LetterWithMailing, type ReviewRow } from '../db/mailings.repository.js';
import { BARCODE_PROBLEM_TEXT, parseBarcode } from '../domain/barcode.js';
import { STATUS_REPLY_RECEIVED, type CouponUnit } from '../domain/mailing.js';
import type { Principal } from '../domain/roles.js';
import { Conflict, Invalid, NotFound, Restricted, UnknownReference } from '../errors.js';
import { seesRestricted } from '../domain/restriction.js';
import { restrictionRepository } from '../db/restriction.repository.js';
import type { JobQueuePort } from './job-queue.port.js';
import type { AuditService } from './audit.service.js';
import { nowIso, today, type Clock } from './clock.js';
import { newId } from '../domain/ids.js';
import { buildDocument } from './document-records.js';
import type { IncomingFile, IntakeService } from './intake.service.js';
import { loadTemplates } from './mailings.service.js';
import type { ScopesService } from './scopes.service.js';
import type { StatusService } from './status.service.js';
import { CouponBatches } from './coupon-batches.service.js';
import { createSeparatorSheet, type SeparatorSheetInput } from './separator-sheets.js';

/** What a returned coupon is kept as: the page(s) by content hash. */
/** `pin`: the object guard's pin of the write that stored it (object-guard.ts), given back when its row commits. */
export type CouponOriginal = { sha256: string; mime: string; size: number; pages: number; pin?: string };
/** A coupon page image as stored (its pin given back when the review row commits). */
export type CouponImage = { sha256: string; pin?: string };
export type ReplyVia = 'batch' | 'scan' | 'review';
/** What a single scan answers: the reply recorded, or (GDPR art. 18) the coupon held without naming its customer. */
export type ScanOutcome = {
  barcode: string;
  mailingId: string;
  customerId: string | null;
  answer: string | null;
  documentId: string | null;
  status: string | null;
  restricted?: true;
  held?: true;
  reviewId?: string;
};
export type ResolveAction =
  | { action: 'code'; barcode: string; answer?: string }
  | { action: 'customer'; customerId: string; mailingId?: string; answer?: string }
  | { action: 'discard'; note?: string };

export { MAX_BATCH_PAGES } from './coupon-batches.service.js';

export function toReviewView(r: ReviewRow) {
  return {
    id: r.id,
    batchId: r.batch_id,
    pages: JSON.parse(r.pages) as number[],
    reason: r.reason,
    code: r.code,
    answer: r.answer,
    hintCustomerId: r.hint_customer_id,
    status: r.status,
    resolution: r.resolution ? (JSON.parse(r.resolution) as Record<string, unknown>) : null,
    resolvedBy: r.resolved_by,
    resolvedAt: r.resolved_at,
    createdAt: r.created_at,
  };
}

/**
 * Returned reply coupons: a keyboard-wedge scan of one code, bulk batches of scanned pages (read
 * by the `coupons` job), and the review queue for what cannot be matched. A known code sets the
 * customer's `reply-received` status and links the coupon to the dossier as a static
 * `reply-coupon` document; nothing is ever dropped without a person deciding.
 */
export class CouponsService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    queue: JobQueuePort,
    intake: IntakeService,
    private readonly audit: AuditService,
    private readonly status: StatusService,
    private readonly scopes: ScopesService,
    private readonly clock: Clock,
  ) {
    this.batches = new CouponBatches(db, store, queue, intake, audit, clock, this.receive.bind(this));
  }

  /** Bulk batches and the `coupons` job's per-unit step live in coupon-batches.service.ts. */
  private readonly batches: CouponBatches;

  /** The answer ids a letter's coupon offers, or null for a code that is not a known letter. */
  async answersOf(code: string): Promise<string[] | null> {
    const letter = await mailingsRepository.letterByBarcode(this.db, code);
    if (!letter) return null;
    return (await loadTemplates()).get(letter.template)?.coupon.answers.map((a) => a.id) ?? null;
  }

  /** Parses a typed or scanned letter code: 400 with the reason when it is not one. */
  private letterCode(raw: string): string {
    const parsed = parseBarcode(raw);
    if (!parsed.ok) throw new Invalid(`Not a valid barcode: ${BARCODE_PROBLEM_TEXT[parsed.problem]}`, { barcode: raw, problem: parsed.problem }, 'invalid_barcode');
    if (parsed.value.kind !== 'letter') {
      throw new Invalid(`${parsed.value.code} is a ${parsed.value.kind} code, not the code of a mailing letter`, { barcode: parsed.value.code, kind: parsed.value.kind }, 'not_a_letter_code');
    }
    return parsed.value.code;
  }

  private async checkAnswer(letter: LetterWithMailing, answer: string | undefined): Promise<void> {
    if (answer === undefined) return;
    const allowed = (await loadTemplates()).get(letter.template)?.coupon.answers.map((a) => a.id) ?? [];
    if (!allowed.includes(answer)) throw new Invalid(`Unknown answer ${JSON.stringify(answer)}`, { answer, allowed }, 'unknown_answer');
  }

  private alreadyReceived(letter: LetterWithMailing): Conflict {
    return new Conflict(`The coupon of letter ${letter.barcode} was already received on ${letter.replied_at}`, {
      barcode: letter.barcode,
      customerId: letter.customer_id,
      receivedAt: letter.replied_at,
      answer: letter.answer,
    }, 'already_received');
  }

  /**
   * Records a reply inside the caller's transaction: the static reply-coupon document (with the
   * scan as original when there is one), the letter's reply, the status variable and the audit
   * event. Throws Conflict 'already_received' when the letter has a reply.
   */
  async receive(
    q: Queryable,
    letter: LetterWithMailing,
    r: {
      via: ReplyVia;
      answer: string | null;
      note?: string;
      original: CouponOriginal | null;
      actorId: string;
      batchId?: string;
      unit?: number;
      /** A reply-coupon document registered already (paper registration): linked instead of a new one. */
      documentId?: string;
    },
  ): Promise<{ documentId: string }> {
    // GDPR art. 18: setting a restricted customer's status is processing. The scan and the batch
    // job hold such a coupon instead (holdCoupon); applying a held or other review item waits until
    // compliance has lifted the restriction.
    if (await restrictionRepository.customerRestricted(q, letter.customer_id)) {
      throw new Conflict(
        `The customer of letter ${letter.barcode} is restricted (GDPR art. 18): its reply is not recorded until the restriction is lifted; the coupon can be discarded meanwhile`,
        { barcode: letter.barcode },
        'still_restricted',
      );
    }
    const date = today(this.clock);
    const template = (await loadTemplates()).get(letter.template);
    const label = template?.coupon.answers.find((a) => a.id === r.answer)?.label ?? null;
    const documentId = r.documentId ?? (await this.couponDocument(q, letter, r));
    const changed = await mailingsRepository.markReplied(q, letter.barcode, {
      at: nowIso(this.clock),
      answer: r.answer,
      via: r.via,
      documentId,
      batchId: r.batchId,
      unit: r.unit,
    });
    if (changed === 0) throw this.alreadyReceived((await mailingsRepository.letterByBarcode(q, letter.barcode)) ?? letter);
    await this.status.set(q, {
      customerId: letter.customer_id,
      name: STATUS_REPLY_RECEIVED,
      value: r.answer ?? 'unknown',
      detail: {
        date,
        answer: r.answer,
        answerLabel: label,
        ...(r.note ? { note: r.note } : {}),
        mailingId: letter.mailing_id,
        mailing: letter.mailing_name,
        barcode: letter.barcode,
        documentId,
        via: r.via,
      },
      actorId: r.actorId,
      source: r.batchId ? `coupon-batch:${r.batchId}` : `coupon-${r.via}`,
    });
    await this.audit.record(q, {
      actorId: r.actorId,
      action: 'coupon.received',
      subjectType: 'letter',
      subjectId: letter.barcode,
      customerId: letter.customer_id,
      details: { mailingId: letter.mailing_id, answer: r.answer, via: r.via, documentId, batchId: r.batchId ?? null },
    });
    return { documentId };
  }

  /** The static reply-coupon document of a returned coupon: kept (the scan as original when there is one), linked, never OCR'd. */
  private async couponDocument(q: Queryable, letter: LetterWithMailing, r: { answer: string | null; original: CouponOriginal | null; actorId: string }): Promise<string> {
    const date = today(this.clock);
    const doc = await buildDocument(
      q,
      {
        customerId: letter.customer_id,
        type: 'reply-coupon',
        title: `Antwoordcoupon ${letter.mailing_name}`.slice(0, 300),
        docDate: date,
        fields: { number: letter.barcode, mailingId: letter.mailing_id, answer: r.answer },
        status: 'ready',
        source: 'coupon',
        createdBy: r.actorId,
        forceClass: 'static',
        original: r.original ? { sha256: r.original.sha256, mime: r.original.mime, name: `${letter.barcode}.${r.original.mime === 'application/pdf' ? 'pdf' : r.original.mime.split('/')[1]}`, size: r.original.size } : undefined,
      },
      await this.scopes.active(q),
      this.clock,
    );
    if (r.original) doc.page_count = r.original.pages;
    await documentsRepository.insert(q, doc);
    return doc.id;
  }

  /**
   * A keyboard-wedge scan of a coupon's code: sets the status and links the paper coupon (kept, not
   * scanned) to the dossier. 400 for a code that is not a valid letter code, 422 for an unknown
   * one, 409 for a coupon already received.
   */
  async scan(input: { barcode: string; answer?: string }, actor: Principal): Promise<ScanOutcome> {
    const code = this.letterCode(input.barcode);
    return this.db.tx(async (q) => {
      const letter = await mailingsRepository.letterByBarcode(q, code);
      if (!letter) throw new UnknownReference(`No mailing letter has the code ${code}`, { barcode: code }, 'unknown_letter');
      const restricted = await restrictionRepository.customerRestricted(q, letter.customer_id);
      if (letter.replied_at) {
        // The 409 names the customer and its answer: not to whom may not see a restricted customer.
        if (restricted && !seesRestricted(actor)) throw new Conflict(`The coupon of letter ${letter.barcode} was already received`, { barcode: letter.barcode, restricted: true }, 'already_received');
        throw this.alreadyReceived(letter);
      }
      await this.checkAnswer(letter, input.answer);
      if (restricted) return this.holdScan(q, letter, input.answer ?? null, actor);
      const { documentId } = await this.receive(q, letter, { via: 'scan', answer: input.answer ?? null, original: null, actorId: actor.id });
      return { barcode: code, mailingId: letter.mailing_id, customerId: letter.customer_id, answer: input.answer ?? null, documentId, status: STATUS_REPLY_RECEIVED };
    });
  }

  /**
   * GDPR art. 18: a scanned coupon of a restricted customer is stored, not processed. It is held in
   * the review queue (reason `restricted`, which only compliance and admin see and resolve), the
   * status is not set, and the scanner is told only that it is held (the paper goes to compliance).
   * Scanning it again answers with the same hold.
   */
  private async holdScan(q: Queryable, letter: LetterWithMailing, answer: string | null, actor: Principal): Promise<ScanOutcome> {
    const held = { barcode: letter.barcode, mailingId: letter.mailing_id, customerId: null, answer: null, documentId: null, status: null, restricted: true as const, held: true as const };
    const earlier = await mailingsRepository.openHold(q, letter.barcode);
    if (earlier) return { ...held, reviewId: earlier.id };
    const reviewId = newId('rev', this.clock.now().getTime());
    await mailingsRepository.insertReview(q, {
      id: reviewId,
      batch_id: null,
      unit: 0,
      pages: '[]',
      reason: 'restricted',
      code: letter.barcode,
      answer,
      hint_customer_id: null,
      image_sha256: null,
      original_sha256: null,
      original_mime: null,
      original_size: null,
      created_at: nowIso(this.clock),
    });
    await this.audit.record(q, {
      actorId: actor.id,
      action: 'coupon.held',
      subjectType: 'letter',
      subjectId: letter.barcode,
      customerId: letter.customer_id,
      details: { via: 'scan', reviewId, mailingId: letter.mailing_id, answer },
    });
    return { ...held, reviewId };
  }

  // ------------------------------------------------------------------ batches (coupon-batches.service.ts)

  /** Accepts a scanned stack of coupons as a batch for the `coupons` job (see CouponBatches.acceptBatch). */
  acceptBatch(files: IncomingFile[], actor: Principal) {
    return this.batches.acceptBatch(files, actor);
  }

  /** Inside the caller's transaction: a coupon found in a general intake stack becomes a batch of its own. */
  batchFromStack(q: Queryable, file: { sha256: string; mime: string; name: string | null; size: number; pageCount: number }, actorId: string, jobKey: string): Promise<string> {
    return this.batches.batchFromStack(q, file, actorId, jobKey);
  }

  batch(id: string, opts: { hideRestricted?: boolean } = {}) {
    return this.batches.batch(id, opts);
  }

  /** Pass 2 of the batch job for one unit (see CouponBatches.applyUnit). */
  applyUnit(
    batch: BatchRow,
    unit: CouponUnit,
    pages: CouponPageRow[],
    make: { original(): Promise<CouponOriginal>; image(): Promise<CouponImage> },
  ): Promise<CouponPageRow['outcome']> {
    return this.batches.applyUnit(batch, unit, pages, make);
  }

  // ------------------------------------------------------------------ review queue

  /** `hideRestricted`: items about a restricted customer are left out (GDPR art. 18). */
  async reviews(f: { status?: ReviewRow['status']; batchId?: string; limit: number; offset: number; hideRestricted?: boolean }) {
    return (await mailingsRepository.listReviews(this.db, f)).map(toReviewView);
  }

  /** The page image of a review item (PNG). Reading it is audited: it shows a customer's coupon. */
  async reviewImage(id: string, actor: Principal): Promise<Buffer> {
    const r = await mailingsRepository.getReview(this.db, id);
    if (!r) throw new NotFound('review item', id);
    await this.assertNotRestricted(id, actor);
    // A coupon held from a single scan has no image: its paper is with the mailroom.
    if (!r.image_sha256) throw new NotFound('image of review item', id);
    await this.audit.recordNow({ actorId: actor.id, action: 'coupon.review-view', subjectType: 'coupon-review', subjectId: id });
    return this.store.getBuffer(r.image_sha256);
  }

  /** GDPR art. 18: a review item about a restricted customer (left out of the list) is only for compliance and admin; audited refusal. */
  private async assertNotRestricted(id: string, actor: Principal): Promise<void> {
    const customerId = await mailingsRepository.reviewCustomer(this.db, id);
    if (customerId && !seesRestricted(actor) && (await restrictionRepository.customerRestricted(this.db, customerId))) {
      await this.audit.recordNow({ actorId: actor.id, action: 'restricted.refused', subjectType: 'coupon-review', subjectId: id, customerId });
      throw new Restricted('This coupon belongs to a customer whose processing is restricted (GDPR art. 18); only compliance may see it');
    }
  }

  /**
   * Resolves a review item: by the code typed from the coupon, by choosing the customer (their one
   * open letter, or the one of `mailingId`), or by discarding it with a note. 409 when the item
   * is no longer open or the letter already has a reply.
   */
  async resolve(id: string, a: ResolveAction, actor: Principal) {
    const review = await mailingsRepository.getReview(this.db, id);
    if (!review) throw new NotFound('review item', id);
    // The item the mailroom cannot list or see is not resolved by its id either (its answer names the customer).
    await this.assertNotRestricted(id, actor);
    let letter: LetterWithMailing | undefined;
    if (a.action === 'code') {
      const code = this.letterCode(a.barcode);
      letter = await mailingsRepository.letterByBarcode(this.db, code);
      if (!letter) throw new UnknownReference(`No mailing letter has the code ${code}`, { barcode: code }, 'unknown_letter');
    } else if (a.action === 'customer') {
      if (!(await customersRepository.get(this.db, a.customerId))) throw new UnknownReference(`customer ${JSON.stringify(a.customerId)} does not exist`, { customerId: a.customerId }, 'unknown_customer');
      const open = await mailingsRepository.openLettersOfCustomer(this.db, a.customerId, a.mailingId);
      if (open.length === 0) throw new UnknownReference(`Customer ${a.customerId} has no letter waiting for a reply${a.mailingId ? ` in mailing ${a.mailingId}` : ''}`, { customerId: a.customerId }, 'no_open_letter');
      if (open.length > 1) {
        throw new Conflict(`Customer ${a.customerId} has letters waiting in ${open.length} mailings; say which with mailingId`, { mailingIds: open.map((l) => l.mailing_id) }, 'ambiguous_letter');
      }
      letter = open[0];
    }
    if (letter && a.action !== 'discard') await this.checkAnswer(letter, a.answer);
    return this.db.tx(async (q) => {
      const current = (await mailingsRepository.getReview(q, id))!;
      if (current.status !== 'open') throw new Conflict(`Review item ${id} is already ${current.status}`, { status: current.status }, 'already_resolved');
      let resolution: Record<string, unknown>;
      if (a.action === 'discard') {
        resolution = { action: 'discard', note: a.note ?? null };
      } else {
        const fresh = (await mailingsRepository.letterByBarcode(q, letter!.barcode))!;
        if (fresh.replied_at) throw this.alreadyReceived(fresh);
        const answer = a.answer ?? current.answer ?? null;
        const { documentId } = await this.receive(q, fresh, {
          via: 'review',
          answer,
          original: current.original_sha256
            ? { sha256: current.original_sha256, mime: current.original_mime!, size: current.original_size!, pages: (JSON.parse(current.pages) as number[]).length }
            : null,
          actorId: actor.id,
        });
        resolution = { action: a.action, barcode: fresh.barcode, customerId: fresh.customer_id, mailingId: fresh.mailing_id, answer, documentId };
      }
      await mailingsRepository.closeReview(q, id, a.action === 'discard' ? 'discarded' : 'resolved', JSON.stringify(resolution), actor.id, nowIso(this.clock));
      await this.audit.record(q, {
        actorId: actor.id,
        action: a.action === 'discard' ? 'coupon.review-discard' : 'coupon.review-resolve',
        subjectType: 'coupon-review',
        subjectId: id,
        customerId: (resolution.customerId as string | undefined) ?? null,
        details: resolution,
      });
      return toReviewView((await mailingsRepository.getReview(q, id))!);
    });
  }

  // ------------------------------------------------------------------ separator sheets

  /** A printable separator (or cover) sheet with a new S code (see separator-sheets.ts). */
  separatorSheet(input: SeparatorSheetInput, actor: Principal) {
    return createSeparatorSheet({ db: this.db, audit: this.audit, clock: this.clock }, input, actor);
  }
}
