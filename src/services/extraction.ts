import sharp from 'sharp';
import { countImagePages, imagePages, rotateGrey } from '../adapters/image/image-pages.js';
import type { OcrEngine, OcrResult } from '../adapters/ocr/ocr-engine.js';
import { renderPdfPages, type GreyImage } from '../adapters/pdf/pdf-render.js';
import { extractPdfText } from '../adapters/pdf/pdf-text.js';
import type { PageText } from '../db/documents.repository.js';
import { addStage, timed, type StageTimings } from './stage-timings.js';
import type { LayoutPage } from '../domain/layout.js';
import { progressNotes } from './progress-notes.js';
import type { ProgressNote } from './job-queue.port.js';

/**
 * A page that went through OCR, kept for the archive copy: the upright page as a JPEG (a few
 * hundred KB, not the 9 MB of raw pixels, so a 500-page scan fits in memory) and its words.
 */
export type OcrPage = { pageNo: number; jpeg: Buffer; width: number; height: number; dpi: number; result: OcrResult };

/** The page as read (turned upright when OCR read it turned), as the JPEG its archive copy shows. */
export async function uprightJpeg(image: GreyImage, result: OcrResult): Promise<{ jpeg: Buffer; width: number; height: number }> {
  const up = result.rotation ? rotateGrey(image, result.rotation) : image;
  const jpeg = await sharp(Buffer.from(up.data.buffer, up.data.byteOffset, up.data.byteLength), {
    raw: { width: up.width, height: up.height, channels: 1 },
  })
    .jpeg({ quality: 70, mozjpeg: false })
    .toBuffer();
  return { jpeg, width: up.width, height: up.height };
}

export type Extraction = {
  pageCount: number;
  pages: PageText[];
  /** Pages that were OCR'd (scans); empty for a born-digital PDF. */
  ocrPages: OcrPage[];
  /** Milliseconds per stage, summed over pages (preflight, rasterise, orientation, ocr, archiveImage) and `ocrPasses`. */
  stages: StageTimings;
  /** Every page's words with their boxes (text layer or OCR), for reading key points by position. */
  layout: LayoutPage[];
};

/**
 * An uploaded JPEG that was read upright as it is goes into the archive with its own bytes:
 * no second lossy encode, and a colour scan stays in colour. Not when EXIF turns it (the
 * PDF would show it turned) or its colour space is one a PDF viewer may show inverted (CMYK).
 */
async function originalJpegIfUsable(bytes: Uint8Array, mime: string): Promise<Buffer | null> {
  if (mime !== 'image/jpeg') return null;
  const meta = await sharp(bytes).metadata().catch(() => null);
  if (!meta || meta.format !== 'jpeg' || (meta.orientation ?? 1) !== 1 || (meta.pages ?? 1) !== 1) return null;
  if (meta.space !== 'srgb' && meta.space !== 'b-w') return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export type ProgressFn = (done: number, total: number, note?: string | ProgressNote) => Promise<void> | void;

/** OCR resolution for rasterised PDF pages: what tesseract reads best on business letters. */
export const OCR_DPI = 300;

/**
 * Runs `work` over an async stream of items with at most `limit` in flight, so every OCR worker
 * is busy while only a bounded number of page images sit in memory.
 */
async function boundedMap<T, R>(items: AsyncIterable<T>, limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  const running = new Set<Promise<void>>();
  for await (const item of items) {
    const p: Promise<void> = work(item).then((r) => {
      results.push(r);
      running.delete(p);
    });
    running.add(p);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  return results;
}

/** Counts the time spent producing each page image (PDF rendering, image decoding) as 'rasterise'. */
async function* timedStream<T>(items: AsyncIterable<T>, stages: StageTimings): AsyncGenerator<T> {
  const it = items[Symbol.asyncIterator]();
  for (;;) {
    const started = performance.now();
    const next = await it.next();
    addStage(stages, 'rasterise', performance.now() - started);
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Gets the text of every page: the text layer where a PDF page has real text (no OCR), OCR for
 * scanned PDF pages and images. Each page keeps its number, source and confidence.
 */
export async function extractText(
  bytes: Uint8Array,
  mime: string,
  ocr: OcrEngine,
  opts: {
    signal?: AbortSignal;
    /** Stops OCR between passes: a pass already running finishes (see `OcrOptions.until`). */
    until?: AbortSignal;
    onProgress?: ProgressFn;
    /** Each page image that goes to OCR, once OCR has it: other reading of the same pixels (codes) overlaps OCR instead of decoding again. */
    onPageImage?: (page: { pageNo: number; image: GreyImage; dpi: number | undefined }) => void;
  } = {},
): Promise<Extraction> {
  const pages: PageText[] = [];
  const ocrPages: OcrPage[] = [];
  const stages: StageTimings = {};
  const layout: LayoutPage[] = [];
  let stream: AsyncIterable<{ pageNo: number; image: GreyImage; dpi?: number }>;
  let total: number;
  let done = 0;
  let pageCount: number;

  if (mime === 'application/pdf') {
    const layer = await timed(stages, 'preflight', () => extractPdfText(bytes));
    pageCount = layer.pageCount;
    for (const p of layer.pages) {
      if (p.hasTextLayer) {
        pages.push({ pageNo: p.pageNo, text: p.text, source: 'text-layer', confidence: null });
        layout.push({ pageNo: p.pageNo, width: p.width, height: p.height, words: p.words });
      }
    }
    const scanned = layer.pages.filter((p) => !p.hasTextLayer).map((p) => p.pageNo);
    total = layer.pageCount;
    done = layer.pageCount - scanned.length;
    await opts.onProgress?.(done, total, progressNotes.textLayerRead());
    if (scanned.length === 0) return { pageCount, pages, ocrPages, stages, layout };
    stream = (async function* () {
      for await (const p of renderPdfPages(bytes, { dpi: OCR_DPI, pages: scanned })) yield { ...p, dpi: OCR_DPI };
    })();
  } else {
    stream = imagePages(bytes, { ocrDpi: OCR_DPI });
    total = await timed(stages, 'preflight', () => countImagePages(bytes));
    pageCount = total;
    await opts.onProgress?.(0, total, progressNotes.ocrStarted());
  }

  const original = total === 1 ? await originalJpegIfUsable(bytes, mime) : null;
  await boundedMap(timedStream(stream, stages), Math.max(1, ocr.workers), async ({ pageNo, image, dpi }) => {
    opts.signal?.throwIfAborted();
    opts.until?.throwIfAborted();
    const recognizing = ocr.recognize(image, { signal: opts.signal, until: opts.until });
    opts.onPageImage?.({ pageNo, image, dpi });
    const result = await recognizing;
    if (result.timings) {
      addStage(stages, 'orientation', result.timings.orientationMs);
      addStage(stages, 'ocr', result.timings.ocrMs);
      addStage(stages, 'ocrPasses', result.timings.passes);
      if (result.timings.bands) addStage(stages, 'ocrBands', result.timings.bands);
    }
    pages.push({ pageNo, text: result.text, source: 'ocr', confidence: result.confidence });
    const shown =
      original && result.rotation === 0
        ? { jpeg: original, width: image.width, height: image.height }
        : await timed(stages, 'archiveImage', () => uprightJpeg(image, result));
    ocrPages.push({ pageNo, ...shown, dpi: dpi ?? OCR_DPI, result });
    layout.push({ pageNo, width: shown.width, height: shown.height, words: (result.words ?? []).map((w) => ({ text: w.text, confidence: w.confidence, ...w.bbox })) });
    done++;
    await opts.onProgress?.(done, Math.max(total, done), progressNotes.pageRead(pageNo, Math.round(result.confidence)));
  });
  pages.sort((a, b) => a.pageNo - b.pageNo);
  ocrPages.sort((a, b) => a.pageNo - b.pageNo);
  layout.sort((a, b) => a.pageNo - b.pageNo);
  return { pageCount, pages, ocrPages, stages, layout };
}
