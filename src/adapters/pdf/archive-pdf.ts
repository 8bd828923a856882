import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import type { OcrPage } from '../../services/extraction.js';
import { winAnsiSafe } from './text-pdf.js';

const PT_PER_INCH = 72;

/**
 * Places one OCR'd page: the upright scan as the visible image, and every recognised word as
 * invisible text over it (opacity 0), sized to its box, so the page can be searched, selected
 * and copied in any PDF viewer while it looks exactly like the scan.
 */
async function addScannedPage(doc: PDFDocument, font: PDFFont, p: OcrPage): Promise<PDFPage> {
  const scale = PT_PER_INCH / p.dpi;
  const width = p.width * scale;
  const height = p.height * scale;
  const page = doc.addPage([width, height]);
  const img = await doc.embedJpg(p.jpeg);
  page.drawImage(img, { x: 0, y: 0, width, height });
  for (const w of p.result.words ?? []) {
    const text = winAnsiSafe(w.text.trim());
    if (!text) continue;
    const boxW = (w.bbox.x1 - w.bbox.x0) * scale;
    const boxH = (w.bbox.y1 - w.bbox.y0) * scale;
    if (boxW <= 0 || boxH <= 0) continue;
    // Fit the word's width to its box; the height follows, clamped so odd boxes stay sane.
    const natural = font.widthOfTextAtSize(text, 10);
    const size = Math.max(2, Math.min(boxH * 1.2, natural > 0 ? (10 * boxW) / natural : boxH));
    page.drawText(text, { x: w.bbox.x0 * scale, y: height - w.bbox.y1 * scale + boxH * 0.15, size, font, opacity: 0 });
  }
  return page;
}

/**
 * The searchable archive copy of a document, kept beside the untouched original:
 * - a born-digital PDF (no page needed OCR) is its own archive copy: returns null;
 * - a PDF with scanned pages: its pages in order, the scanned ones replaced by image + text;
 * - an image (PNG, JPEG, TIFF): one PDF page per image page.
 */
export async function buildArchivePdf(input: { original: Uint8Array; mime: string; pageCount: number; ocrPages: OcrPage[] }): Promise<Uint8Array | null> {
  if (input.ocrPages.length === 0) return null;
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.setProducer('Dossierlink');
  doc.setCreator('Dossierlink OCR (tesseract.js)');
  // A fixed date keeps the bytes (and so the content hash) the same when a job is re-run.
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  const byPage = new Map(input.ocrPages.map((p) => [p.pageNo, p]));
  if (input.mime === 'application/pdf') {
    const src = await PDFDocument.load(input.original, { ignoreEncryption: false, updateMetadata: false });
    for (let n = 1; n <= src.getPageCount(); n++) {
      const scanned = byPage.get(n);
      if (scanned) await addScannedPage(doc, font, scanned);
      else {
        const [copied] = await doc.copyPages(src, [n - 1]);
        doc.addPage(copied);
      }
    }
  } else {
    for (const p of input.ocrPages) await addScannedPage(doc, font, p);
  }
  return doc.save();
}
