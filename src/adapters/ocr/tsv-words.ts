import type { OcrWord } from './ocr-engine.js';

/**
 * The words of tesseract's TSV (level 5 rows) with their boxes, as both engines read them: the
 * CLI writes it to a file, tesseract.js returns it as one string. Rows that are not words (the
 * header, pages, blocks, lines; confidence -1) and empty words are left out.
 * @example const words = parseTsvWords(tsv); // [{ text: 'Factuur', confidence: 96, bbox: { x0, y0, x1, y1 } }]
 */
export function parseTsvWords(tsv: string): OcrWord[] {
  const words: OcrWord[] = [];
  for (const line of tsv.split('\n')) {
    const c = line.split('\t');
    if (c.length < 12 || c[0] !== '5') continue;
    const text = c.slice(11).join('\t').trim();
    const conf = Number(c[10]);
    if (!text || !(conf >= 0)) continue;
    const [x, y, w, h] = [Number(c[6]), Number(c[7]), Number(c[8]), Number(c[9])];
    words.push({ text, confidence: Math.round(conf), bbox: { x0: x, y0: y, x1: x + w, y1: y + h } });
  }
  return words;
}
