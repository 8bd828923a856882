import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ObjectStore, StoredObject } from '../adapters/object-store/object-store.js';
import { couponPageSubjectsRepository } from '../db/coupon-page-subjects.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { restrictionRepository } from '../db/restriction.repository.js';
import { mailingsRepository, type BatchRow, type CouponPageRow, type ReviewReason } from '../db/mailings.repository.js';
import { newId } from '../domain/ids.js';
import type { CouponUnit } from '../domain/mailing.js';
import type { Principal } from '../domain/roles.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import type { JobQueuePort } from './job-queue.port.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import type { IncomingFile, IntakeService } from './intake.service.js';
import { releasePins, removeIfUnreferenced } from './object-guard.js';
import { safeFileName } from '../domain/file-names.js';
import type { CouponImage, CouponOriginal, CouponsService } from './coupons.service.js';

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

/**
 * Bulk coupon batches: accepting a scanned stack, a coupon found in a general intake stack, the
 * batch's state, and pass 2 of the `coupons` job per unit. Split from CouponsService (which keeps
 * the single scan, receiving a reply, the review queue and separator sheets, and delegates here)
 * because upload and job handling change apart from what a reply does; a matched unit is handed
 * to CouponsService.receive.
 */
export class CouponBatches {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly queue: JobQueuePort,
    private readonly intake: IntakeService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly receive: CouponsService['receive'],
  ) {}

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
      await removeIfUnreferenced(this.db, this.store, created, { ownPins: stored.map((s) => s.obj) }).catch(() => undefined);
      throw err;
    };
    await this.db.tx(async (q) => {
      for (const s of stored) {
        const earlier = await mailingsRepository.batchWithFile(q, s.obj.sha256);
        if (earlier) throw duplicateUpload(s.f.originalName, earlier.batch_id);
      }
      const now = nowIso(this.clock);
      await releasePins(q, ...stored.map((s) => s.obj));
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

  /** `hideRestricted`: a held coupon's answer (GDPR art. 18) is left out, its outcome `restricted` says why. */
  async batch(id: string, opts: { hideRestricted?: boolean } = {}) {
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
      // `redacted`: erased pages were replaced by placeholders in the file as kept (GDPR art. 17).
      files: files.map((f) => ({ fileNo: f.file_no, name: f.name, mime: f.mime, pages: f.page_count, redacted: Boolean(f.original_sha256) })),
      pages: pages.map((p) => ({
        pageNo: p.page_no,
        fileNo: p.file_no,
        filePage: p.file_page,
        kind: p.kind,
        code: p.code,
        answer: opts.hideRestricted && p.outcome === 'restricted' ? null : p.answer,
        unit: p.unit,
        outcome: p.outcome,
        // The page stays listed after an erasure blanked its readings (GDPR art. 17).
        erased: p.erased_at !== null,
      })),
      reviews: reviews.map((r) => ({ id: r.id, pages: JSON.parse(r.pages) as number[], reason: r.reason, status: r.status })),
      createdAt: b.created_at,
      finishedAt: b.finished_at,
    };
  }

  /**
   * Pass 2 of the batch job for one unit: a coupon with a known, open code is received; anything
   * else becomes a review item with the page image. Idempotent: a unit whose pages already have
   * an outcome is left alone, and outcome and effect commit together. A unit with a page erased
   * (GDPR art. 17) before it was settled (the job resumed after the erasure, or the erasure
   * committed while the job ran) is left unsettled: with its readings gone it would otherwise
   * become an "unknown" review item keeping the erased customer's page image, owned by nobody.
   */
  async applyUnit(
    batch: BatchRow,
    unit: CouponUnit,
    pages: CouponPageRow[],
    make: { original(): Promise<CouponOriginal>; image(): Promise<CouponImage> },
  ): Promise<CouponPageRow['outcome']> {
    const mine = pages.filter((p) => unit.pages.includes(p.page_no));
    if (mine.length && mine.every((p) => p.outcome)) return mine.find((p) => p.page_no === unit.keyPage)?.outcome ?? mine[0]!.outcome;
    if (mine.some((p) => p.erased_at)) return null;
    const key = mine.find((p) => p.page_no === unit.keyPage);
    const actorId = system(batch.created_by);
    const letter = unit.kind === 'letter' && unit.code ? await mailingsRepository.letterByBarcode(this.db, unit.code) : undefined;
    const reason: ReviewReason | null =
      unit.kind === 'letter' ? (!letter ? 'unknown' : letter.replied_at ? 'duplicate' : null) : unit.kind === 'multiple' ? 'multiple' : unit.kind === 'none' ? 'unreadable' : 'invalid';
    const original = await make.original();
    // The page image is stored before the transaction, never inside it: a store write does not
    // hold the write lock over an S3 round trip, and the object guard's pin is a transaction of
    // its own. Made up front where a review is sure or likely (a duplicate, a restricted
    // customer); otherwise the transaction asks for it and runs again with it.
    const likely = letter && (letter.replied_at !== null || (await restrictionRepository.customerRestricted(this.db, letter.customer_id)));
    let image = reason || likely ? await make.image() : null;
    const hint = unit.separator ? ((await mailingsRepository.separator(this.db, unit.separator))?.customer_id ?? null) : null;
    for (;;) {
      try {
        return await this.settleUnit(batch, unit, { key, letter, reason, original, image, hint, actorId });
      } catch (err) {
        if (!(err instanceof ImageNeeded) || image !== null) throw err;
        image = await make.image();
      }
    }
  }

  /** The transaction of `applyUnit`: throws ImageNeeded when a review needs the page image it was not given. */
  private settleUnit(
    batch: BatchRow,
    unit: CouponUnit,
    c: { key: CouponPageRow | undefined; letter: Awaited<ReturnType<typeof mailingsRepository.letterByBarcode>>; reason: ReviewReason | null; original: CouponOriginal; image: CouponImage | null; hint: string | null; actorId: string },
  ): Promise<CouponPageRow['outcome']> {
    const { key, letter, reason, original, image, hint, actorId } = c;
    return this.db.tx(async (q) => {
      // The rows below refer to the unit's original and image from this commit on: their writes' pins can go.
      await releasePins(q, original, image);
      // Erased since the pages were read: nothing is made of them (the sweep removes the unused objects).
      if (await couponPageSubjectsRepository.anyErased(q, batch.id, unit.pages)) return null;
      const openReview = async (why: ReviewReason) => {
        if (image === null) throw new ImageNeeded();
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
          image_sha256: image.sha256,
          original_sha256: original.sha256,
          original_mime: original.mime,
          original_size: original.size,
          created_at: nowIso(this.clock),
        });
        await this.audit.record(q, {
          actorId,
          // A held coupon (GDPR art. 18) is audited as such, like one held from a single scan.
          action: why === 'restricted' ? 'coupon.held' : 'coupon.review-open',
          subjectType: 'coupon-review',
          subjectId: reviewId,
          customerId: letter?.customer_id ?? null,
          details: { batchId: batch.id, pages: unit.pages, reason: why, code: unit.code, ...(why === 'restricted' ? { via: 'batch', reviewId } : {}) },
        });
        await mailingsRepository.setPageOutcome(q, batch.id, unit.pages, unit.unit, why === 'multiple' ? 'invalid' : why);
        return why === 'multiple' ? 'invalid' : why;
      };
      if (reason) return openReview(reason);
      const fresh = (await mailingsRepository.letterByBarcode(q, letter!.barcode))!;
      if (fresh.replied_at) return openReview('duplicate');
      // GDPR art. 18: a restricted customer's coupon is kept and held for compliance, its status not set.
      if (await restrictionRepository.customerRestricted(q, fresh.customer_id)) return openReview('restricted');
      const ticks = key?.ticks ? (JSON.parse(key.ticks) as { note?: string }) : {};
      await this.receive(q, fresh, { via: 'batch', answer: key?.answer ?? null, note: ticks.note, original, actorId, batchId: batch.id, unit: unit.unit });
      await mailingsRepository.setPageOutcome(q, batch.id, [unit.keyPage], unit.unit, 'received');
      const rest = unit.pages.filter((p) => p !== unit.keyPage);
      if (rest.length) await mailingsRepository.setPageOutcome(q, batch.id, rest, unit.unit, 'attached');
      return 'received';
    });
  }
}

/** A coupon turned out to need review inside the transaction: its page image is stored, then the transaction runs again. */
class ImageNeeded extends Error {}
