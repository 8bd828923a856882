/**
 * Reads the text layer of a PDF with pdfjs. Pages without real text (scans) are flagged so the
 * pipeline sends only those to OCR.
 */
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { openPdfDocument, toPdfError } from './pdf-render.js';

export type PdfPageText = { pageNo: number; text: string; hasTextLayer: boolean };
export type PdfText = { pageCount: number; pages: PdfPageText[] };

/**
 * Below this many non-space characters a page counts as having no text layer: scanners and
 * printers often leave a stray page number or a producer stamp on otherwise image-only pages.
 */
export const MIN_TEXT_LAYER_CHARS = 20;

/**
 * Extracts the text of every page, joined into lines.
 * @example const { pages } = await extractPdfText(bytes); const toOcr = pages.filter((p) => !p.hasTextLayer);
 */
export async function extractPdfText(pdf: Uint8Array): Promise<PdfText> {
  const doc = await openPdfDocument(pdf);
  try {
    const pages: PdfPageText[] = [];
    for (let pageNo = 1; pageNo <= doc.numPages; pageNo++) {
      const page = await doc.getPage(pageNo);
      try {
        const content = await page.getTextContent();
        const items = content.items.filter((it): it is TextItem => 'str' in it);
        const text = joinTextItems(items);
        pages.push({ pageNo, text, hasTextLayer: hasRealText(text) });
      } finally {
        page.cleanup();
      }
    }
    return { pageCount: doc.numPages, pages };
  } catch (err) {
    throw toPdfError(err);
  } finally {
    await doc.destroy();
  }
}

/** True when the text has at least `MIN_TEXT_LAYER_CHARS` non-space characters. */
export function hasRealText(text: string): boolean {
  let n = 0;
  for (const ch of text) {
    if (!/\s/.test(ch) && ++n >= MIN_TEXT_LAYER_CHARS) return true;
  }
  return false;
}

type LineItem = Pick<TextItem, 'str' | 'transform' | 'width' | 'height' | 'hasEOL'>;

/**
 * Joins pdfjs text items into lines. pdfjs marks most line ends with `hasEOL`, but generators
 * that place each word separately (pdf-lib, many OCR layers) do not, so a jump in baseline also
 * starts a new line, and a horizontal gap between items on one line becomes a space.
 */
export function joinTextItems(items: readonly LineItem[]): string {
  const lines: string[] = [];
  let line = '';
  let prev: { x1: number; y: number; size: number } | undefined;
  for (const it of items) {
    const [a = 1, b = 0, , , x = 0, y = 0] = it.transform as number[];
    const size = Math.hypot(a, b) || it.height || 1;
    if (prev && it.str.length > 0) {
      const newLine = Math.abs(y - prev.y) > Math.max(size, prev.size) * 0.5;
      if (newLine) {
        lines.push(line);
        line = '';
      } else if (x - prev.x1 > size * 0.15 && !/\s$/.test(line) && !/^\s/.test(it.str)) {
        line += ' ';
      }
    }
    line += it.str;
    if (it.str.length > 0) prev = { x1: x + it.width, y, size };
    if (it.hasEOL) {
      lines.push(line);
      line = '';
      prev = undefined;
    }
  }
  if (line) lines.push(line);
  return lines
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
