/**
 * The pdfjs side of pdf-render.ts, in a worker thread (src/adapters/thread-pool.ts): opens a PDF,
 * tells a page's render size, renders pages to grey pixels, reads text layers and counts the
 * pages of uploads, so neither parsing, drawing nor reading text holds the service's event loop.
 * A caller opens a document, calls for its pages and closes it.
 */
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { Invalid } from '../../errors.js';
import { serveThread, sharedPixels } from '../thread-pool.js';
import { checkPageNo, countPdfPagesInFileHere, openPdfDocument, toPdfError, type GreyImage } from './pdf-render.js';
import { extractPdfTextHere } from './pdf-text.js';

/** Beyond this many pixels a page is rendered at a lower dpi rather than exhausting memory (RGBA needs 4x). */
const MAX_RENDER_PIXELS = 60_000_000;

/** The slice of pdfjs's canvas factory we use; it is typed as `Object` upstream. */
type CanvasEntry = {
  canvas: { width: number; height: number };
  context: { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
};
type CanvasFactory = { create(w: number, h: number): CanvasEntry; destroy(entry: CanvasEntry): void };

const docs = new Map<number, PDFDocumentProxy>();
let nextDoc = 1;

function doc(id: number): PDFDocumentProxy {
  const d = docs.get(id);
  if (!d) throw new Error(`no open PDF ${id} in this thread`);
  return d;
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

async function renderDocPage(d: PDFDocumentProxy, pageNo: number, dpi: number): Promise<GreyImage> {
  if (!(dpi > 0 && dpi <= 1200)) throw new Invalid(`dpi must be in (0, 1200], got ${dpi}`);
  // A canvas from a second copy of @napi-rs/canvas crashes pdfjs: always use the document's own factory.
  const factory = d.canvasFactory as CanvasFactory;
  let entry: CanvasEntry | undefined;
  try {
    const page = await d.getPage(pageNo);
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

/** ITU-R 601 luma in fixed point, into shared memory (sharedPixels): fast enough that it is noise next to rendering. */
function rgbaToGrey(rgba: Uint8ClampedArray): Uint8Array {
  const out = sharedPixels(rgba.length >>> 2);
  for (let i = 0, j = 0; j < out.length; i += 4, j++) {
    out[j] = (rgba[i]! * 77 + rgba[i + 1]! * 150 + rgba[i + 2]! * 29) >> 8;
  }
  return out;
}

serveThread({
  /** `data` arrives transferred: pdfjs may detach it. */
  async open({ data }: { data: Uint8Array }) {
    const d = await openPdfDocument(data, { owned: true });
    const id = nextDoc++;
    docs.set(id, d);
    return { value: { doc: id, numPages: d.numPages } };
  },
  async size({ doc: id, pageNo, dpi }: { doc: number; pageNo: number; dpi: number }) {
    const d = doc(id);
    checkPageNo(pageNo, d.numPages);
    const page = await d.getPage(pageNo);
    try {
      const { width, height } = renderSize(page, dpi);
      return { value: { width, height } };
    } finally {
      page.cleanup();
    }
  },
  async render({ doc: id, pageNo, dpi }: { doc: number; pageNo: number; dpi: number }) {
    const d = doc(id);
    checkPageNo(pageNo, d.numPages);
    // Shared, not moved: the caller hands the page on to the other reading threads without a copy.
    return { value: await renderDocPage(d, pageNo, dpi) };
  },
  /** The page count of a PDF on disk (an upload's preflight), read here in chunks. */
  async countFile({ filePath }: { filePath: string }) {
    return { value: await countPdfPagesInFileHere(filePath) };
  },
  /** The text layer of every page (pdf-text.ts); the document is opened and closed here. */
  async text({ data }: { data: Uint8Array }) {
    return { value: await extractPdfTextHere(data, { owned: true }) };
  },
  async close({ doc: id }: { doc: number }) {
    const d = docs.get(id);
    docs.delete(id);
    await d?.destroy();
    return { value: null };
  },
});
