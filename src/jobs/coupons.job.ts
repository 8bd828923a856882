/**
 * The `coupons` job: reads a scanned stack of returned reply coupons page by page and settles it.
 * Pass 1 decodes every page (barcode, tick boxes) and stores the reading, with progress; a re-run
 * after a crash skips pages already read. Pass 2 groups the pages into coupons (separator sheets
 * keep pages together) and applies each one in its own transaction: received, or to review.
 */
import type { Logger } from 'pino';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import type { BarcodeReader } from '../adapters/barcode/barcode-reader.js';
import { decodeImagePage, downscaleGrey, imagePages } from '../adapters/image/image-pages.js';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { barsWidthMm } from '../adapters/pdf/letters.pdf.js';
import { greyToPng, renderPdfPage, renderPdfPages, type GreyImage } from '../adapters/pdf/pdf-render.js';
import { soleJpeg } from '../adapters/pdf/sole-jpeg.js';
import type { Database } from '../db/database.js';
import { mailingsRepository, type BatchFileRow } from '../db/mailings.repository.js';
import { parseBarcode } from '../domain/barcode.js';
import { LETTER_LAYOUT, couponFrame, decideAnswer, groupCouponPages, readTickBoxes, tickBoxMm, type CouponUnit, type PageKind } from '../domain/mailing.js';
import type { Clock } from '../services/clock.js';
import { nowIso } from '../services/clock.js';
import type { CouponImage, CouponOriginal, CouponsService } from '../services/coupons.service.js';
import type { JobContext } from './worker-pool.js';
import type { Job } from './job-queue.js';
import { progressNotes } from '../services/progress-notes.js';

export type CouponsPayload = { batchId: string };

/** Scanned PDFs are rendered at this resolution for reading: enough for 0.42 mm modules, cheap. */
export const COUPON_READ_DPI = 200;
/** Review images are kept at about this resolution: legible, small. */
const REVIEW_IMAGE_DPI = 100;

export type PageReading = { kind: PageKind; code: string | null; answer: string | null; ticks: Record<string, unknown> | null };

/**
 * Reads one scanned page: a separator code, one letter code (then its tick boxes, located from
 * the bars), several letter codes, a code of another kind, an invalid code, or nothing.
 *
 *     await readCouponPage(reader, image, (code) => coupons.answersOf(code)) // { kind: 'letter', code: 'M…', answer: 'yes', … }
 */
export async function readCouponPage(reader: BarcodeReader, image: GreyImage, answersOf: (code: string) => Promise<string[] | null>): Promise<PageReading> {
  const hits = await reader.read(image, { formats: ['Code128'] });
  const parsed = hits.map((hit) => ({ hit, p: parseBarcode(hit.text) }));
  const separator = parsed.find((x) => x.p.ok && x.p.value.kind === 'separator');
  if (separator?.p.ok) return { kind: 'separator', code: separator.p.value.code, answer: null, ticks: null };
  const letters = new Map<string, (typeof parsed)[number]['hit']>();
  for (const x of parsed) if (x.p.ok && x.p.value.kind === 'letter' && !letters.has(x.p.value.code)) letters.set(x.p.value.code, x.hit);
  if (letters.size > 1) return { kind: 'multiple', code: [...letters.keys()].join(','), answer: null, ticks: null };
  if (letters.size === 1) {
    const [code, hit] = [...letters.entries()][0]!;
    const answers = await answersOf(code);
    if (!answers || !hit.position) return { kind: 'letter', code, answer: null, ticks: null };
    const bc = LETTER_LAYOUT.coupon.barcode;
    const frame = couponFrame(image, hit.position, barsWidthMm(code), bc.height);
    const boxes = answers.map((_, i) => {
      const b = tickBoxMm(i);
      return { x: b.x - bc.x, y: b.y - bc.y, size: b.size };
    });
    const readings = readTickBoxes(image, frame, boxes);
    const decision = decideAnswer(readings, answers);
    const angle = Math.round((Math.atan2(frame.ux.y, frame.ux.x) * 180) / Math.PI * 10) / 10;
    return { kind: 'letter', code, answer: decision.answer, ticks: { readings, note: decision.note ?? null, angle, dpi: Math.round(frame.pxPerMm * 25.4) } };
  }
  const other = parsed.find((x) => x.p.ok);
  if (other) return { kind: 'other', code: other.hit.text, answer: null, ticks: null };
  if (parsed.length) return { kind: 'invalid', code: parsed[0]!.hit.text.slice(0, 64), answer: null, ticks: null };
  return { kind: 'none', code: null, answer: null, ticks: null };
}

export type CouponsDeps = { db: Database; store: ObjectStore; coupons: CouponsService; reader: BarcodeReader; clock: Clock; logger?: Logger };

/** Where a batch page comes from. */
type PageSource = { file: BatchFileRow; filePage: number };

export function createCouponsHandler(deps: CouponsDeps) {
  return async (job: Job<CouponsPayload>, ctx: JobContext): Promise<void> => {
    const { db, store } = deps;
    const batch = await mailingsRepository.getBatch(db, job.payload.batchId);
    if (!batch || batch.status === 'done') return;
    const log = deps.logger?.child({ job: job.id, batchId: batch.id });
    try {
      await mailingsRepository.setBatchStatus(db, batch.id, 'processing');
      const files = await mailingsRepository.batchFiles(db, batch.id);
      const sources = new Map<number, PageSource>();
      const bytes = new Map<number, Uint8Array>();
      const fileBytes = async (f: BatchFileRow) => {
        let b = bytes.get(f.file_no);
        if (!b) bytes.set(f.file_no, (b = new Uint8Array(await store.getBuffer(f.sha256))));
        return b;
      };
      const pdfDocs = new Map<number, Promise<PDFDocument>>();
      const pdfDoc = (f: BatchFileRow) => {
        let doc = pdfDocs.get(f.file_no);
        if (!doc) pdfDocs.set(f.file_no, (doc = fileBytes(f).then((b) => PDFDocument.load(b, { updateMetadata: false }))));
        return doc;
      };
      const answersOf = (code: string) => deps.coupons.answersOf(code);
      const read = new Set((await mailingsRepository.pages(db, batch.id)).map((p) => p.page_no));
      let done = read.size;
      const record = async (file: BatchFileRow, pageNo: number, filePage: number, r: PageReading) => {
        await db.tx((q) =>
          mailingsRepository.insertPage(q, {
            batch_id: batch.id,
            page_no: pageNo,
            file_no: file.file_no,
            file_page: filePage,
            kind: r.kind,
            code: r.code,
            answer: r.answer,
            ticks: r.ticks ? JSON.stringify(r.ticks) : null,
          }),
        );
        done++;
        await ctx.progress(done, batch.page_count, progressNotes.couponPage(pageNo, r.kind, r.code));
      };

      // Pass 1: read every page not read yet (a re-run after a crash resumes where it stopped).
      let offset = 0;
      for (const file of files) {
        for (let p = 1; p <= file.page_count; p++) sources.set(offset + p, { file, filePage: p });
        let todo = Array.from({ length: file.page_count }, (_, i) => i + 1).filter((p) => !read.has(offset + p));
        const data = todo.length ? await fileBytes(file) : null;
        const pdf = data && file.mime === 'application/pdf' ? await pdfDoc(file).catch(() => null) : null;
        if (pdf) {
          // A scanner's PDF page is usually one JPEG: decoding it natively (sharp) is several times
          // faster than rendering with pdfjs, whose JPEG decoder is JavaScript. Pages where that
          // finds no Dossierlink code (not a lone JPEG, or the code is vector art) are rendered below.
          const rest: number[] = [];
          for (const filePage of todo) {
            ctx.signal.throwIfAborted();
            const fast = await soleJpeg(pdf, filePage);
            const r = fast ? await readCouponPage(deps.reader, fast, answersOf) : null;
            if (r && (r.kind === 'letter' || r.kind === 'separator' || r.kind === 'multiple')) await record(file, offset + filePage, filePage, r);
            else rest.push(filePage);
          }
          todo = rest;
        }
        if (data && todo.length) {
          const pages = file.mime === 'application/pdf' ? renderPdfPages(data, { dpi: COUPON_READ_DPI, pages: todo, parsed: pdf ?? undefined }) : imagePages(data, { pages: todo });
          for await (const { pageNo: filePage, image } of pages) {
            ctx.signal.throwIfAborted();
            await record(file, offset + filePage, filePage, await readCouponPage(deps.reader, image, answersOf));
          }
        }
        offset += file.page_count;
      }

      // Pass 2: group and settle. Pages erased since they were read (GDPR art. 17) are left out:
      // their readings are gone, and nothing is to be made of them (see applyUnit).
      const rows = await mailingsRepository.pages(db, batch.id);
      const live = rows.filter((r) => !r.erased_at);
      const units = groupCouponPages(live.map((r) => ({ pageNo: r.page_no, kind: r.kind, code: r.code })));
      const separators = live.filter((r) => r.kind === 'separator' && !r.outcome).map((r) => r.page_no);
      if (separators.length) await db.tx((q) => mailingsRepository.setPageOutcome(q, batch.id, separators, null, 'separator'));
      const artefacts = {
        original: (u: CouponUnit) => unitOriginal(u, sources, fileBytes, pdfDoc, store),
        image: (u: CouponUnit) => pageImage(sources.get(u.keyPage)!, fileBytes, store),
      };
      const summary: Record<string, number> = { units: units.length, separators: separators.length };
      if (live.length < rows.length) summary.erasedPages = rows.length - live.length;
      for (const u of units) {
        ctx.signal.throwIfAborted();
        const outcome = await deps.coupons.applyUnit(batch, u, rows, { original: () => artefacts.original(u), image: () => artefacts.image(u) });
        if (outcome) summary[outcome] = (summary[outcome] ?? 0) + 1;
      }
      summary.attachedPages = (await mailingsRepository.pages(db, batch.id)).filter((p) => p.outcome === 'attached').length;
      // Progress first: a batch read as done between the two writes showed its last page's note.
      await ctx.progress(batch.page_count, batch.page_count, progressNotes.batchRead());
      await db.tx((q) => mailingsRepository.setBatchStatus(q, batch.id, 'done', { summary: JSON.stringify(summary), finishedAt: nowIso(deps.clock) }));
      log?.info({ pages: batch.page_count, ...summary }, 'coupon batch done');
    } catch (err) {
      if (job.attempts >= job.maxAttempts && !ctx.signal.aborted) {
        await mailingsRepository.setBatchStatus(db, batch.id, 'failed', { finishedAt: nowIso(deps.clock) });
      }
      throw err;
    }
  };
}

/**
 * What a coupon is kept as: a one-page image upload is kept as uploaded; otherwise the unit's
 * pages become one PDF (pages of a PDF copied as they are, images embedded). Built without a
 * creation date, so a re-run produces the same bytes and the same content hash.
 */
async function unitOriginal(
  u: CouponUnit,
  sources: Map<number, PageSource>,
  fileBytes: (f: BatchFileRow) => Promise<Uint8Array>,
  pdfDoc: (f: BatchFileRow) => Promise<PDFDocument>,
  store: ObjectStore,
): Promise<CouponOriginal> {
  const src = u.pages.map((p) => sources.get(p)!);
  if (src.length === 1 && src[0]!.file.mime !== 'application/pdf' && src[0]!.file.page_count === 1) {
    const f = src[0]!.file;
    return { sha256: f.sha256, mime: f.mime, size: f.size, pages: 1 };
  }
  const out = await PDFDocument.create({ updateMetadata: false });
  for (const s of src) {
    const source = s.file.mime === 'application/pdf' ? await pdfDoc(s.file).catch(() => null) : null;
    if (source) {
      const [page] = await out.copyPages(source, [s.filePage - 1]);
      out.addPage(page!);
    } else if (s.file.mime === 'application/pdf') {
      // pdfjs reads some PDFs pdf-lib will not parse: keep those pages as rendered images.
      const img = await out.embedPng(await greyToPng(await renderPdfPage(await fileBytes(s.file), s.filePage, 150)));
      const [w, h] = [(img.width / 150) * 72, (img.height / 150) * 72];
      out.addPage([w, h]).drawImage(img, { x: 0, y: 0, width: w, height: h });
    } else {
      const data = await fileBytes(s.file);
      const png =
        s.file.mime === 'image/png' && s.file.page_count === 1
          ? data
          : s.file.mime === 'image/jpeg'
            ? null
            : await sharp(data, { page: s.filePage - 1, pages: 1 }).png({ compressionLevel: 6 }).toBuffer();
      const img = png ? await out.embedPng(png) : await out.embedJpg(data);
      const meta = await sharp(data, { page: s.filePage - 1, pages: 1 }).metadata();
      const dpi = meta.density && meta.density >= 50 ? meta.density : 200;
      const w = (img.width / dpi) * 72;
      const h = (img.height / dpi) * 72;
      out.addPage([w, h]).drawImage(img, { x: 0, y: 0, width: w, height: h });
    }
  }
  const pdf = await out.save();
  const stored = await store.putBuffer(pdf, { contentType: 'application/pdf' });
  return { sha256: stored.sha256, mime: 'application/pdf', size: stored.size, pages: src.length, ...(stored.pin ? { pin: stored.pin } : {}) };
}

/** The page as a PNG of about REVIEW_IMAGE_DPI for the reviewer; stored by content hash. */
async function pageImage(s: PageSource, fileBytes: (f: BatchFileRow) => Promise<Uint8Array>, store: ObjectStore): Promise<CouponImage> {
  const data = await fileBytes(s.file);
  let image: GreyImage;
  if (s.file.mime === 'application/pdf') image = await renderPdfPage(data, s.filePage, REVIEW_IMAGE_DPI);
  else {
    image = await decodeImagePage(data, s.filePage);
    // An A4 scan is ~1650 px wide at 200 dpi; halve anything much larger than a 100 dpi page.
    const factor = Math.floor(image.width / 1000);
    if (factor >= 2) image = downscaleGrey(image, factor);
  }
  const stored = await store.putBuffer(await greyToPng(image), { contentType: 'image/png' });
  return { sha256: stored.sha256, ...(stored.pin ? { pin: stored.pin } : {}) };
}
