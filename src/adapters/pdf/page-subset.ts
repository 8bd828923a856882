/**
 * Some pages of a scanned stack as a document of their own. PDF pages are copied as they are
 * (no re-encoding, the scan's bytes stay the scan's bytes); pages of an image file are embedded
 * losslessly. Built without dates, so the same pages always give the same bytes and content hash:
 * a re-run after a crash stores nothing new.
 */
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import sharp from 'sharp';
import { greyToPng, renderPdfPage } from './pdf-render.js';

export type PageSubset = { bytes: Uint8Array; mime: string };

/** Resolution of the fallback raster for a PDF pdf-lib cannot copy from (pdfjs still reads it). */
const FALLBACK_DPI = 200;

/**
 * The pages (1-based, in order) of `bytes` as one file: the file itself when the pages are all of
 * it, else a PDF.
 *
 *     await pageSubset(stackPdf, 'application/pdf', 12, [3, 4]) // { bytes: <PDF of 2 pages>, mime: 'application/pdf' }
 */
export async function pageSubset(bytes: Uint8Array, mime: string, pageCount: number, pages: number[]): Promise<PageSubset> {
  if (pages.length === pageCount && pages.every((p, i) => p === i + 1)) return { bytes, mime };
  const out = await PDFDocument.create({ updateMetadata: false });
  if (mime === 'application/pdf') {
    const source = await loadSource(bytes);
    for (const p of pages) await addPdfPage(out, source, bytes, p);
  } else {
    for (const p of pages) await addImageFilePage(out, await imageFilePage(bytes, p));
  }
  return { bytes: await out.save(), mime: 'application/pdf' };
}

const loadSource = (bytes: Uint8Array) => PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false }).catch(() => null);

/** Page `p` of a PDF added to `out`: copied as it is, or rasterised where pdf-lib cannot read the file (`source` null). */
async function addPdfPage(out: PDFDocument, source: PDFDocument | null, bytes: Uint8Array, p: number): Promise<void> {
  if (source) {
    const [page] = await out.copyPages(source, [p - 1]);
    out.addPage(page!);
  } else {
    addImagePage(out, await out.embedPng(await greyToPng(await renderPdfPage(bytes, p, FALLBACK_DPI))), FALLBACK_DPI);
  }
}

/** Page `p` of an image file, with its resolution (200 dpi where the file gives none or a silly one). */
async function imageFilePage(bytes: Uint8Array, p: number) {
  const page = sharp(bytes, { page: p - 1, pages: 1, limitInputPixels: 100_000_000 });
  const meta = await page.metadata();
  return { page, dpi: meta.density && meta.density >= 50 ? meta.density : 200, width: meta.width, height: meta.height };
}

/** An image file's page added to `out`, embedded losslessly at its resolution. */
async function addImageFilePage(out: PDFDocument, f: { page: ReturnType<typeof sharp>; dpi: number }): Promise<void> {
  addImagePage(out, await out.embedPng(await f.page.png({ compressionLevel: 6 }).toBuffer()), f.dpi);
}

/** A4 in points: a placeholder's size where the erased page's own is not known. */
const A4: [number, number] = [595.28, 841.89];

/**
 * `bytes` with the `erased` pages (1-based) replaced by placeholder pages of the same size
 * carrying `note` (one line each), every other page kept as pageSubset keeps it: PDF pages copied
 * as they are, image pages embedded losslessly. Always a PDF of `pageCount` pages, so page numbers
 * stay what they were. Built without dates: the same input gives the same bytes.
 *
 *     await redactPages(stackPdf, 'application/pdf', 8, [2, 3], ['Page erased on 2026-12-01']) // 8 pages, 2 and 3 blank but the note
 */
export async function redactPages(bytes: Uint8Array, mime: string, pageCount: number, erased: number[], note: string[]): Promise<PageSubset> {
  const out = await PDFDocument.create({ updateMetadata: false });
  const font = await out.embedFont(StandardFonts.Helvetica);
  const placeholder = ([w, h]: [number, number]) => {
    const page = out.addPage([w, h]);
    const size = Math.max(8, Math.min(14, w / 40));
    note.forEach((line, i) => page.drawText(line, { x: size * 3, y: h - size * 5 - i * size * 1.6, size, font, color: rgb(0.3, 0.3, 0.3) }));
  };
  const gone = new Set(erased);
  if (mime === 'application/pdf') {
    const source = await loadSource(bytes);
    for (let p = 1; p <= pageCount; p++) {
      if (!gone.has(p)) {
        await addPdfPage(out, source, bytes, p);
        continue;
      }
      const size = source?.getPage(p - 1).getSize();
      placeholder(size ? [size.width, size.height] : A4);
    }
  } else {
    for (let p = 1; p <= pageCount; p++) {
      const f = await imageFilePage(bytes, p);
      if (!gone.has(p)) await addImageFilePage(out, f);
      else placeholder(f.width && f.height ? [(f.width / f.dpi) * 72, (f.height / f.dpi) * 72] : A4);
    }
  }
  return { bytes: await out.save(), mime: 'application/pdf' };
}

function addImagePage(out: PDFDocument, img: { width: number; height: number }, dpi: number): void {
  const w = (img.width / dpi) * 72;
  const h = (img.height / dpi) * 72;
  out.addPage([w, h]).drawImage(img as Parameters<ReturnType<PDFDocument['addPage']>['drawImage']>[0], { x: 0, y: 0, width: w, height: h });
}
