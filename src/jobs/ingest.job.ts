import { setImmediate as yieldToRequests } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ObjectStore, StoredObject } from '../adapters/object-store/object-store.js';
import type { OcrEngine } from '../adapters/ocr/ocr-engine.js';
import type { Database } from '../db/database.js';
import { customersRepository } from '../db/customers.repository.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { searchRepository } from '../db/search.repository.js';
import { detect, findKvkNumbers, findPostcodes, matchCustomerByEvidence, nameAppears } from '../domain/detection.js';
import { learningRepository } from '../db/learning.repository.js';
import { documentFilesRepository } from '../db/document-files.repository.js';
import type { EInvoice } from '../domain/e-invoice.js';
import { eInvoiceKeyPoints } from '../domain/e-invoice-key-points.js';
import { decideKeyPoints } from '../domain/key-point-decision.js';
import { extractKeyPoints } from '../domain/key-points.js';
import { layoutFromText, type LayoutPage } from '../domain/layout.js';
import type { KeyPoints, TraceStep } from '../domain/document.js';
import { NEAR_DUPLICATE_SIMILARITY, minhash, similarity } from '../domain/minhash.js';
import type { AuditService } from '../services/audit.service.js';
import { nowIso, type Clock } from '../services/clock.js';
import { decide, defaultTitle } from '../services/document-records.js';
import { readEInvoice } from '../services/e-invoice-intake.js';
import { extractText, type OcrPage } from '../services/extraction.js';
import { UNCLASSIFIED } from '../services/intake.service.js';
import type { ScopesService } from '../services/scopes.service.js';
import { events } from '../services/events.service.js';
import { releasePins } from '../services/object-guard.js';
import { isPermanentFailure, type Job } from './job-queue.js';
import { failureRecord } from '../errors.js';
import type { ProgressNote } from '../services/job-queue.port.js';
import { roundedStages, timed, type StageTimings } from '../services/stage-timings.js';
import type { GreyImage } from '../adapters/pdf/pdf-render.js';
import { needsSplit, type IntakePage } from '../domain/intake-split.js';

/**
 * `readCodes`: a single-page intake whose barcodes (separator and cover sheets, paper labels,
 * reply coupons) have not been read. Its page is decoded once, and its codes are read while OCR
 * runs instead of in a `split` job before it (issue 15: that job and its second decode were a
 * third of a dense page's latency). A page with a code goes on as the `split` job would take it.
 */
export type IngestPayload = { documentId: string; readCodes?: boolean };

/** The intake's barcode reading, for `readCodes` (implemented by IntakeSplitService). */
export type IntakeCodesPort = {
  alreadySplit(documentId: string): Promise<boolean>;
  readPage(pageNo: number, image: GreyImage, dpi?: number): Promise<IntakePage>;
  readPages(bytes: Uint8Array, mime: string, ctx: JobCtx): Promise<IntakePage[]>;
  /** `ctx.last`: the job's last attempt, after which a stack that could not be split is marked failed. */
  splitRead(documentId: string, pages: IntakePage[], ctx: JobCtx & { last: boolean }): Promise<void>;
};

/** Why OCR was stopped: the page carries a code, so it is split rather than ingested. */
class CodesFound extends Error {}

/** Builds the searchable archive copy: the original's pages, with scanned ones replaced by image + invisible text. */
export type ArchiveBuilder = (input: { original: Uint8Array; mime: string; pageCount: number; ocrPages: OcrPage[] }) => Promise<Uint8Array | null>;

export type IngestDeps = {
  db: Database;
  store: ObjectStore;
  ocr: OcrEngine;
  audit: AuditService;
  scopes: ScopesService;
  clock: Clock;
  customerPattern: RegExp;
  buildArchive: ArchiveBuilder;
  logger?: Logger;
  /** Reads a single-page intake's barcodes alongside OCR (`readCodes` payloads). */
  codes?: IntakeCodesPort;
  /** Called once the document is final (the overview's thumbnail); must not throw. */
  afterIngest?: (documentId: string) => Promise<void>;
};

/** Below these, a person confirms in review rather than the system guessing. */
export const AUTO_ACCEPT = { type: 0.7, customer: 0.9, ocrConfidence: 45 };

export type JobCtx = {
  signal: AbortSignal;
  progress(done: number, total: number, note?: string | ProgressNote): Promise<void> | void;
  annotate?(fields: Record<string, unknown>): void;
};

/**
 * The ingest job: text (text layer or OCR), searchable archive copy, detection of type,
 * customer and key points, class and retention, near-duplicate check, full-text index, final
 * status — the final write in one transaction. Idempotent: a re-run after a crash redoes the
 * work and overwrites, a document already final is left alone.
 */
export function createIngestHandler(deps: IngestDeps) {
  return async (job: Job<IngestPayload>, ctx: JobCtx): Promise<void> => {
    const { db, store, clock } = deps;
    const row = await documentsRepository.get(db, job.payload.documentId);
    if (!row || row.status === 'ready' || row.status === 'needs_review' || row.status === 'failed') return;
    if (!row.original_sha256 || !row.original_mime) throw new Error('document has no original to ingest');
    const codes = job.payload.readCodes ? deps.codes : undefined;
    // Split by its codes on an earlier attempt: its parts have jobs of their own.
    if (codes && (await codes.alreadySplit(row.id))) return;
    await documentsRepository.update(db, row.id, { status: 'processing' }, nowIso(clock));
    // Where the time goes (issue 15): one set of stage timings on the job's log line.
    let stages: StageTimings = {};
    // The job's own abort stops OCR at once. A page that turns out to carry a code stops it
    // between passes instead (the pass under way finishes, its result dropped: cheaper than
    // restarting a tesseract.js worker) and the job goes on without waiting for it.
    const ocrStop = new AbortController();
    const stopOcr = () => ocrStop.abort(ctx.signal.reason);
    const codesStop = new AbortController();
    const codesFound = new Promise<null>((resolve) => codesStop.signal.addEventListener('abort', () => resolve(null), { once: true }));
    ctx.signal.addEventListener('abort', stopOcr, { once: true });
    let handedOver = false;
    try {
      const original = new Uint8Array(await timed(stages, 'load', () => store.getBuffer(row.original_sha256!)));
      // An e-invoice (bare UBL, or CII inside a Factur-X PDF): key points from its XML; a bare XML is read through its rendering.
      const eInvoice = await readEInvoice(original, row.original_mime);
      const readable = eInvoice?.rendered ?? original;
      const readableMime = eInvoice?.rendered ? 'application/pdf' : row.original_mime;
      let codesRead: Promise<IntakePage[]> | undefined;
      const readCodes = ({ pageNo, image, dpi }: { pageNo: number; image: GreyImage; dpi: number | undefined }) => {
        codesRead ??= timed(stages, 'codes', () => codes!.readPage(pageNo, image, dpi)).then(
          (page) => {
            if (page.kind !== 'plain') codesStop.abort(new CodesFound());
            return [page];
          },
          (err: unknown) => {
            // As in the `split` job: a page whose codes cannot be read is ingested whole.
            deps.logger?.warn({ err, documentId: row.id }, 'page could not be read for barcodes; ingested whole');
            return [];
          },
        );
      };
      const extracting = extractText(readable, readableMime, deps.ocr, { signal: ocrStop.signal, until: codesStop.signal, onProgress: ctx.progress, ...(codes ? { onPageImage: readCodes } : {}) }).catch(
        (err: unknown) => {
          if (codesStop.signal.aborted && !ctx.signal.aborted) return null;
          throw err;
        },
      );
      const extraction = await Promise.race([extracting, codesFound]);
      // Left to finish its pass after a code was found; its end, or its failure, is of no interest.
      if (extraction === null) extracting.catch(() => undefined);
      if (codes) {
        // A page OCR did not decode (a born-digital PDF's text layer) is read for codes here.
        const pages = codesRead ? await codesRead : await timed(stages, 'codes', () => codes.readPages(original, row.original_mime!, ctx));
        if (needsSplit(pages)) {
          await documentsRepository.update(db, row.id, { status: 'queued' }, nowIso(clock));
          handedOver = true;
          await codes.splitRead(row.id, pages, { ...ctx, last: job.attempts >= job.maxAttempts });
          ctx.annotate?.({ documentId: row.id, split: true, stages: roundedStages(stages) });
          return;
        }
      }
      if (!extraction) throw new Error('OCR stopped for a code that was not there');
      stages = { ...stages, ...extraction.stages };
      ctx.signal.throwIfAborted();
      const mime = row.original_mime;
      const archive = eInvoice?.rendered ?? (await timed(stages, 'archive', () => deps.buildArchive({ original, mime, pageCount: extraction.pageCount, ocrPages: extraction.ocrPages })));
      // A born-digital PDF is already searchable: it is its own archive copy.
      const archiveStored = archive ? await timed(stages, 'archive', () => store.putBuffer(archive, { contentType: 'application/pdf' })) : null;
      const archiveSha = archiveStored ? archiveStored.sha256 : row.original_mime === 'application/pdf' ? row.original_sha256 : null;
      const xmlStored = eInvoice && !eInvoice.rendered ? await store.putBuffer(eInvoice.xml, { contentType: 'application/xml' }) : null;
      const xmlSha = !eInvoice ? null : eInvoice.rendered ? row.original_sha256 : xmlStored!.sha256;
      const text = extraction.pages.map((p) => p.text).join('\n\n');
      const eInvoiceFile = eInvoice && xmlSha ? { invoice: eInvoice.invoice, name: eInvoice.name, sha256: xmlSha } : undefined;
      await finish(deps, row, { ...extraction, text, archiveSha, eInvoice: eInvoiceFile, stored: [archiveStored, xmlStored] }, stages);
      ctx.annotate?.({ documentId: row.id, pages: extraction.pageCount, ocrPages: extraction.ocrPages.length, stages: roundedStages(stages) });
      // The overview's thumbnail is made once, here; it never fails the document.
      await deps.afterIngest?.(row.id);
    } catch (err) {
      // Splitting decides the status of what it made, and of the document on its last attempt.
      if (handedOver) throw err;
      // The last attempt marks the document failed, so it reaches a final status and shows in the operator view.
      if ((job.attempts >= job.maxAttempts || isPermanentFailure(err)) && !ctx.signal.aborted) {
        await documentsRepository.update(db, row.id, { status: 'failed', ...failureRecord(err) }, nowIso(clock));
      } else {
        await documentsRepository.update(db, row.id, { status: 'queued' }, nowIso(clock));
      }
      throw err;
    } finally {
      ctx.signal.removeEventListener('abort', stopOcr);
    }
  };
}

async function finish(
  deps: IngestDeps,
  row: DocumentRow,
  r: { pageCount: number; pages: { pageNo: number; text: string; source: 'text-layer' | 'ocr' | 'manual'; confidence: number | null }[]; text: string; archiveSha: string | null; layout?: LayoutPage[]; eInvoice?: { invoice: EInvoice; name: string | null; sha256: string }; stored?: (StoredObject | null)[] },
  stages: StageTimings = {},
) {
  const { db, clock } = deps;
  const detectStarted = performance.now();
  const learned = await learningRepository.load(db);
  const d = detect(r.text, deps.customerPattern, learned);
  stages.detection = performance.now() - detectStarted;
  const finishStarted = performance.now();
  if (r.eInvoice) {
    d.type = { value: 'invoice', confidence: 1, evidence: `e-invoice (${r.eInvoice.invoice.format})` };
    // The buyer's identifier in the XML is exact where it is one of our customer numbers.
    const buyer = r.eInvoice.invoice.buyer.id;
    if (buyer && new RegExp(`^(?:${deps.customerPattern.source})$`, 'i').test(buyer)) d.customerNumber = { value: buyer.toUpperCase(), confidence: 0.99, evidence: 'e-invoice buyer identifier' };
  }
  const trace: TraceStep[] = [];
  const problems: string[] = [];
  const fields: KeyPoints = JSON.parse(row.fields);

  let type = row.type;
  let typeConfidence = 1;
  if (type === UNCLASSIFIED) {
    if (d.type && d.type.confidence >= AUTO_ACCEPT.type) {
      type = d.type.value;
      typeConfidence = d.type.confidence;
      trace.push({ rule: 'detect type', evidence: d.type.evidence, result: `${type} (${d.type.confidence})` });
    } else {
      typeConfidence = d.type?.confidence ?? 0;
      problems.push(d.type ? `type unsure: ${d.type.value}? (${d.type.confidence})` : 'type not recognised');
      trace.push({ rule: 'detect type', evidence: d.type?.evidence ?? 'no keywords', result: 'needs review' });
    }
  } else trace.push({ rule: 'type given at upload', result: type });

  // Work on the text alone is done before the write transaction, which holds every other writer
  // of an embedded instance meanwhile (100 dense pages: ~70-110 ms of key points, ~100 of minhash).
  // Each step is one block of the event loop; requests that arrived meanwhile run in between.
  await yieldToRequests();
  const foundKeyPoints = r.eInvoice ? eInvoiceKeyPoints(r.eInvoice.invoice) : extractKeyPoints(r.layout?.length ? r.layout : [layoutFromText(r.text)], { type });
  await yieldToRequests();
  const signature = minhash(r.text);
  const evidence = row.customer_id ? null : { kvk: findKvkNumbers(r.text), postcodes: findPostcodes(r.text) };

  let customerId = row.customer_id;
  let customerConfidence = 1;
  const before = { trace: trace.length, problems: problems.length, fields: { ...fields } };
  await db.tx(async (q) => {
    // The rows below refer to the archive copy and the XML from this commit on: their writes' pins can go.
    await releasePins(q, ...(r.stored ?? []));
    // PostgreSQL runs a transaction again after a conflict: each try starts from the same state.
    trace.length = before.trace;
    problems.length = before.problems;
    for (const k of Object.keys(fields)) delete (fields as Record<string, unknown>)[k];
    Object.assign(fields, before.fields);
    customerId = row.customer_id;
    customerConfidence = 1;
    if (!customerId) {
      const found = d.customerNumber ? await customersRepository.get(q, d.customerNumber.value) : undefined;
      // Without a usable customer number: KvK, postcode + name, or a letterhead learned in review.
      const other =
        d.customerNumber && found
          ? null
          : matchCustomerByEvidence(r.text, {
              byKvk: await learningRepository.customersByKvk(q, evidence!.kvk),
              byPostcode: await learningRepository.customersByPostcode(q, evidence!.postcodes),
              learned,
            });
      // A number read with doubt is accepted when the customer's name is on the page too.
      const confirmed = d.customerNumber && found && d.customerNumber.confidence < AUTO_ACCEPT.customer && nameAppears(r.text, found.name);
      if (d.customerNumber && found && (d.customerNumber.confidence >= AUTO_ACCEPT.customer || confirmed)) {
        customerId = found.id;
        customerConfidence = confirmed ? 0.95 : d.customerNumber.confidence;
        trace.push({ rule: 'detect customer', evidence: `${d.customerNumber.evidence}${confirmed ? `, and the name "${found.name}" on the page` : ''}`, result: customerId });
      } else if (other && other.confidence >= AUTO_ACCEPT.customer) {
        customerId = other.value;
        customerConfidence = other.confidence;
        trace.push({ rule: 'match customer', evidence: other.evidence, result: customerId });
      } else {
        customerConfidence = d.customerNumber?.confidence ?? 0;
        problems.push(
          !d.customerNumber ? 'no customer number found' : !found ? `customer ${d.customerNumber.value} is not known` : `customer unsure: ${d.customerNumber.value}?`,
        );
        trace.push({ rule: 'detect customer', evidence: d.customerNumber?.evidence ?? 'no customer number', result: 'needs review' });
      }
    } else trace.push({ rule: 'customer given at upload', result: customerId });

    // Key points read by position fill gaps (what a person entered is never overwritten); unsure ones go to review.
    const keyPoints = decideKeyPoints({ found: foundKeyPoints, fallback: r.eInvoice ? undefined : d, fields, docDate: row.doc_date });
    if (r.eInvoice) {
      await documentFilesRepository.put(q, { document_id: row.id, role: 'e-invoice-xml', sha256: r.eInvoice.sha256, mime: 'application/xml', name: r.eInvoice.name, format: r.eInvoice.invoice.format, created_at: nowIso(clock) });
    }
    Object.assign(fields, keyPoints.fields);
    trace.push(...keyPoints.trace);
    problems.push(...keyPoints.problems);
    const docDate = keyPoints.docDate;

    const ocrPages = r.pages.filter((p) => p.source === 'ocr');
    const meanOcr = ocrPages.length ? ocrPages.reduce((s, p) => s + (p.confidence ?? 0), 0) / ocrPages.length : 100;
    if (meanOcr < AUTO_ACCEPT.ocrConfidence) problems.push(`poor scan: OCR confidence ${Math.round(meanOcr)}%`);

    let nearDuplicateOf: string | null = null;
    if (signature) {
      for (const other of await documentsRepository.minhashes(q, customerId, row.id)) {
        if (similarity(signature, other.text_minhash) >= NEAR_DUPLICATE_SIMILARITY) {
          nearDuplicateOf = other.id;
          problems.push(`looks like a second scan of ${other.id}`);
          break;
        }
      }
    }

    const decision = await decide(
      q,
      { documentId: row.id, registeredOn: row.created_at.slice(0, 10), customerId, type, docDate, fields, extraTrace: trace, confidence: Math.round(Math.min(typeConfidence, customerConfidence) * 100) / 100 },
      await deps.scopes.active(q),
      clock,
    );
    const status = problems.length ? 'needs_review' : 'ready';
    const title = row.title && row.type !== UNCLASSIFIED ? row.title : type !== UNCLASSIFIED ? defaultTitle(type, fields) : row.title;
    await documentsRepository.replacePages(q, row.id, r.pages);
    await documentsRepository.update(
      q,
      row.id,
      {
        status,
        type,
        customer_id: customerId,
        doc_date: docDate,
        fields: JSON.stringify(fields),
        title,
        page_count: r.pageCount,
        archive_sha256: r.archiveSha,
        error: problems.length ? problems.join('; ') : null,
        text_minhash: signature,
        near_duplicate_of: nearDuplicateOf,
        ...decision,
      },
      nowIso(clock),
    );
    await timed(stages, 'index', () => searchRepository.index(q, row.id, title, r.text));
    await deps.audit.record(q, {
      actorId: 'system',
      action: 'document.ingested',
      subjectType: 'document',
      subjectId: row.id,
      customerId,
      details: { status, type, class: decision.class, pages: r.pageCount, ocrPages: ocrPages.length, problems },
    });
    await events.emit(q, { type: status === 'ready' ? 'document.ready' : 'document.needs_review', subjectType: 'document', subjectId: row.id, customerId, actorId: 'system', at: nowIso(clock), data: { problems } });
  });
  // The finishing transaction: customer match, classification, retention, near-duplicates, index.
  stages.finish = performance.now() - finishStarted;
}
