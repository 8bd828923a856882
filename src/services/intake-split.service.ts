import { releasePins, removeIfUnreferenced } from './object-guard.js';
/**
 * Barcodes in every intake: before a stack taken in by upload, batch upload, the scanner inbox or
 * e-mail is OCR'd, every page is read for Dossierlink codes. Separator and cover sheets split it
 * into documents (a cover sheet names customer and type), the label of registered paper makes its
 * pages the scan of that paper (digitising on demand), and a reply coupon goes to a coupon batch.
 * A stack without codes goes on to ingest as it is.
 *
 * Crash-safe: each part is made in one transaction with its row in intake_split_parts and its job
 * under the idempotency key `split:<document>:<part>`; a re-run reads the pages again (same
 * result), skips parts already made and stores nothing twice (parts are stored by content hash).
 */
import type { Logger } from 'pino';
import type { BarcodeReader } from '../adapters/barcode/barcode-reader.js';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { renderCoverSheetPdf } from '../adapters/pdf/cover-sheet.pdf.js';
import { pageSubset } from '../adapters/pdf/page-subset.js';
import type { GreyImage } from '../adapters/pdf/pdf-render.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { intakeSplitsRepository } from '../db/intake-splits.repository.js';
import { restrictionRepository } from '../db/restriction.repository.js';
import { seesRestricted } from '../domain/restriction.js';
import type { Principal } from '../domain/roles.js';
import { coverCode, needsSplit, splitStack, type IntakePage, type IntakePart } from '../domain/intake-split.js';
import { failureRecord, UnknownReference } from '../errors.js';
import type { Job, JobQueuePort } from './job-queue.port.js';
import type { JobContext } from './job-queue.port.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import type { CouponsService } from './coupons.service.js';
import type { DigitiseService } from './digitise.service.js';
import { buildDocument } from './document-records.js';
import { IntakeCodes } from './intake-codes.js';
import { SPLIT_JOB, UNCLASSIFIED, titleFromName } from './intake.service.js';

export { SPLIT_JOB };
import type { ScopesService } from './scopes.service.js';
import { progressNotes } from './progress-notes.js';

export type SplitPayload = { documentId: string; sha256: string; mime: string };

export type PartResult = { documentId?: string; batchId?: string; duplicateOf?: string; customerId?: string | null; type?: string | null; sheet?: string | null; code?: string; note?: string };

export type SplitDeps = {
  db: Database;
  store: ObjectStore;
  queue: JobQueuePort;
  audit: AuditService;
  scopes: ScopesService;
  clock: Clock;
  reader: BarcodeReader;
  digitise: DigitiseService;
  coupons: CouponsService;
  logger?: Logger;
};

export class IntakeSplitService {
  private readonly codes: IntakeCodes;

  constructor(private readonly deps: SplitDeps) {
    this.codes = new IntakeCodes(deps.db, deps.reader);
  }

  /** The `split` job. */
  async run(job: Job<SplitPayload>, ctx: JobContext): Promise<void> {
    const { db } = this.deps;
    const { documentId } = job.payload;
    if (await intakeSplitsRepository.get(db, documentId)) return;
    const parent = await documentsRepository.get(db, documentId);
    if (!parent) return;
    await this.splitOrFail(job.payload, parent, { ...ctx, last: job.attempts >= job.maxAttempts });
  }

  private async splitOrFail(payload: SplitPayload, parent: DocumentRow, ctx: JobContext & { last: boolean }, read?: IntakePage[]): Promise<void> {
    const { db } = this.deps;
    try {
      await this.split(payload, parent, ctx, read);
    } catch (err) {
      // The last attempt marks the stack's document failed, so it reaches a final status and shows in the operator view.
      // Not once the document became a part of the stack: then its own ingest job decides its status.
      const now = await documentsRepository.get(db, parent.id);
      const madePart = (await intakeSplitsRepository.parts(db, parent.id)).some((p) => (JSON.parse(p.result) as PartResult).documentId === parent.id);
      if (ctx.last && !ctx.signal.aborted && !madePart && now?.original_sha256 === payload.sha256 && now.status === 'queued') {
        await documentsRepository.update(db, parent.id, { status: 'failed', ...failureRecord(err, 'split_failed', 'splitting by barcodes failed: ') }, nowIso(this.deps.clock));
      }
      throw err;
    }
  }

  /** True once the stack was split (recorded with its parts): a re-run has nothing left to do. */
  async alreadySplit(documentId: string): Promise<boolean> {
    return Boolean(await intakeSplitsRepository.get(this.deps.db, documentId));
  }

  /**
   * Splits a single-page intake whose codes the ingest job read while OCR ran (see ingest.job.ts):
   * the same parts, rows and jobs as the `split` job, from the pages already read.
   */
  async splitRead(documentId: string, pages: IntakePage[], ctx: JobContext & { last: boolean }): Promise<void> {
    const parent = await documentsRepository.get(this.deps.db, documentId);
    // Without codes the ingest job that read them goes on itself (`split` would queue its key again).
    if (!needsSplit(pages) || !parent?.original_sha256 || !parent.original_mime) return;
    await this.splitOrFail({ documentId, sha256: parent.original_sha256, mime: parent.original_mime }, parent, ctx, pages);
  }

  /** The codes on one page already decoded (IntakeCodes.readPage). */
  readPage(pageNo: number, image: GreyImage, dpi?: number): Promise<IntakePage> {
    return this.codes.readPage(pageNo, image, dpi);
  }

  /** Reads and resolves the codes on every page (IntakeCodes.readPages). */
  readPages(bytes: Uint8Array, mime: string, ctx: JobContext, total = 0): Promise<IntakePage[]> {
    return this.codes.readPages(bytes, mime, ctx, total);
  }

  private async split({ documentId, sha256, mime }: SplitPayload, parent: DocumentRow, ctx: JobContext, read?: IntakePage[]): Promise<void> {
    const { db, store } = this.deps;
    const bytes = new Uint8Array(await store.getBuffer(sha256));
    let pages: IntakePage[];
    try {
      pages = read ?? (await this.readPages(bytes, mime, ctx, parent.page_count ?? 0));
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      // A page the renderer cannot read is the ingest job's to report, with its reason; do not split.
      this.deps.logger?.warn({ err, documentId }, 'stack could not be read for barcodes; ingested whole');
      pages = [];
    }
    if (!needsSplit(pages)) {
      await db.tx((q) => this.deps.queue.enqueue(q, { kind: 'ingest', payload: { documentId }, idempotencyKey: `ingest:${documentId}` }));
      return;
    }
    const parts = splitStack(pages);
    const made: { kind: string; pages: number[]; result: PartResult }[] = [];
    // The stack's own document becomes its first document part (the client holds its id); a part
    // taken in before, labelled paper and coupons go elsewhere.
    const kept = () => made.some((m) => m.result.documentId === documentId);
    for (let i = 0; i < parts.length; i++) {
      ctx.signal.throwIfAborted();
      made.push(await this.makePart(parent, { sha256, mime, bytes, pageCount: pages.length }, parts[i]!, i + 1, !kept()));
    }
    const sheets = pages.filter((p) => p.kind === 'sheet').length;
    await db.tx(async (q) => {
      await intakeSplitsRepository.insert(q, {
        document_id: documentId,
        stack_sha256: sha256,
        stack_mime: mime,
        page_count: pages.length,
        sheets,
        parts: JSON.stringify(made),
        created_at: nowIso(this.deps.clock),
      });
      const removed = !kept() ? await intakeSplitsRepository.removeProvisional(q, documentId) : 0;
      await this.deps.audit.record(q, {
        actorId: parent.created_by ?? 'system',
        action: 'document.split',
        subjectType: 'document',
        subjectId: documentId,
        customerId: parent.customer_id,
        details: { stack: sha256, pages: pages.length, sheets, parts: made, removed: removed > 0 },
      });
    });
    // The stack is not kept once split: its pages live on in the parts (PDF pages copied as they
    // are), so destroying a part later reaches every copy. Only after the split is recorded: until
    // then a re-run needs the stack.
    await removeIfUnreferenced(db, store, [sha256], { logger: this.deps.logger });
    await ctx.progress(pages.length, pages.length, progressNotes.splitInto(made.length));
    this.deps.logger?.info({ documentId, pages: pages.length, parts: made.length, sheets }, 'intake stack split');
  }

  /** Makes one part, once: its pages stored by content hash, then its effect and its row in one transaction. */
  private async makePart(
    parent: DocumentRow,
    stack: { sha256: string; mime: string; bytes: Uint8Array; pageCount: number },
    part: IntakePart,
    partNo: number,
    isOwn: boolean,
  ): Promise<{ kind: string; pages: number[]; result: PartResult }> {
    const { db, store, clock } = this.deps;
    const done = await intakeSplitsRepository.part(db, parent.id, partNo);
    if (done) return { kind: done.kind, pages: JSON.parse(done.pages) as number[], result: JSON.parse(done.result) as PartResult };
    const subset = await pageSubset(stack.bytes, stack.mime, stack.pageCount, part.pages);
    const stored = await store.putBuffer(subset.bytes, { contentType: subset.mime });
    const name = partName(parent.original_name, part.pages, stack.pageCount, subset.mime);
    const scan = { sha256: stored.sha256, mime: subset.mime, name, size: stored.size, pageCount: part.pages.length };
    const key = `split:${parent.id}:${partNo}`;
    const actorId = parent.created_by ?? 'system';
    return db.tx(async (q) => {
      // From this commit on the part's row (or the one made before) keeps its pages' object, or nothing needs it.
      await releasePins(q, stored);
      const again = await intakeSplitsRepository.part(q, parent.id, partNo);
      if (again) return { kind: again.kind, pages: JSON.parse(again.pages) as number[], result: JSON.parse(again.result) as PartResult };
      let kind: 'document' | 'paper' | 'coupon' | 'duplicate' = part.kind;
      let result: PartResult;
      if (part.kind === 'coupon') {
        result = { batchId: await this.deps.coupons.batchFromStack(q, scan, actorId, key), code: part.code };
      } else {
        const same = await documentsRepository.bySha256(q, stored.sha256);
        const paper = part.kind === 'paper' ? await documentsRepository.get(q, part.documentId) : undefined;
        if (same && !(isOwn && same.id === parent.id)) {
          kind = 'duplicate';
          result = { duplicateOf: same.id, note: 'these pages were taken in before' };
        } else if (part.kind === 'paper' && paper && !paper.original_sha256) {
          await this.deps.digitise.attachScan(q, paper, scan, `scanned with its label ${part.code} in an intake stack`, actorId, key);
          result = { documentId: paper.id, code: part.code, sheet: part.sheet };
        } else {
          kind = 'document';
          const customerId = (part.kind === 'document' ? part.customerId : null) ?? parent.customer_id;
          const type = (part.kind === 'document' ? part.type : null) ?? (parent.type !== UNCLASSIFIED ? parent.type : null);
          result = { documentId: await this.documentPart(q, parent, scan, { customerId, type }, isOwn, key), customerId, type, sheet: part.sheet };
          if (part.kind === 'paper') result.note = `label ${part.code}: that paper was digitised meanwhile`;
        }
      }
      await intakeSplitsRepository.insertPart(q, { document_id: parent.id, part_no: partNo, kind, pages: JSON.stringify(part.pages), result: JSON.stringify(result), created_at: nowIso(clock) });
      return { kind, pages: part.pages, result };
    });
  }

  /** A document part: the stack's own document takes the first one, the others are new documents; each gets its ingest job. */
  private async documentPart(
    q: Queryable,
    parent: DocumentRow,
    scan: { sha256: string; mime: string; name: string | null; size: number; pageCount: number },
    assign: { customerId: string | null; type: string | null },
    isOwn: boolean,
    key: string,
  ): Promise<string> {
    const { clock } = this.deps;
    let id = parent.id;
    if (isOwn) {
      await documentsRepository.update(
        q,
        parent.id,
        {
          original_sha256: scan.sha256,
          original_mime: scan.mime,
          original_name: scan.name,
          original_size: scan.size,
          page_count: scan.pageCount,
          title: titleFromName(scan.name) ?? parent.title,
          customer_id: assign.customerId,
          type: assign.type ?? UNCLASSIFIED,
        },
        nowIso(clock),
      );
    } else {
      const doc = await buildDocument(
        q,
        {
          customerId: assign.customerId,
          type: assign.type ?? UNCLASSIFIED,
          title: titleFromName(scan.name) ?? parent.title,
          status: 'queued',
          source: parent.source,
          createdBy: parent.created_by,
          original: { sha256: scan.sha256, mime: scan.mime, name: scan.name, size: scan.size },
        },
        await this.deps.scopes.active(q),
        clock,
      );
      doc.page_count = scan.pageCount;
      await documentsRepository.insert(q, doc);
      id = doc.id;
    }
    await this.deps.queue.enqueue(q, { kind: 'ingest', payload: { documentId: id }, idempotencyKey: key });
    await this.deps.audit.record(q, {
      actorId: parent.created_by ?? 'system',
      action: 'document.split-part',
      subjectType: 'document',
      subjectId: id,
      customerId: assign.customerId,
      details: { stack: parent.id, pages: scan.pageCount, sha256: scan.sha256, type: assign.type },
    });
    return id;
  }

  /**
   * A printable cover sheet whose code names the customer and type (either may be left out).
   * 422 for a customer that does not exist.
   */
  async coverSheet(input: { customerId?: string; type?: string; copies?: number }): Promise<{ code: string; pdf: Uint8Array }> {
    const customer = input.customerId ? await customersRepository.get(this.deps.db, input.customerId) : undefined;
    if (input.customerId && !customer) throw new UnknownReference(`customer ${JSON.stringify(input.customerId)} does not exist`, { customerId: input.customerId }, 'unknown_customer');
    const code = coverCode({ customerId: customer?.id ?? null, type: input.type ?? null });
    const pdf = await renderCoverSheetPdf({ code, customer: customer ? { id: customer.id, name: customer.name } : null, type: input.type ?? null, copies: input.copies ?? 1 });
    return { code, pdf };
  }

  /**
   * Where the pages of a split stack went, for the operator.
   *
   * GDPR art. 18, for everyone but compliance and admin (`actor`): the route refuses the stack of a
   * restricted customer (403); a part that became (or duplicates) a restricted customer's document,
   * or was assigned to one, keeps its pages, kind and document id (the operator still sees where
   * the pages went; opening the document is refused) but loses its customer and the sheet code
   * that names it, and is marked `restricted: true`.
   */
  async describe(documentId: string, actor?: Principal) {
    const { db } = this.deps;
    const split = await intakeSplitsRepository.get(db, documentId);
    const rows = await intakeSplitsRepository.parts(db, documentId);
    const parts = rows.map((p) => ({ partNo: p.part_no, kind: p.kind, pages: JSON.parse(p.pages) as number[], ...(JSON.parse(p.result) as PartResult) }));
    const docsOf = (p: PartResult) => [p.documentId, p.duplicateOf].filter((id): id is string => typeof id === 'string');
    const [hiddenDocs, hiddenCustomers] = seesRestricted(actor)
      ? [new Set<string>(), new Set<string>()]
      : await Promise.all([
          restrictionRepository.restrictedDocumentsAmong(db, [...new Set(parts.flatMap(docsOf))]),
          restrictionRepository.restrictedAmong(db, [...new Set(parts.flatMap((p) => (p.customerId ? [p.customerId] : [])))]),
        ]);
    return {
      documentId,
      split: Boolean(split),
      stack: split ? { sha256: split.stack_sha256, mime: split.stack_mime, pages: split.page_count, sheets: split.sheets } : null,
      parts: parts.map((p) =>
        docsOf(p).some((id) => hiddenDocs.has(id)) || (p.customerId && hiddenCustomers.has(p.customerId))
          ? { ...p, customerId: null, ...(p.sheet !== undefined ? { sheet: null } : {}), restricted: true }
          : p,
      ),
      createdAt: split?.created_at ?? null,
    };
  }
}

/** `scan.pdf` pages 3-5 of 12 → `scan (p. 3-5).pdf`. */
function partName(name: string | null, pages: number[], total: number, mime: string): string | null {
  if (pages.length === total) return name;
  const base = (name ?? 'scan').replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const range = pages.length === 1 ? `${pages[0]}` : `${pages[0]}-${pages[pages.length - 1]}`;
  return `${base} (p. ${range}).${mime === 'application/pdf' ? 'pdf' : (name?.split('.').pop() ?? 'bin')}`;
}
