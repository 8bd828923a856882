/**
 * The engine-neutral policy for reading one page: which way up to read it, when a second
 * reading pays (the other way up, a despeckled copy) and which reading to keep. Each engine
 * supplies only a `pass` (one recognition of one rotated, optionally despeckled image), so the
 * tesseract.js and native engines read pages the same way and compare like for like.
 */
import type { GreyImage } from '../pdf/pdf-render.js';
import type { OcrResult, Rotation } from './ocr-engine.js';
import { guessOrientation } from './page-pixels.js';

/** One recognition pass of `image` turned clockwise by `rotation`, despeckled first if `denoise`. */
export type OcrPass = (image: GreyImage, rotation: Rotation, denoise: boolean) => Promise<OcrResult>;

export type PageReadingLogger = { debug?(obj: object, msg?: string): void };

/** Below this mean confidence a page may be the wrong way up. */
const POOR = 70;
/** Below this it is worth a despeckled second reading (clean print scores 90+). */
const NOISY = 80;
/** Upside-down Latin reads at 30-50; an upright but noisy page at 55-70. */
const HOPELESS = 50;
/** Pixel analysis this sure about which way is up is trusted over a middling OCR score. */
const SURE_FLIP = 0.3;
const SURE_LINES = 0.5;
/** With fewer glyphs than this (blank or near-blank page) retries cannot pay off. */
const MIN_GLYPHS_FOR_RETRY = 20;

function turn(r: Rotation, by: 90 | 180 | 270): Rotation {
  return ((r + by) % 360) as Rotation;
}

/**
 * Reads upright per the pixel guess (no OCR pass spent on orientation); if that reads poorly,
 * tries the other way up (and the sideways ways when the line direction was unclear), then a
 * despeckled copy, keeping the best-scoring reading. The result carries what it cost.
 * @example const r = await readPage((img, rot, dn) => onePass(img, rot, dn), page);
 */
export async function readPage(pass: OcrPass, image: GreyImage, log?: PageReadingLogger): Promise<OcrResult> {
  const t0 = performance.now();
  // The guess runs in a pixel thread (page-pixels.ts): the event loop goes on meanwhile.
  const guess = await guessOrientation(image);
  const orientationMs = performance.now() - t0;
  let passes = 0;
  const counted: OcrPass = (img, rotation, denoise) => (passes++, pass(img, rotation, denoise));
  const done = (r: OcrResult): OcrResult => ({ ...r, timings: { orientationMs, ocrMs: performance.now() - t0 - orientationMs, passes, ...(r.timings?.bands ? { bands: r.timings.bands } : {}) } });

  let best = await counted(image, guess.rotation, false);
  if (guess.glyphs < MIN_GLYPHS_FOR_RETRY) return done(best);
  if (best.confidence < POOR && (guess.flipCertainty < SURE_FLIP || best.confidence < HOPELESS)) {
    const tries = [turn(guess.rotation, 180)];
    if (guess.lineCertainty < SURE_LINES) tries.push(turn(guess.rotation, 90), turn(guess.rotation, 270));
    for (const rotation of tries) {
      const r = await counted(image, rotation, false);
      log?.debug?.({ rotation, confidence: r.confidence, was: best.confidence }, 'ocr orientation retry');
      if (r.confidence > best.confidence) best = r;
      if (best.confidence >= POOR) break;
    }
  }
  if (best.confidence >= NOISY) return done(best);
  const clean = await counted(image, best.rotation, true);
  log?.debug?.({ confidence: clean.confidence, was: best.confidence }, 'ocr despeckle retry');
  return done(clean.confidence > best.confidence ? clean : best);
}
