/**
 * Reads the text layer of a PDF with pdfjs. Pages without real text (scans) are flagged so the
 * pipeline sends only those to OCR. The reading runs in a render thread (pdf-render.ts): ~5-15 ms
 * a page of JavaScript, seconds for a long born-digital PDF that held every request meanwhile.
 */
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import type { LayoutWord } from '../../domain/layout.js';
import { Invalid } from '../../errors.js';
import { inRenderThread, openPdfDocument, toPdfError } from './pdf-render.js';

/** `words` are in PDF points with the origin top left, so a label's value can be found beside or below it. */
export type PdfPageText = { pageNo: number; text: string; hasTextLayer: boolean; width: number; height: number; words: LayoutWord[] };
export type PdfText = { pageCount: number; pages: PdfPageText[] };

/**
 * Below this many non-space characters a page counts as having no text layer: scanners and
 * printers often leave a stray page number or a producer stamp on otherwise image-only pages.
 */
export const MIN_TEXT_LAYER_CHARS = 20;

/**
 * Extracts the text of every page, joined into lines, in a render thread. The caller keeps `pdf`.
 * Throws `Invalid` 'encrypted_pdf' / 'corrupt_pdf', or 'pdf_too_complex' when pdfjs does not finish.
 * @example const { pages } = await extractPdfText(bytes); const toOcr = pages.filter((p) => !p.hasTextLayer);
 */
export async function extractPdfText(pdf: Uint8Array): Promise<PdfText> {
  if (pdf.byteLength === 0) throw new Invalid('The PDF is empty', undefined, 'corrupt_pdf');
  // A private copy, moved to the thread (pdfjs detaches what it is given).
  const data = new Uint8Array(pdf);
  return inRenderThread<PdfText>('text', { data }, [data.buffer], 'read');
}

/** extractPdfText in the calling thread (what the render thread runs); `owned` as openPdfDocument's. */
export async function extractPdfTextHere(pdf: Uint8Array, opts: { owned?: boolean } = {}): Promise<PdfText> {
  const doc = await openPdfDocument(pdf, opts);
  try {
    const pages: PdfPageText[] = [];
    for (let pageNo = 1; pageNo <= doc.numPages; pageNo++) {
      const page = await doc.getPage(pageNo);
      try {
        const content = await page.getTextContent();
        const items = content.items.filter((it): it is TextItem => 'str' in it);
        const text = joinTextItems(items);
        const { width, height } = page.getViewport({ scale: 1 });
        pages.push({ pageNo, text, hasTextLayer: hasRealText(text), width, height, words: textItemWords(items, height) });
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

/**
 * Word boxes from pdfjs text items: an item is a run of text on one baseline (a word, a line,
 * a cell, or with kerning a piece of a word); its width is shared out over its characters, and
 * pieces that touch on the same baseline are joined into one word, so "Fac" + "tuurnummer" is
 * one label. Good enough to tell a label from the value beside it. Rotated text is left out.
 */
export function textItemWords(items: readonly Pick<TextItem, 'str' | 'transform' | 'width' | 'height'>[], pageHeight: number): LayoutWord[] {
  const words: LayoutWord[] = [];
  let cur: LayoutWord | null = null;
  let prev: { x1: number; y: number; size: number } | null = null;
  const flush = () => {
    if (cur) words.push(cur);
    cur = null;
  };
  for (const it of items) {
    const [a = 1, b = 0, , d = 1, x = 0, y = 0] = it.transform as number[];
    if (Math.abs(b) > Math.abs(a) * 0.1 || !it.str) continue;
    const size = Math.abs(d) || it.height || 10;
    const perChar = it.width / it.str.length;
    const glued = prev !== null && Math.abs(y - prev.y) < size * 0.3 && x - prev.x1 < size * 0.15 && x > prev.x1 - size * 0.5;
    if (!glued) flush();
    const y0 = pageHeight - y - size * 0.8;
    const y1 = pageHeight - y + size * 0.2;
    for (let i = 0; i < it.str.length; i++) {
      const ch = it.str[i]!;
      const cx0 = x + i * perChar;
      if (/\s/.test(ch)) {
        flush();
        continue;
      }
      const w: LayoutWord | null = cur;
      if (w) {
        w.text += ch;
        w.x1 = cx0 + perChar;
        w.y0 = Math.min(w.y0, y0);
        w.y1 = Math.max(w.y1, y1);
      } else cur = { text: ch, x0: cx0, x1: cx0 + perChar, y0, y1 };
    }
    prev = { x1: x + it.width, y, size };
  }
  flush();
  return words;
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
