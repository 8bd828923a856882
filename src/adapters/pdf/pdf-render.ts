/**
 * Rasterises PDF pages to grey pixels with pdfjs-dist (legacy build, the one that runs in Node),
 * in a worker thread (pdf-render.worker.ts): parsing and drawing a page take up to a second of
 * JavaScript that would otherwise hold every request of the process. renderPdfPages decodes a
 * scanner's page (one JPEG over the whole page) natively instead, off the event loop as well (sharp).
 * Also owns opening a PDF with pdfjs, so text extraction shares the same offline setup and the
 * same mapping of pdfjs failures onto `Invalid`.
 */
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Transferable } from 'node:worker_threads';
import path from 'node:path';
import { getDocument, PDFDataRangeTransport, VerbosityLevel } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocument as PDFLibDocument } from 'pdf-lib';
import sharp from 'sharp';
import { AppError, Invalid } from '../../errors.js';
import { ThreadPool, type PinnedThread } from '../thread-pool.js';
import { decodePageJpeg, openForScans, pageJpeg } from './scanned-page.js';

/** One byte per pixel, row-major, 0 = black .. 255 = white. */
export type GreyImage = { width: number; height: number; data: Uint8Array };

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

/**
 * Opens a PDF with pdfjs. The caller must `destroy()` the result (use try/finally).
 * Throws `Invalid` with code 'encrypted_pdf' or 'corrupt_pdf'.
 */
export async function openPdfDocument(pdf: Uint8Array, opts: { owned?: boolean } = {}): Promise<PDFDocumentProxy> {
  if (pdf.byteLength === 0) throw new Invalid('The PDF is empty', undefined, 'corrupt_pdf');
  // pdfjs transfers (detaches) the buffer it is given and refuses Buffers: hand it a private copy,
  // unless `owned`: a plain Uint8Array the caller gives up (one that was transferred to this thread).
  const data = opts.owned ? pdf : new Uint8Array(pdf);
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
 * Threads rendering pages, as many as the other helpers (helperThreads: OCR's workers take the
 * other cores). A PDF stays in the thread that opened it, so its pages render one at a time, as
 * they did in the main thread.
 */
const renderThreads = new ThreadPool(new URL('./pdf-render.worker.js', import.meta.url), { background: true });

/**
 * A page that takes longer than this to open or draw is not a page pdfjs will finish (a loop in
 * a damaged or hostile file): its thread is ended and the PDF refused. An A4 scan drawn at 400 dpi
 * takes ~1.3 s here.
 */
export const RENDER_TIMEOUT_MS = 120_000;

/** A PDF opened in a render thread: its page count, its pages' render sizes and pixels. */
type RemotePdf = {
  numPages: number;
  size(pageNo: number, dpi: number): Promise<{ width: number; height: number }>;
  render(pageNo: number, dpi: number): Promise<GreyImage>;
  close(): Promise<void>;
};

/** The refusal of a PDF pdfjs did not finish `what` (opened, read, drawn) in time. */
const tooSlow = (what: string, ms = RENDER_TIMEOUT_MS) => () => new Invalid(`The PDF could not be ${what} within ${ms / 1000} s; it is damaged or too complex`, undefined, 'pdf_too_complex');

/**
 * One call of pdf-render.worker.ts on the least busy render thread, for work that opens and
 * closes its own document there (the text layer, pdf-text.ts).
 * @example const text = await inRenderThread<PdfText>('text', { data }, [data.buffer], 'read');
 */
export function inRenderThread<T>(op: string, args: unknown, transfer: Transferable[], what: string): Promise<T> {
  return renderThreads.run<T>(op, args, { transfer, timeoutMs: RENDER_TIMEOUT_MS, onTimeout: tooSlow(what) });
}

async function openRemote(pdf: Uint8Array, forRequest = false): Promise<RemotePdf> {
  if (pdf.byteLength === 0) throw new Invalid('The PDF is empty', undefined, 'corrupt_pdf');
  const thread: PinnedThread = (forRequest ? requestThreads : renderThreads).pin();
  try {
    // A private copy, moved to the thread (pdfjs detaches what it is given).
    const data = new Uint8Array(pdf);
    const { doc, numPages } = await thread.call<{ doc: number; numPages: number }>('open', { data }, { transfer: [data.buffer], timeoutMs: RENDER_TIMEOUT_MS, onTimeout: tooSlow('opened') });
    return {
      numPages,
      size: (pageNo, dpi) => thread.call('size', { doc, pageNo, dpi }, { timeoutMs: RENDER_TIMEOUT_MS, onTimeout: tooSlow('read') }),
      render: (pageNo, dpi) => thread.call('render', { doc, pageNo, dpi }, { timeoutMs: RENDER_TIMEOUT_MS, onTimeout: tooSlow(`drawn (page ${pageNo})`) }),
      async close() {
        try {
          await thread.call('close', { doc }, { timeoutMs: RENDER_TIMEOUT_MS });
        } catch {
          // A thread that died took the document with it.
        } finally {
          thread.release();
        }
      },
    };
  } catch (err) {
    thread.release();
    throw err;
  }
}

/**
 * Renders one page (1-based) to grey pixels.
 * @example const img = await renderPdfPage(bytes, 1, 300);
 */
export async function renderPdfPage(pdf: Uint8Array, pageNo: number, dpi: number): Promise<GreyImage> {
  const doc = await openRemote(pdf);
  try {
    checkPageNo(pageNo, doc.numPages);
    return await doc.render(pageNo, dpi);
  } finally {
    await doc.close();
  }
}

/**
 * Streams rendered pages one by one, so a 500-page PDF never sits in memory; the document is
 * closed when the loop ends, also on `break` or a throw.
 * @example for await (const { pageNo, image } of renderPdfPages(bytes, { dpi: 200 })) { ... }
 */
export async function* renderPdfPages(
  pdf: Uint8Array,
  opts: {
    dpi: number;
    pages?: number[];
    /** The same PDF already parsed with pdf-lib by the caller, so it is not parsed again to find its scanner pages. */
    parsed?: PDFLibDocument;
    /** Drawn for a request that waits (a thumbnail on demand): on requestThreads, not behind pages ingest jobs asked for first. */
    forRequest?: boolean;
  },
): AsyncGenerator<{ pageNo: number; image: GreyImage; decoded?: boolean }> {
  const doc = await openRemote(pdf, opts.forRequest);
  try {
    const pages = opts.pages ?? Array.from({ length: doc.numPages }, (_, i) => i + 1);
    for (const pageNo of pages) checkPageNo(pageNo, doc.numPages);
    // A scanner's page (one JPEG over the whole page) is decoded natively instead (scanned-page.ts).
    const scans = opts.parsed ? (opts.parsed.isEncrypted ? null : opts.parsed) : await openForScans(pdf);
    for (const pageNo of pages) {
      const decoded = scans && scans.getPageCount() === doc.numPages ? await decodeScannedPage(doc, scans.getPage(pageNo - 1), pageNo, opts.dpi, opts.forRequest) : null;
      yield decoded ? { pageNo, image: decoded, decoded: true } : { pageNo, image: await doc.render(pageNo, opts.dpi) };
    }
  } finally {
    await doc.close();
  }
}

/**
 * The page's JPEG decoded at the size pdfjs would render the page at, or null where it must be
 * rendered (whatever goes wrong here, rendering then says it in its own words).
 */
async function decodeScannedPage(doc: RemotePdf, scanPage: Parameters<typeof pageJpeg>[0], pageNo: number, dpi: number, forRequest = false): Promise<GreyImage | null> {
  try {
    const found = pageJpeg(scanPage);
    if (!found) return null;
    const { width, height } = await doc.size(pageNo, dpi);
    return await decodePageJpeg(found, width, height, { forRequest });
  } catch {
    return null;
  }
}

/** Number of pages, without rendering anything (tests and benches). */
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
 * Number of pages of a PDF on disk, counted in a thread (requestThreads): the upload's preflight.
 * pdfjs parses in JavaScript; a 28 MB scan of 200 pages held the event loop for up to ~0.5 s at a
 * time, one whose cross-reference table is broken (pdfjs then reads every object) as long.
 * Throws `Invalid` 'encrypted_pdf' / 'corrupt_pdf' like `openPdfDocument`, 'pdf_too_complex'
 * when pdfjs has not finished within COUNT_TIMEOUT_MS.
 * @example const pages = await countPdfPagesInFile('/tmp/upload-123');
 */
export function countPdfPagesInFile(filePath: string): Promise<number> {
  return requestThreads.run<number>('countFile', { filePath }, { timeoutMs: COUNT_TIMEOUT_MS, onTimeout: tooSlow('read', COUNT_TIMEOUT_MS) });
}

/**
 * Threads of the same kind for work a request waits for (an upload's page count, a thumbnail drawn
 * on demand), apart from those drawing pages for ingest: it must not queue behind pages an ingest
 * job asked for first (a thread answers its calls in order), and it runs at normal priority.
 */
const requestThreads = new ThreadPool(new URL('./pdf-render.worker.js', import.meta.url), {});

/** A well-formed PDF is counted in milliseconds, a broken one in a second or two; past this the upload is refused. */
export const COUNT_TIMEOUT_MS = 30_000;

/**
 * countPdfPagesInFile in the calling thread (what the render thread runs), through pdfjs's range
 * transport: it asks for the trailer, the cross-reference table and the page tree, chunk by
 * chunk, so a 200 MB scan costs a few chunks of memory rather than the whole file (plus pdfjs's
 * private copy). A PDF whose cross-reference table is broken makes pdfjs scan every chunk; then
 * it holds the file once.
 */
export async function countPdfPagesInFileHere(filePath: string): Promise<number> {
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

/** Throws `Invalid` 'page_out_of_range' unless `pageNo` is a page of the PDF. */
export function checkPageNo(pageNo: number, numPages: number): void {
  if (!Number.isInteger(pageNo) || pageNo < 1 || pageNo > numPages) {
    throw new Invalid(`Page ${pageNo} does not exist; the PDF has ${numPages} page(s)`, { pageNo, numPages }, 'page_out_of_range');
  }
}
