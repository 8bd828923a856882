/**
 * Reading an intake's Dossierlink codes: every page of a stack (the `split` job), or one page
 * already decoded for OCR (the ingest job of a single page). What a page's codes make of it
 * (sheet, coupon, paper label) is resolved against the database; the split service decides parts.
 */
import { PDFDict, PDFDocument, PDFName } from 'pdf-lib';
import type { BarcodeReader } from '../adapters/barcode/barcode-reader.js';
import { downscaleGrey, imagePages, resizeGrey } from '../adapters/image/image-pages.js';
import { soleJpeg } from '../adapters/pdf/sole-jpeg.js';
import { renderPdfPages, type GreyImage } from '../adapters/pdf/pdf-render.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Database } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { mailingsRepository } from '../db/mailings.repository.js';
import { parseBarcode } from '../domain/barcode.js';
import { DOCUMENT_TYPES } from '../domain/document.js';
import { parseCoverCode, type IntakePage } from '../domain/intake-split.js';
import type { JobContext } from './job-queue.port.js';
import { progressNotes } from './progress-notes.js';

/** Pages are read at this resolution: separator bars (0.5 mm), labels and coupon codes (~0.4 mm) read well, and it is cheap. */
export const SPLIT_READ_DPI = 200;
/** A scan decoded at its own resolution is halved (or more) past this width: A4 at ~300 dpi reads as well at 150-200. */
const MAX_READ_WIDTH = 2600;

export class IntakeCodes {
  constructor(
    private readonly db: Database,
    private readonly reader: BarcodeReader,
  ) {}

  /**
   * The codes on one page already decoded (for OCR): one decoder pass, as `readPages` does.
   */
  async readPage(pageNo: number, image: GreyImage, dpi?: number): Promise<IntakePage> {
    // At SPLIT_READ_DPI, as a stack's PDF pages are read: less than half the decoder's work at
    // 300 dpi, scaled by libvips off the main thread, which then stays free for OCR's messages.
    const shown =
      dpi && dpi > SPLIT_READ_DPI * 1.2
        ? await resizeGrey(image, (image.width * SPLIT_READ_DPI) / dpi)
        : image.width > MAX_READ_WIDTH
          ? downscaleGrey(image, Math.ceil(image.width / MAX_READ_WIDTH))
          : image;
    const hits = await this.reader.read(shown, { formats: ['Code128', 'QRCode'], retry: false });
    return this.resolve(pageNo, hits.map((h) => h.text));
  }

  /** Reads and resolves the codes on every page. */
  async readPages(bytes: Uint8Array, mime: string, ctx: JobContext, total = 0): Promise<IntakePage[]> {
    const out: IntakePage[] = [];
    for await (const { pageNo, image } of this.pageImages(bytes, mime)) {
      ctx.signal.throwIfAborted();
      // One decoder pass: most pages carry no code, and the retry passes (upscaling, cleaning) cost
      // several times as much on every such page. Sheets and labels are printed to read in one.
      const hits = await this.reader.read(image, { formats: ['Code128', 'QRCode'], retry: false });
      out.push(await this.resolve(pageNo, hits.map((h) => h.text)));
      await ctx.progress(out.length, Math.max(total, out.length), progressNotes.pageCodes(pageNo, out[out.length - 1]!.kind));
    }
    return out.sort((a, b) => a.pageNo - b.pageNo);
  }

  /**
   * The pages as grey images. A PDF page without any image on it is vector art and text only
   * (born-digital): a code there is drawn sharp, so it is rendered at half the resolution, a
   * quarter of the pixels; pages with images (scans) get the full SPLIT_READ_DPI.
   */
  private async *pageImages(bytes: Uint8Array, mime: string): AsyncGenerator<{ pageNo: number; image: GreyImage }> {
    if (mime !== 'application/pdf') {
      yield* imagePages(bytes);
      return;
    }
    const doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false }).catch(() => null);
    if (!doc) {
      yield* renderPdfPages(bytes, { dpi: SPLIT_READ_DPI });
      return;
    }
    const scanned: number[] = [];
    const drawn: number[] = [];
    for (const [i, page] of doc.getPages().entries()) {
      const xobjects = page.node.Resources()?.lookupMaybe(PDFName.of('XObject'), PDFDict);
      if (!xobjects || xobjects.keys().length === 0) {
        drawn.push(i + 1);
        continue;
      }
      // A page that is one JPEG (what scanners make) is decoded natively, several times faster than rendering.
      const jpeg = await soleJpeg(doc, i + 1);
      if (jpeg) yield { pageNo: i + 1, image: jpeg.width > MAX_READ_WIDTH ? downscaleGrey(jpeg, Math.ceil(jpeg.width / MAX_READ_WIDTH)) : jpeg };
      else scanned.push(i + 1);
    }
    if (scanned.length) yield* renderPdfPages(bytes, { dpi: SPLIT_READ_DPI, pages: scanned, parsed: doc });
    if (drawn.length) yield* renderPdfPages(bytes, { dpi: SPLIT_READ_DPI / 2, pages: drawn, parsed: doc });
  }

  /** What the codes on a page make of it: a sheet first, then a coupon, then a paper label. */
  private async resolve(pageNo: number, texts: string[]): Promise<IntakePage> {
    const { db } = this;
    let coupon: string | null = null;
    const papers = new Map<string, string>();
    for (const text of texts) {
      const cover = parseCoverCode(text);
      if (cover) {
        const customerId = cover.customerId && (await customersRepository.get(db, cover.customerId)) ? cover.customerId : null;
        const type = cover.type && (DOCUMENT_TYPES as readonly string[]).includes(cover.type) ? cover.type : null;
        return { pageNo, kind: 'sheet', code: text, customerId, type };
      }
      const parsed = parseBarcode(text);
      if (!parsed.ok) continue;
      const { kind, code } = parsed.value;
      if (kind === 'separator') {
        // A sheet printed by /api/separator-sheets carries its assignment in the database.
        const sheet = await mailingsRepository.separator(db, code);
        return { pageNo, kind: 'sheet', code, customerId: sheet?.customer_id ?? null, type: sheet?.type ?? null };
      }
      if (kind === 'letter') coupon ??= code;
      if (kind === 'document' && !papers.has(code)) {
        const doc = await documentsRepository.byBarcode(db, code);
        // Only paper that has no scan yet is digitised by its label; a second scan is a document of its own.
        if (doc && !doc.original_sha256) papers.set(code, doc.id);
      }
    }
    if (coupon) return { pageNo, kind: 'coupon', code: coupon };
    // Several labels on one page is a printed label sheet, not labelled paper: nothing to link.
    if (papers.size === 1) {
      const [[code, documentId]] = [...papers.entries()] as [[string, string]];
      return { pageNo, kind: 'paper', code, documentId };
    }
    return { pageNo, kind: 'plain' };
  }
}
