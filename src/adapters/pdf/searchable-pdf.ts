/**
 * Builds the archive copy of a scanned document: each page shows the scan, with the OCR words
 * laid over it as invisible text (render mode 3, as OCRmyPDF and scanners do), so the words can
 * be searched, selected and copied. pdf-lib writes it; pages stream in one at a time, each
 * held only as its JPEG.
 */
import {
  PDFDocument,
  StandardFonts,
  TextRenderingMode,
  beginText,
  endText,
  popGraphicsState,
  pushGraphicsState,
  setFontAndSize,
  setTextMatrix,
  setTextRenderingMode,
  showText,
} from 'pdf-lib';
import type { PDFFont, PDFName, PDFPage } from 'pdf-lib';
import sharp from 'sharp';
import type { OcrWord } from '../ocr/ocr-engine.js';
import type { GreyImage } from './pdf-render.js';

/** A page as pixels, or already JPEG-encoded (then width/height are its pixel size). */
export type ArchiveImage = GreyImage | { jpeg: Uint8Array; width: number; height: number };

export type ArchivePage = {
  /** The upright page the word boxes refer to (`rotateGrey(scan, result.rotation)`). */
  image: ArchiveImage;
  /** Scan resolution: sets the paper size (pixels / dpi inches). */
  dpi: number;
  words: readonly OcrWord[];
};

export type SearchablePdfOptions = { title?: string; jpegQuality?: number };

/**
 * Writes the searchable PDF. Output bytes depend only on the input (dates are fixed), so a
 * re-run job stores the same object.
 * @example const pdf = await buildSearchablePdf([{ image: upright, dpi: 300, words: result.words ?? [] }]);
 */
export async function buildSearchablePdf(
  pages: Iterable<ArchivePage> | AsyncIterable<ArchivePage>,
  opts: SearchablePdfOptions = {},
): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setProducer('Dossierlink');
  doc.setCreator('Dossierlink OCR');
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  if (opts.title) doc.setTitle(opts.title);
  const font = await embedOcrFont(doc);
  for await (const page of pages) await addSearchablePage(doc, font, page, opts);
  return doc.save();
}

/** Helvetica needs no embedding; WinAnsi covers Dutch and English ('ë', 'é', '€'). */
export async function embedOcrFont(doc: PDFDocument): Promise<PDFFont> {
  return doc.embedFont(StandardFonts.Helvetica);
}

/**
 * Appends one scanned page (image + invisible words) to a document being built, for callers
 * that mix scanned pages with pages copied from a born-digital original.
 */
export async function addSearchablePage(doc: PDFDocument, font: PDFFont, page: ArchivePage, opts: { jpegQuality?: number } = {}): Promise<PDFPage> {
  const embedded = await doc.embedJpg(await toJpeg(page.image, opts.jpegQuality ?? 70));
  const scale = 72 / page.dpi; // pixels to points
  const w = page.image.width * scale;
  const h = page.image.height * scale;
  const pdfPage = doc.addPage([w, h]);
  pdfPage.drawImage(embedded, { x: 0, y: 0, width: w, height: h });
  drawInvisibleWords(pdfPage, font, page.words, scale, h);
  return pdfPage;
}

/** One text object per word, stretched over its box so selection lines up with the scan. */
function drawInvisibleWords(page: PDFPage, font: PDFFont, words: readonly OcrWord[], scale: number, pageH: number): void {
  if (words.length === 0) return;
  const encodable = charsetOf(font);
  const fontName: PDFName = page.node.newFontDictionary(font.name, font.ref);
  const ops = [pushGraphicsState(), beginText(), setTextRenderingMode(TextRenderingMode.Invisible)];
  for (const word of words) {
    const text = toWinAnsi(word.text, encodable);
    if (!text) continue;
    const { x0, y0, x1, y1 } = word.bbox;
    const boxH = Math.max(1, (y1 - y0) * scale);
    const boxW = Math.max(1, (x1 - x0) * scale);
    // Helvetica spans ~0.93 em from descender to cap height; the box is ink from top to bottom.
    const size = boxH / 0.93;
    const natural = font.widthOfTextAtSize(text, size);
    const stretch = natural > 0 ? boxW / natural : 1;
    const baseline = pageH - y1 * scale + 0.2 * size;
    ops.push(setFontAndSize(fontName, size), setTextMatrix(stretch, 0, 0, 1, x0 * scale, baseline), showText(font.encodeText(text)));
  }
  ops.push(endText(), popGraphicsState());
  page.pushOperators(...ops);
}

const charsets = new WeakMap<PDFFont, Set<number>>();
function charsetOf(font: PDFFont): Set<number> {
  let set = charsets.get(font);
  if (!set) charsets.set(font, (set = new Set(font.getCharacterSet())));
  return set;
}

/** Helvetica's standard encoding cannot show every OCR glyph: decompose accents, else '?'. */
function toWinAnsi(text: string, encodable: Set<number>): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    const cp = ch.codePointAt(0)!;
    if (encodable.has(cp)) out += ch;
    else if (/\s/.test(ch)) continue;
    else {
      const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
      out += base && [...base].every((c) => encodable.has(c.codePointAt(0)!)) ? base : '?';
    }
  }
  return out;
}

async function toJpeg(image: ArchiveImage, quality: number): Promise<Uint8Array> {
  if ('jpeg' in image) return image.jpeg;
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .jpeg({ quality })
    .toBuffer();
}
