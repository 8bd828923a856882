import { PDFDocument } from 'pdf-lib';
import type { OcrPage } from '../../services/extraction.js';
import { addSearchablePage, embedOcrFont } from './searchable-pdf.js';

/**
 * The searchable archive copy of a document, kept beside the untouched original:
 * - a born-digital PDF (no page needed OCR) is its own archive copy: returns null;
 * - a PDF with scanned pages: its pages in order, the scanned ones replaced by image + text;
 * - an image (PNG, JPEG, TIFF): one PDF page per image page.
 */
export async function buildArchivePdf(input: { original: Uint8Array; mime: string; pageCount: number; ocrPages: OcrPage[] }): Promise<Uint8Array | null> {
  if (input.ocrPages.length === 0) return null;
  const doc = await PDFDocument.create();
  const font = await embedOcrFont(doc);
  doc.setProducer('Dossierlink');
  doc.setCreator('Dossierlink OCR (tesseract.js)');
  // A fixed date keeps the bytes (and so the content hash) the same when a job is re-run.
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  const asArchivePage = (p: OcrPage) => ({ image: { jpeg: p.jpeg, width: p.width, height: p.height }, dpi: p.dpi, words: p.result.words ?? [] });
  const byPage = new Map(input.ocrPages.map((p) => [p.pageNo, p]));
  if (input.mime === 'application/pdf') {
    const src = await PDFDocument.load(input.original, { updateMetadata: false });
    for (let n = 1; n <= src.getPageCount(); n++) {
      const scanned = byPage.get(n);
      if (scanned) await addSearchablePage(doc, font, asArchivePage(scanned));
      else {
        const [copied] = await doc.copyPages(src, [n - 1]);
        doc.addPage(copied);
      }
    }
  } else {
    for (const p of input.ocrPages) await addSearchablePage(doc, font, asArchivePage(p));
  }
  return doc.save();
}
