/**
 * Cutting one page into horizontal bands that OCR workers can read side by side, and joining
 * what they read back into one page. A page alone in the queue otherwise keeps one core busy
 * while the other OCR worker idles (issue 15: one dense page took ~2× the CLI's time).
 *
 * Cuts fall only in whitespace: the middle of a run of rows without ink between two text lines,
 * found from the row projection profile of the binarised page. Ink here is a vertical run of at
 * least a few dark pixels, so dust and speckle (1-3 px) neither hide a gap nor make one, and a
 * lone glyph (a page number) still counts. Bands keep the page's full width and its margins:
 * leaving the blank paper out saved tesseract time but changed what it read on degraded scans.
 */
import { otsuThreshold } from '../image/otsu.js';
import type { GreyImage } from '../pdf/pdf-render.js';
import type { OcrResult, OcrWord } from './ocr-engine.js';

/** A crop of the page in page pixels; `x1`/`y1` exclusive. */
export type Band = { x0: number; y0: number; x1: number; y1: number };

export type BandPlan = {
  bands: Band[];
  /** Between band i and i+1: was the gap a paragraph break (wider than most line gaps)? */
  paragraphBreaks: boolean[];
};

/** Below this many pixels of text area a second worker saves less than handing the band over costs. */
const MIN_SPLIT_PIXELS = 1_000_000;

/**
 * Plans up to `maxBands` full-width bands over `img`, cut in blank rows of its text area and
 * balanced by ink so the workers finish together. Returns one band, the whole page, when the
 * page has no safe cut; never cuts through a row with ink, nor next to a text block with a
 * column gutter (two columns or a table: reading it in bands could change the reading order).
 * @example const { bands } = planBands(page, 2); // [{ x0, y0, x1, y1 }, ...] top to bottom
 */
export function planBands(img: GreyImage, maxBands: number): BandPlan {
  const { width: w, height: h, data } = img;
  const whole: BandPlan = { bands: [{ x0: 0, y0: 0, x1: w, y1: h }], paragraphBreaks: [] };
  if (w < 16 || h < 16) return whole;
  // Every 7th pixel (a prime, so no column pattern of the page lines up with it) gives the same cut.
  const threshold = otsuThreshold(data, 7);
  // Scale from the width: an A4 page is ~8.3 in wide at whatever resolution it came in.
  const minRun = Math.min(10, Math.max(4, Math.round(w / 400)));
  const minGap = Math.max(6, Math.round(w / 350));
  const margin = Math.max(10, Math.round(w / 100));
  const gutter = Math.max(24, Math.round(w / 35));
  // Columns near the edges are left out of the row profile: a scanner's dark border would
  // otherwise put "ink" in every row. They still count for the horizontal extent.
  const edge = Math.round(w * 0.03);
  const rows = new Int32Array(h + 1); // difference array, then per-row ink count
  const blockRows = 8;
  const blocks = Math.ceil(h / blockRows);
  const colInk = new Uint8Array(blocks * w); // per 8-row block: which columns have ink
  // Every second column is enough to see a stroke (stems are 3+ px at 300 dpi) at half the cost.
  const step = 2;
  const runStart = new Int32Array(w).fill(-1);
  const active = new Int32Array(w);
  let nActive = 0;
  const endRun = (x: number, s: number, y: number) => {
    runStart[x] = -1;
    if (y - s < minRun) return;
    if (x >= edge && x < w - edge) {
      rows[s]!++;
      rows[y]!--;
    }
    const x2 = Math.min(w, x + step);
    for (let b = Math.floor(s / blockRows), last = Math.floor((y - 1) / blockRows); b <= last; b++) colInk.fill(1, b * w + x, b * w + x2);
  };
  for (let y = 0; y < h; y++) {
    const row = y * w;
    // Runs that stop at this row (their column is light here).
    let kept = 0;
    for (let k = 0; k < nActive; k++) {
      const x = active[k]!;
      if (data[row + x]! > threshold) endRun(x, runStart[x]!, y);
      else active[kept++] = x;
    }
    nActive = kept;
    for (let x = 0; x < w; x += step) {
      if (data[row + x]! <= threshold && runStart[x]! < 0) {
        runStart[x] = y;
        active[nActive++] = x;
      }
    }
  }
  for (let k = 0; k < nActive; k++) endRun(active[k]!, runStart[active[k]!]!, h);
  for (let y = 1; y < h; y++) rows[y]! += rows[y - 1]!;

  let top = 0;
  while (top < h && rows[top] === 0) top++;
  if (top === h) return whole; // no ink: tesseract finds nothing either way
  let bottom = h - 1;
  while (rows[bottom] === 0) bottom--;
  const colsOf = (y0: number, y1: number) => {
    const cols = new Uint8Array(w);
    for (let b = Math.floor(y0 / blockRows); b <= Math.floor((y1 - 1) / blockRows); b++) for (let x = 0; x < w; x++) cols[x]! |= colInk[b * w + x]!;
    return cols;
  };
  const allCols = colsOf(top, bottom + 1);
  let left = 0;
  while (left < w && !allCols[left]) left++;
  let right = w - 1;
  while (right > left && !allCols[right]) right--;
  const area: Band = { x0: Math.max(0, left - margin), y0: Math.max(0, top - margin), x1: Math.min(w, right + 1 + margin), y1: Math.min(h, bottom + 1 + margin) };
  // The page is read whole when it is not split, and bands keep the page's full width and its
  // top and bottom margins: cropping to the text area changed what tesseract read on degraded
  // scans (its thresholds and layout analysis see the blank paper too), and key points such as
  // "Factuur nr." were lost (test/integration/evaluation.test.ts).
  const one = whole;
  if (maxBands < 2 || (area.x1 - area.x0) * (area.y1 - area.y0) < MIN_SPLIT_PIXELS) return one;

  // Gaps: runs of blank rows inside the text area, at least minGap tall.
  const gaps: { y0: number; y1: number }[] = [];
  for (let y = top; y <= bottom; ) {
    if (rows[y] !== 0) {
      y++;
      continue;
    }
    const s = y;
    while (y <= bottom && rows[y] === 0) y++;
    if (y - s >= minGap) gaps.push({ y0: s, y1: y });
  }
  if (gaps.length === 0) return one;
  // A gap is a safe cut only if the text blocks on both sides have no interior gutter.
  const segments = [{ y0: top, y1: gaps[0]!.y0 }, ...gaps.map((g, i) => ({ y0: g.y1, y1: i + 1 < gaps.length ? gaps[i + 1]!.y0 : bottom + 1 }))];
  const plain = segments.map((s) => !hasGutter(colsOf(s.y0, s.y1), gutter));
  const safe = gaps.map((g, i) => ({ ...g, ok: plain[i]! && plain[i + 1]! })).filter((g) => g.ok);
  if (safe.length === 0) return one;

  // Balance by ink: the cut nearest each k-th share of the page's ink.
  const cum = new Float64Array(h + 1);
  for (let y = 0; y < h; y++) cum[y + 1] = cum[y]! + rows[y]!;
  const total = cum[h]!;
  const cuts: { y0: number; y1: number }[] = [];
  for (let k = 1; k < maxBands; k++) {
    const target = (total * k) / maxBands;
    let best: (typeof safe)[number] | undefined;
    for (const g of safe) {
      if (cuts.length && g.y0 <= cuts[cuts.length - 1]!.y0) continue;
      const mid = (g.y0 + g.y1) >> 1;
      if (!best || Math.abs(cum[mid]! - target) < Math.abs(cum[(best.y0 + best.y1) >> 1]! - target)) best = g;
    }
    if (best && !cuts.includes(best)) cuts.push(best);
  }
  if (cuts.length === 0) return one;
  const gapHeights = gaps.map((g) => g.y1 - g.y0).sort((a, b) => a - b);
  const typicalGap = gapHeights[Math.floor(gapHeights.length / 2)]!;
  // Each band takes in the whole blank gap on both sides: white space around its lines, as
  // tesseract sees on the page, and no row of ink in two bands.
  const bands: Band[] = [];
  let y0 = 0;
  for (const c of cuts) {
    bands.push({ x0: 0, y0, x1: w, y1: c.y1 });
    y0 = c.y0;
  }
  bands.push({ x0: 0, y0, x1: w, y1: h });
  return { bands, paragraphBreaks: cuts.map((c) => c.y1 - c.y0 > typicalGap * 1.5) };
}

/** A run of blank columns at least `min` wide between the first and last inked column. */
function hasGutter(cols: Uint8Array, min: number): boolean {
  let first = 0;
  while (first < cols.length && !cols[first]) first++;
  let run = 0;
  let seenInk = false;
  for (let x = first; x < cols.length; x++) {
    if (cols[x]) {
      if (seenInk && run >= min) return true;
      seenInk = true;
      run = 0;
    } else run++;
  }
  return false;
}

/** The band's pixels as an image of its own (rows are copied once; tesseract needs them contiguous). */
export function cropGrey(img: GreyImage, b: Band): GreyImage {
  const w = b.x1 - b.x0;
  const h = b.y1 - b.y0;
  if (b.x0 === 0 && w === img.width) return { width: w, height: h, data: img.data.subarray(b.y0 * img.width, b.y1 * img.width) };
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) out.set(img.data.subarray((b.y0 + y) * img.width + b.x0, (b.y0 + y) * img.width + b.x1), y * w);
  return { width: w, height: h, data: out };
}

/**
 * Joins the readings of a page's bands (top to bottom) into one reading of the page: words
 * moved to page coordinates, texts joined line by line (a blank line at a paragraph break), and
 * the confidence the mean over all words as tesseract computes it for a page.
 */
export function joinBands(plan: BandPlan, results: OcrResult[]): OcrResult {
  if (results.length === 1) return shift(results[0]!, plan.bands[0]!);
  const words: OcrWord[] = [];
  let confSum = 0;
  let confN = 0;
  let text = '';
  results.forEach((r, i) => {
    const shifted = shift(r, plan.bands[i]!);
    words.push(...(shifted.words ?? []));
    const n = r.words?.length ?? 0;
    confSum += r.confidence * n;
    confN += n;
    if (r.text) text += (text ? (plan.paragraphBreaks[i - 1] ? '\n\n' : '\n') : '') + r.text;
  });
  return { text, confidence: confN ? Math.round(confSum / confN) : 0, rotation: results[0]!.rotation, words };
}

function shift(r: OcrResult, b: Band): OcrResult {
  if (b.x0 === 0 && b.y0 === 0) return r;
  return { ...r, words: r.words?.map((w) => ({ ...w, bbox: { x0: w.bbox.x0 + b.x0, y0: w.bbox.y0 + b.y0, x1: w.bbox.x1 + b.x0, y1: w.bbox.y1 + b.y0 } })) };
}
