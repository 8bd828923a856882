/**
 * The OCR contract the pipeline depends on, plus engine-neutral page analysis (which way up is
 * the text) that any engine behind it can use. The tesseract.js engine is one implementation.
 */
import { downscaleGrey } from '../image/image-pages.js';
import { otsuThreshold } from '../image/otsu.js';
import type { GreyImage } from '../pdf/pdf-render.js';

export type Rotation = 0 | 90 | 180 | 270;
export type OcrBox = { x0: number; y0: number; x1: number; y1: number };
export type OcrWord = { text: string; confidence: number; bbox: OcrBox };

export type OcrResult = {
  text: string;
  /** Mean word confidence, 0-100. */
  confidence: number;
  /**
   * Clockwise rotation applied to the input to read it upright: `rotateGrey(input, rotation)`
   * is the page the text and word boxes refer to.
   */
  rotation: Rotation;
  /** Word boxes in pixels of the upright page. */
  words?: OcrWord[];
  /** What reading the page cost: the pixel orientation guess, the OCR passes and their count. */
  timings?: OcrTimings;
};

/** `bands`: how many pieces the kept pass was read in side by side (1: the page in one piece). */
export type OcrTimings = { orientationMs: number; ocrMs: number; passes: number; bands?: number };

/**
 * `signal` stops the page at once, a pass mid-way included (a tesseract.js worker is then
 * restarted: WebAssembly cannot be interrupted). `until` stops it between passes: a pass
 * already running is finished and its result dropped, which costs far less than a restart
 * when the page is wanted no longer (a page found to be a coupon while OCR reads it).
 */
export type OcrOptions = { signal?: AbortSignal; until?: AbortSignal };

/** An OCR engine; implementations pool their workers, so call `recognize` concurrently. */
export interface OcrEngine {
  recognize(image: GreyImage, opts?: OcrOptions): Promise<OcrResult>;
  /** How many pages it can work on at once. */
  readonly workers: number;
  terminate(): Promise<void>;
}

export type OrientationGuess = {
  /** Clockwise rotation that makes the text upright. */
  rotation: Rotation;
  /** 0..1: how clearly the text runs horizontally vs vertically after that rotation. */
  lineCertainty: number;
  /** 0..1: how clearly ascenders (b d h k l, capitals) outweigh descenders (g j p q y). */
  flipCertainty: number;
  /** Glyph-sized ink blobs found; near zero on a blank page. */
  glyphs: number;
};

/**
 * Guesses which way up Latin text is from pixels alone (~30-80 ms a page), because tesseract.js
 * cannot detect orientation without the OSD model the data packages lack. Two signals:
 * a glyph's nearest neighbour sits beside it along the line (horizontal vs vertical lines; the
 * median neighbour angle also gives the skew), and Latin script has far more ink above the
 * x-height band than below the baseline (upright vs upside down). ALL-CAPS text has no such
 * asymmetry, so `flipCertainty` is low there and callers should verify with OCR.
 * @example const { rotation } = guessTextOrientation(page); const upright = rotateGrey(page, rotation);
 */
export function guessTextOrientation(img: GreyImage): OrientationGuess {
  // About 150 dpi for an A4 page: enough to resolve an x-height, cheap to scan.
  const small = downscaleGrey(img, Math.ceil(Math.max(img.width, img.height) / 1800));
  const { width: w, height: h } = small;
  const glyphs = keepGlyphs(components(binarize(small), w, h), h);
  if (glyphs.length < 4) return { rotation: 0, lineCertainty: 0, flipCertainty: 0, glyphs: glyphs.length };
  const angles = neighbourAngles(glyphs);
  const horizontalVotes = angles.filter((a) => Math.abs(a) < 45);
  const verticalVotes = angles.filter((a) => Math.abs(a) >= 45).map((a) => (a > 0 ? 90 - a : -90 - a));
  const horizontal = horizontalVotes.length >= verticalVotes.length;
  const lineCertainty = Math.abs(horizontalVotes.length - verticalVotes.length) / Math.max(1, angles.length);
  const skew = median((horizontal ? horizontalVotes : verticalVotes).filter((a) => Math.abs(a) < 20));
  const { before, after } = ascenderBalance(glyphs, horizontal, (skew * Math.PI) / 180);
  const flipCertainty = before + after > 0 ? Math.abs(before - after) / (before + after) : 0;
  // "before" is above (rows) or left (cols). Ascenders above: upright. Ascenders on the right:
  // the page was turned 90° clockwise, so turning it 270° more brings it upright.
  let rotation: Rotation;
  if (horizontal) rotation = before >= after ? 0 : 180;
  else rotation = after >= before ? 270 : 90;
  return { rotation, lineCertainty, flipCertainty, glyphs: glyphs.length };
}

/** Otsu threshold; returns 1 for ink. Scans are usually bimodal, so one global cut is enough here. */
function binarize(img: GreyImage): Uint8Array {
  const data = img.data;
  const threshold = otsuThreshold(data);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! <= threshold ? 1 : 0;
  return out;
}

type Comp = { n: number; x0: number; y0: number; x1: number; y1: number; cx: number; cy: number };

/** 8-connected components by union-find. */
function components(ink: Uint8Array, w: number, h: number): Comp[] {
  const labels = new Int32Array(w * h);
  const parent: number[] = [0];
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]!]!;
    return a;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!ink[i]) continue;
      let l = 0;
      // Already-labelled 8-neighbours: left, up-left, up, up-right.
      for (let k = 0; k < 4; k++) {
        const n =
          k === 0 ? (x > 0 ? labels[i - 1]! : 0) : y === 0 ? 0 : k === 1 ? (x > 0 ? labels[i - w - 1]! : 0) : k === 2 ? labels[i - w]! : x < w - 1 ? labels[i - w + 1]! : 0;
        if (!n) continue;
        const r = find(n);
        if (!l) l = r;
        else if (r !== l) {
          parent[Math.max(r, l)] = Math.min(r, l);
          l = Math.min(r, l);
        }
      }
      if (!l) parent.push((l = parent.length));
      labels[i] = l;
    }
  }
  const byRoot = new Map<number, Comp>();
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    const r = find(labels[i]!);
    const x = i % w;
    const y = (i - x) / w;
    let c = byRoot.get(r);
    if (!c) byRoot.set(r, (c = { n: 0, x0: x, y0: y, x1: x, y1: y, cx: 0, cy: 0 }));
    c.n++;
    c.cx += x;
    c.cy += y;
    if (x < c.x0) c.x0 = x;
    if (x > c.x1) c.x1 = x;
    if (y > c.y1) c.y1 = y;
  }
  return [...byRoot.values()].map((c) => ({ ...c, cx: c.cx / c.n, cy: c.cy / c.n }));
}

/** Glyph-sized components: drops specks, rules, pictures and frames. */
function keepGlyphs(comps: Comp[], pageHeight: number): Comp[] {
  const sized = comps.filter((c) => c.n >= 4 && Math.max(c.x1 - c.x0, c.y1 - c.y0) < pageHeight / 10);
  const typical = glyphSize(sized);
  return sized.filter((c) => {
    const size = Math.max(c.x1 - c.x0, c.y1 - c.y0) + 1;
    return size >= typical / 3 && size <= typical * 4;
  });
}

/** Direction to each glyph's nearest neighbour, in degrees folded to (-90, 90]. */
function neighbourAngles(glyphs: Comp[]): number[] {
  const cell = Math.max(4, 3 * glyphSize(glyphs));
  const grid = new Map<string, Comp[]>();
  const key = (gx: number, gy: number) => `${gx},${gy}`;
  for (const c of glyphs) {
    const k = key(Math.floor(c.cx / cell), Math.floor(c.cy / cell));
    grid.get(k)?.push(c) ?? grid.set(k, [c]);
  }
  const angles: number[] = [];
  for (const c of glyphs) {
    const gx = Math.floor(c.cx / cell);
    const gy = Math.floor(c.cy / cell);
    let best: Comp | undefined;
    let bestD = Infinity;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        for (const o of grid.get(key(gx + dx, gy + dy)) ?? []) {
          const d = (o.cx - c.cx) ** 2 + (o.cy - c.cy) ** 2;
          if (o !== c && d < bestD) (bestD = d), (best = o);
        }
      }
    }
    if (!best) continue;
    let a = (Math.atan2(best.cy - c.cy, best.cx - c.cx) * 180) / Math.PI;
    if (a > 90) a -= 180;
    if (a <= -90) a += 180;
    angles.push(a);
  }
  return angles;
}

/**
 * Counts glyphs reaching above the x-height band of their neighbours on the same line
 * (ascenders, capitals, digits) and glyphs reaching below it (descenders). Coordinates are
 * de-skewed first so neighbours a few glyphs apart share a baseline.
 */
function ascenderBalance(glyphs: Comp[], horizontal: boolean, skew: number): { before: number; after: number } {
  const t = Math.tan(skew);
  // Into a frame where lines run along x and "before" (above or left) is smaller v.
  const g = glyphs.map((c) => {
    const [u, v0, v1] = horizontal ? [c.cx, c.y0 - c.cx * t, c.y1 - c.cx * t] : [c.cy, c.x0 - c.cy * t, c.x1 - c.cy * t];
    return { u, v0, v1, v: (v0 + v1) / 2 };
  });
  const size = glyphSize(glyphs);
  g.sort((a, b) => a.u - b.u);
  let before = 0;
  let after = 0;
  for (let i = 0; i < g.length; i++) {
    const me = g[i]!;
    const tops: number[] = [];
    const bottoms: number[] = [];
    // Neighbours: within a few glyphs along the line, and centred within half a glyph across it.
    for (let j = i - 1; j >= 0 && me.u - g[j]!.u < size * 5; j--) if (Math.abs(g[j]!.v - me.v) < size * 0.6) tops.push(g[j]!.v0), bottoms.push(g[j]!.v1);
    for (let j = i + 1; j < g.length && g[j]!.u - me.u < size * 5; j++) if (Math.abs(g[j]!.v - me.v) < size * 0.6) tops.push(g[j]!.v0), bottoms.push(g[j]!.v1);
    if (tops.length < 3) continue;
    const top = median(tops);
    const bottom = median(bottoms);
    const margin = Math.max(1, (bottom - top) * 0.25);
    if (me.v0 < top - margin && me.v1 <= bottom + margin) before++;
    else if (me.v1 > bottom + margin && me.v0 >= top - margin) after++;
  }
  return { before, after };
}

/** Typical glyph size in pixels: the median weighted by ink, so a cloud of specks cannot drag it down. */
function glyphSize(comps: Comp[]): number {
  const sized = comps.map((c) => ({ s: Math.max(c.x1 - c.x0, c.y1 - c.y0) + 1, n: c.n })).sort((a, b) => a.s - b.s);
  const half = sized.reduce((sum, c) => sum + c.n, 0) / 2;
  let acc = 0;
  for (const c of sized) if ((acc += c.n) >= half) return c.s;
  return 0;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
