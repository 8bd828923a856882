/**
 * Rasterises PDF pages to grey pixels with pdfjs-dist (legacy build, the one that runs in Node);
 * renderPdfPages decodes a scanner's page (one JPEG over the whole page) natively instead.
 * Also owns opening a PDF with pdfjs, so text extraction shares the same offline setup and the
 * same mapping of pdfjs failures onto `Invalid`.
 */
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { getDocument, PDFDataRangeTransport, VerbosityLevel } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocument as PDFLibDocument } from 'pdf-lib';
import sharp from 'sharp';
import { AppError, Invalid } from '../../errors.js';
import { decodePageJpeg, openForScans, pageJpeg } from './scanned-page.js';

/** One byte per pixel, row-major, 0 = black .. 255 = white. */
export type GreyImage = { width: number; height: number; data: Uint8Array };

/** Beyond this many pixels a page is rendered at a lower dpi rather than exhausting memory (RGBA needs 4x). */
const MAX_RENDER_PIXELS = 60_000_000;

// Resolved from the installed package so rendering never reaches for a CDN; pdfjs wants trailing slashes.
const pdfjsRoot = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
const assetDir = (name: string) => path.join(pdfjsRoot, name) + path.sep;
const PDFJS_ASSETS = {
  standardFontDataUrl: assetDir('standard_fonts'),
  cMapUrl: assetDir('cmaps'),
  cMapPacked: true,
  wasmUrl: assetDir('wasm'),
  iccUrl: assetDir('iccs'),
} as const;

/** The slice of pdfjs's canvas factory we use; it is typed as `Object` upstream. */
type CanvasEntry = {
  canvas: { width: number; height: number };
  context: { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
};
type CanvasFactory = { create(w: number, h: number): CanvasEntry; destroy(entry: CanvasEntry): void };

/**
 * Opens a PDF with pdfjs. The caller must `destroy()` the result (use try/finally).
 * Throws `Invalid` with code 'encrypted_pdf' or 'corrupt_pdf'.
 */
export async function openPdfDocument(pdf: Uint8Array): Promise<PDFDocumentProxy> {
  if (pdf.byteLength === 0) throw new Invalid('The PDF is empty', undefined, 'corrupt_pdf');
  // pdfjs transfers (detaches) the buffer it is given and refuses Buffers: hand it a private copy.
  const data = new Uint8Array(pdf);
  const task = getDocument({
    data,
    ...PDFJS_ASSETS,
    verbosity: VerbosityLevel.ERRORS,
    isEvalSupported: false,
    stopAtErrors: false,
  });
  try {
    return await task.promise;
  } catch (err) {
    await task.destroy().catch(() => undefined);
    throw toPdfError(err);
  }
}

/** Maps a pdfjs failure onto the API's typed error; anything already typed passes through. */
export function toPdfError(err: unknown): Error {
  if (err instanceof AppError) return err;
  const e = err as { name?: string; message?: string };
  if (e?.name === 'PasswordException') {
    return new Invalid('The PDF is password-protected; upload it without a password', undefined, 'encrypted_pdf');
  }
  const reason = typeof e?.message === 'string' ? e.message : String(err);
  return new Invalid('The PDF is damaged or not a PDF', { reason }, 'corrupt_pdf');
}

/**
 * Renders one page (1-based) to grey pixels.
 * @example const img = await renderPdfPage(bytes, 1, 300);
 */
export async function renderPdfPage(pdf: Uint8Array, pageNo: number, dpi: number): Promise<GreyImage> {
  const doc = await openPdfDocument(pdf);
  try {
    checkPageNo(pageNo, doc.numPages);
    return await renderDocPage(doc, pageNo, dpi);
  } finally {
    await doc.destroy();
  }
}

/**
 * Streams rendered pages one by one, so a 500-page PDF never sits in memory; the document is
 * destroyed when the loop ends, also on `break` or a throw.
 * @example for await (const { pageNo, image } of renderPdfPages(bytes, { dpi: 200 })) { ... }
 */
export async function* renderPdfPages(
  pdf: Uint8Array,
  opts: {
    dpi: number;
    pages?: number[];
    /** The same PDF already parsed with pdf-lib by the caller, so it is not parsed again to find its scanner pages. */
    parsed?: PDFLibDocument;
  },
): AsyncGenerator<{ pageNo: number; image: GreyImage; decoded?: boolean }> {
  const doc = await openPdfDocument(pdf);
  try {
    const pages = opts.pages ?? Array.from({ length: doc.numPages }, (_, i) => i + 1);
    for (const pageNo of pages) checkPageNo(pageNo, doc.numPages);
    // A scanner's page (one JPEG over the whole page) is decoded natively instead (scanned-page.ts).
    const scans = opts.parsed ? (opts.parsed.isEncrypted ? null : opts.parsed) : await openForScans(pdf);
    for (const pageNo of pages) {
      const decoded = scans && scans.getPageCount() === doc.numPages ? await decodeScannedPage(doc, scans.getPage(pageNo - 1), pageNo, opts.dpi) : null;
      yield decoded ? { pageNo, image: decoded, decoded: true } : { pageNo, image: await renderDocPage(doc, pageNo, opts.dpi) };
    }
  } finally {
    await doc.destroy();
  }
}

/**
 * The page's JPEG decoded at the size pdfjs would render the page at, or null where it must be
 * rendered (whatever goes wrong here, rendering then says it in its own words).
 */
async function decodeScannedPage(doc: PDFDocumentProxy, scanPage: Parameters<typeof pageJpeg>[0], pageNo: number, dpi: number): Promise<GreyImage | null> {
  try {
    const found = pageJpeg(scanPage);
    if (!found) return null;
    const page = await doc.getPage(pageNo);
    try {
      const { width, height } = renderSize(page, dpi);
      return await decodePageJpeg(found, width, height);
    } finally {
      page.cleanup();
    }
  } catch {
    return null;
  }
}

/** The pixel size a page is rendered at: `dpi`, lowered where the page would exceed MAX_RENDER_PIXELS. */
function renderSize(page: PDFPageProxy, dpi: number): { scale: number; width: number; height: number } {
  let scale = dpi / 72;
  const base = page.getViewport({ scale: 1 });
  const pixels = base.width * base.height * scale * scale;
  if (pixels > MAX_RENDER_PIXELS) scale *= Math.sqrt(MAX_RENDER_PIXELS / pixels);
  const viewport = page.getViewport({ scale });
  return { scale, width: Math.max(1, Math.round(viewport.width)), height: Math.max(1, Math.round(viewport.height)) };
}

/** Number of pages, without rendering anything. */
export async function countPdfPages(pdf: Uint8Array): Promise<number> {
  const doc = await openPdfDocument(pdf);
  try {
    return doc.numPages;
  } finally {
    await doc.destroy();
  }
}

/** pdfjs asks for the file in chunks of this size; a page count of a well-formed PDF needs a handful. */
const RANGE_CHUNK = 64 * 1024;

/**
 * Number of pages of a PDF on disk, read through pdfjs's range transport: it asks for the
 * trailer, the cross-reference table and the page tree, chunk by chunk, so a 200 MB scan costs
 * a few chunks of memory rather than the whole file (plus pdfjs's private copy). A PDF whose
 * cross-reference table is broken makes pdfjs scan every chunk; then it holds the file once.
 * Throws `Invalid` 'encrypted_pdf' / 'corrupt_pdf' like `openPdfDocument`.
 * @example const pages = await countPdfPagesInFile('/tmp/upload-123');
 */
export async function countPdfPagesInFile(filePath: string): Promise<number> {
  const handle = await open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) throw new Invalid('The PDF is empty', undefined, 'corrupt_pdf');
    const read = async (begin: number, end: number) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(end, size) - begin));
      const { bytesRead } = await handle.read(buf, 0, buf.length, begin);
      return new Uint8Array(buf.buffer, buf.byteOffset, bytesRead);
    };
    const transport = new (class extends PDFDataRangeTransport {
      override requestDataRange(begin: number, end: number): void {
        read(begin, end).then(
          (chunk) => this.onDataRange(begin, chunk),
          () => this.abort(),
        );
      }
    })(size, await read(0, Math.min(size, RANGE_CHUNK)));
    const task = getDocument({
      range: transport,
      length: size,
      rangeChunkSize: RANGE_CHUNK,
      disableAutoFetch: true,
      disableStream: true,
      ...PDFJS_ASSETS,
      verbosity: VerbosityLevel.ERRORS,
      isEvalSupported: false,
      stopAtErrors: false,
    });
    let doc: PDFDocumentProxy;
    try {
      doc = await task.promise;
    } catch (err) {
      await task.destroy().catch(() => undefined);
      throw toPdfError(err);
    }
    try {
      return doc.numPages;
    } finally {
      await doc.destroy();
    }
  } finally {
    await handle.close();
  }
}

/** Encodes grey pixels as an 8-bit greyscale PNG; for debugging and tests (slow on noisy scans). */
export async function greyToPng(img: GreyImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } })
    .png({ compressionLevel: 3 })
    .toBuffer();
}

function checkPageNo(pageNo: number, numPages: number): void {
  if (!Number.isInteger(pageNo) || pageNo < 1 || pageNo > numPages) {
    throw new Invalid(`Page ${pageNo} does not exist; the PDF has ${numPages} page(s)`, { pageNo, numPages }, 'page_out_of_range');
  }
}

async function renderDocPage(doc: PDFDocumentProxy, pageNo: number, dpi: number): Promise<GreyImage> {
  if (!(dpi > 0 && dpi <= 1200)) throw new Invalid(`dpi must be in (0, 1200], got ${dpi}`);
  // A canvas from a second copy of @napi-rs/canvas crashes pdfjs: always use the document's own factory.
  const factory = doc.canvasFactory as CanvasFactory;
  let entry: CanvasEntry | undefined;
  try {
    const page = await doc.getPage(pageNo);
    try {
      const { scale, width, height } = renderSize(page, dpi);
      const viewport = page.getViewport({ scale });
      entry = factory.create(width, height);
      await page.render({
        canvas: entry.canvas as unknown as HTMLCanvasElement,
        canvasContext: entry.context as unknown as CanvasRenderingContext2D,
        viewport,
        background: 'white',
        annotationMode: 1, // ENABLE: draw appearance streams (stamps, filled forms) as printed
      }).promise;
      return { width, height, data: rgbaToGrey(entry.context.getImageData(0, 0, width, height).data) };
    } finally {
      page.cleanup();
    }
  } catch (err) {
    throw toPdfError(err);
  } finally {
    if (entry) factory.destroy(entry);
  }
}

/** ITU-R 601 luma in fixed point; fast enough that it is noise next to rendering. */
function rgbaToGrey(rgba: Uint8ClampedArray): Uint8Array {
  const out = new Uint8Array(rgba.length >>> 2);
  for (let i = 0, j = 0; j < out.length; i += 4, j++) {
    out[j] = (rgba[i]! * 77 + rgba[i + 1]! * 150 + rgba[i + 2]! * 29) >> 8;
  }
  return out;
}
