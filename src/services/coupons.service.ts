import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ObjectStore, StoredObject } from '../adapters/object-store/object-store.js';
import { renderSeparatorSheetPdf } from '../adapters/pdf/separator-sheet.pdf.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { mailingsRepository, type BatchRow, type CouponPageRow, type LetterWithMailing, type ReviewReason, type ReviewRow } from '../db/mailings.repository.js';
import { BARCODE_PROBLEM_TEXT, makeBarcode, parseBarcode } from '../domain/barcode.js';
import { newId } from '../domain/ids.js';
import { STATUS_REPLY_RECEIVED, type CouponUnit } from '../domain/mailing.js';
import type { Principal } from '../domain/roles.js';
import { Conflict, Invalid, NotFound, UnknownReference } from '../errors.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { AuditService } from './audit.service.js';
import { nowIso, today, type Clock } from './clock.js';
import { buildDocument } from './document-records.js';
import type { IncomingFile, IntakeService } from './intake.service.js';
import { loadTemplates } from './mailings.service.js';
import type { ScopesService } from './scopes.service.js';
import type { StatusService } from './status.service.js';
import { removeIfUnreferenced } from './object-sweep.service.js';
import { safeFileName } from '../domain/file-names.js';

/** What a returned coupon is kept as: the page(s) by content hash. */
export type CouponOriginal = { sha256: string; mime: string; size: number; pages: number };
export type ReplyVia = 'batch' | 'scan' | 'review';
export type ResolveAction =
  | { action: 'code'; barcode: string; answer?: string }
  | { action: 'customer'; customerId: string; mailingId?: string; answer?: string }
  | { action: 'discard'; note?: string };

/** Pages one coupon batch may hold; a bigger stack is split by the operator. */
export const MAX_BATCH_PAGES = 5_000;

const system = (id: string | null) => id ?? 'system';

const duplicateUpload = (name: string | null, batchId: string) =>
  new Conflict(`${name ?? 'A file'} was already uploaded in batch ${batchId}`, { file: name, batchId }, 'duplicate_upload');

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

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
    private readonly queue: JobQueue,
    private readonly intake: IntakeService,
    private readonly audit: AuditService,
    private readonly status: StatusService,
    private readonly scopes: ScopesService,
    private readonly clock: Clock,
  ) {}

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
  async scan(input: { barcode: string; answer?: string }, actor: Principal) {
    const code = this.letterCode(input.barcode);
    return this.db.tx(async (q) => {
      const letter = await mailingsRepository.letterByBarcode(q, code);
      if (!letter) throw new UnknownReference(`No mailing letter has the code ${code}`, { barcode: code }, 'unknown_letter');
      if (letter.replied_at) throw this.alreadyReceived(letter);
      await this.checkAnswer(letter, input.answer);
      const { documentId } = await this.receive(q, letter, { via: 'scan', answer: input.answer ?? null, original: null, actorId: actor.id });
      return { barcode: code, mailingId: letter.mailing_id, customerId: letter.customer_id, answer: input.answer ?? null, documentId, status: STATUS_REPLY_RECEIVED };
    });
  }

  // ------------------------------------------------------------------ batches

  /**
   * Accepts a scanned stack: every file is checked by its bytes first (one bad file refuses the
   * whole upload and nothing is kept), then stored by content hash and queued for the `coupons`
   * job. A file uploaded in an earlier batch is refused (409): it would only fill review with
   * duplicates.
   */
  async acceptBatch(files: IncomingFile[], actor: Principal) {
    if (files.length === 0) throw new Invalid('No file was sent: use the field `file` (or `files` for several)', undefined, 'no_file');
    const checked: { f: IncomingFile; mime: string; pageCount: number }[] = [];
    for (const f of files) {
      const r = await this.intake.preflight(f);
      checked.push({ f: { ...f, originalName: safeFileName(f.originalName, r.mime) }, ...r });
    }
    const pageCount = checked.reduce((n, c) => n + c.pageCount, 0);
    if (pageCount > MAX_BATCH_PAGES) throw new Invalid(`At most ${MAX_BATCH_PAGES} pages per batch; this one has ${pageCount}`, { pageCount }, 'batch_too_large');
    // Refuse a stack seen before without storing anything of it (the transaction checks again).
    for (const c of checked) {
      const earlier = await mailingsRepository.batchWithFile(this.db, await sha256File(c.f.path));
      if (earlier) throw duplicateUpload(c.f.originalName, earlier.batch_id);
    }
    const stored: ((typeof checked)[number] & { obj: StoredObject })[] = [];
    for (const c of checked) stored.push({ ...c, obj: await this.store.putFile(c.f.path, { contentType: c.mime }) });
    const id = newId('cpb', this.clock.now().getTime());
    const refused = async (err: unknown): Promise<never> => {
      // Files must not outlive the batch they were stored for.
      const created = stored.filter((s) => s.obj.created).map((s) => s.obj.sha256);
      await removeIfUnreferenced(this.db, this.store, created).catch(() => undefined);
      throw err;
    };
    await this.db.tx(async (q) => {
      for (const s of stored) {
        const earlier = await mailingsRepository.batchWithFile(q, s.obj.sha256);
        if (earlier) throw duplicateUpload(s.f.originalName, earlier.batch_id);
      }
      const now = nowIso(this.clock);
      await mailingsRepository.insertBatch(
        q,
        { id, status: 'queued', page_count: pageCount, job_id: null, created_by: actor.id, created_at: now },
        stored.map((s, i) => ({ file_no: i + 1, sha256: s.obj.sha256, mime: s.mime, name: s.f.originalName, size: s.obj.size, page_count: s.pageCount })),
      );
      const job = await this.queue.enqueue(q, { kind: 'coupons', payload: { batchId: id }, idempotencyKey: `coupons:${id}` });
      await mailingsRepository.setBatchJob(q, id, job.id);
      await this.audit.record(q, { actorId: actor.id, action: 'coupon.batch-upload', subjectType: 'coupon-batch', subjectId: id, details: { files: stored.length, pages: pageCount } });
    }).catch(refused);
    return this.batch(id);
  }

  /**
   * Inside the caller's transaction: a reply coupon found in a general intake stack becomes a
   * coupon batch of its own (already stored by content hash), settled by the `coupons` job exactly
   * as an uploaded batch. The job is queued under `jobKey`, so the caller's re-run adds nothing.
   */
  async batchFromStack(q: Queryable, file: { sha256: string; mime: string; name: string | null; size: number; pageCount: number }, actorId: string, jobKey: string): Promise<string> {
    const id = newId('cpb', this.clock.now().getTime());
    await mailingsRepository.insertBatch(
      q,
      { id, status: 'queued', page_count: file.pageCount, job_id: null, created_by: actorId, created_at: nowIso(this.clock) },
      [{ file_no: 1, sha256: file.sha256, mime: file.mime, name: file.name, size: file.size, page_count: file.pageCount }],
    );
    const job = await this.queue.enqueue(q, { kind: 'coupons', payload: { batchId: id }, idempotencyKey: jobKey });
    await mailingsRepository.setBatchJob(q, id, job.id);
    await this.audit.record(q, { actorId, action: 'coupon.batch-upload', subjectType: 'coupon-batch', subjectId: id, details: { files: 1, pages: file.pageCount, from: 'intake-stack' } });
    return id;
  }

  async batch(id: string) {
    const b = await mailingsRepository.getBatch(this.db, id);
    if (!b) throw new NotFound('coupon batch', id);
    const job = b.job_id ? await this.queue.get(b.job_id) : null;
    const files = await mailingsRepository.batchFiles(this.db, id);
    const pages = await mailingsRepository.pages(this.db, id);
    const reviews = await mailingsRepository.listReviews(this.db, { batchId: id, limit: MAX_BATCH_PAGES, offset: 0 });
    return {
      id: b.id,
      status: b.status,
      pageCount: b.page_count,
      progress: job?.progress ?? null,
      job: job ? { id: job.id, status: job.status, attempts: job.attempts, lastError: job.lastError } : null,
      summary: JSON.parse(b.summary) as Record<string, number>,
      files: files.map((f) => ({ fileNo: f.file_no, name: f.name, mime: f.mime, pages: f.page_count })),
      pages: pages.map((p) => ({ pageNo: p.page_no, fileNo: p.file_no, filePage: p.file_page, kind: p.kind, code: p.code, answer: p.answer, unit: p.unit, outcome: p.outcome })),
      reviews: reviews.map((r) => ({ id: r.id, pages: JSON.parse(r.pages) as number[], reason: r.reason, status: r.status })),
      createdAt: b.created_at,
      finishedAt: b.finished_at,
    };
  }

  /**
   * Pass 2 of the batch job for one unit: a coupon with a known, open code is received; anything
   * else becomes a review item with the page image. Idempotent: a unit whose pages already have
   * an outcome is left alone, and outcome and effect commit together.
   */
  async applyUnit(
    batch: BatchRow,
    unit: CouponUnit,
    pages: CouponPageRow[],
    make: { original(): Promise<CouponOriginal>; image(): Promise<string> },
  ): Promise<CouponPageRow['outcome']> {
    const mine = pages.filter((p) => unit.pages.includes(p.page_no));
    if (mine.length && mine.every((p) => p.outcome)) return mine.find((p) => p.page_no === unit.keyPage)?.outcome ?? mine[0]!.outcome;
    const key = mine.find((p) => p.page_no === unit.keyPage);
    const actorId = system(batch.created_by);
    const letter = unit.kind === 'letter' && unit.code ? await mailingsRepository.letterByBarcode(this.db, unit.code) : undefined;
    const reason: ReviewReason | null =
      unit.kind === 'letter' ? (!letter ? 'unknown' : letter.replied_at ? 'duplicate' : null) : unit.kind === 'multiple' ? 'multiple' : unit.kind === 'none' ? 'unreadable' : 'invalid';
    const original = await make.original();
    let image = reason ? await make.image() : null;
    const hint = unit.separator ? ((await mailingsRepository.separator(this.db, unit.separator))?.customer_id ?? null) : null;
    return this.db.tx(async (q) => {
      const openReview = async (why: ReviewReason) => {
        image ??= await make.image();
        const reviewId = newId('rev', this.clock.now().getTime());
        await mailingsRepository.insertReview(q, {
          id: reviewId,
          batch_id: batch.id,
          unit: unit.unit,
          pages: JSON.stringify(unit.pages),
          reason: why,
          code: unit.code,
          answer: key?.answer ?? null,
          hint_customer_id: hint,
          image_sha256: image,
          original_sha256: original.sha256,
          original_mime: original.mime,
          original_size: original.size,
          created_at: nowIso(this.clock),
        });
        await this.audit.record(q, {
          actorId,
          action: 'coupon.review-open',
          subjectType: 'coupon-review',
          subjectId: reviewId,
          customerId: letter?.customer_id ?? null,
          details: { batchId: batch.id, pages: unit.pages, reason: why, code: unit.code },
        });
        await mailingsRepository.setPageOutcome(q, batch.id, unit.pages, unit.unit, why === 'multiple' ? 'invalid' : why);
        return why === 'multiple' ? 'invalid' : why;
      };
      if (reason) return openReview(reason);
      const fresh = (await mailingsRepository.letterByBarcode(q, letter!.barcode))!;
      if (fresh.replied_at) return openReview('duplicate');
      const ticks = key?.ticks ? (JSON.parse(key.ticks) as { note?: string }) : {};
      await this.receive(q, fresh, { via: 'batch', answer: key?.answer ?? null, note: ticks.note, original, actorId, batchId: batch.id, unit: unit.unit });
      await mailingsRepository.setPageOutcome(q, batch.id, [unit.keyPage], unit.unit, 'received');
      const rest = unit.pages.filter((p) => p !== unit.keyPage);
      if (rest.length) await mailingsRepository.setPageOutcome(q, batch.id, rest, unit.unit, 'attached');
      return 'received';
    });
  }

  // ------------------------------------------------------------------ review queue

  async reviews(f: { status?: ReviewRow['status']; batchId?: string; limit: number; offset: number }) {
    return (await mailingsRepository.listReviews(this.db, f)).map(toReviewView);
  }

  /** The page image of a review item (PNG). Reading it is audited: it shows a customer's coupon. */
  async reviewImage(id: string, actor: Principal): Promise<Buffer> {
    const r = await mailingsRepository.getReview(this.db, id);
    if (!r) throw new NotFound('review item', id);
    await this.audit.recordNow({ actorId: actor.id, action: 'coupon.review-view', subjectType: 'coupon-review', subjectId: id });
    return this.store.getBuffer(r.image_sha256);
  }

  /**
   * Resolves a review item: by the code typed from the coupon, by choosing the customer (their one
   * open letter, or the one of `mailingId`), or by discarding it with a note. 409 when the item
   * is no longer open or the letter already has a reply.
   */
  async resolve(id: string, a: ResolveAction, actor: Principal) {
    const review = await mailingsRepository.getReview(this.db, id);
    if (!review) throw new NotFound('review item', id);
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
          original: { sha256: current.original_sha256, mime: current.original_mime, size: current.original_size, pages: (JSON.parse(current.pages) as number[]).length },
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

  /**
   * A printable separator sheet with a new S code; with a customer and/or type it is a cover sheet
   * that assigns them to the pages that follow it. `copies` pages carry the same code.
   */
  async separatorSheet(input: { customerId?: string; type?: string; copies?: number }, actor: Principal) {
    return this.db.tx(async (q) => {
      const customer = input.customerId ? await customersRepository.get(q, input.customerId) : undefined;
      if (input.customerId && !customer) throw new UnknownReference(`customer ${JSON.stringify(input.customerId)} does not exist`, { customerId: input.customerId }, 'unknown_customer');
      const barcode = makeBarcode('separator', await mailingsRepository.reserve(q, 'barcode.separator', 1));
      await mailingsRepository.insertSeparator(q, { barcode, customer_id: input.customerId ?? null, type: input.type ?? null, created_by: actor.id, created_at: nowIso(this.clock) });
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'separator.create',
        subjectType: 'separator',
        subjectId: barcode,
        customerId: input.customerId ?? null,
        details: { type: input.type ?? null, copies: input.copies ?? 1 },
      });
      const pdf = await renderSeparatorSheetPdf({ barcode, customer: customer ? { id: customer.id, name: customer.name } : null, type: input.type ?? null, copies: input.copies ?? 1 });
      return { barcode, pdf };
    });
  }
}
