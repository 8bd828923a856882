/**
 * The pixel work around an OCR pass, in worker threads (src/adapters/thread-pool.ts): guessing
 * which way up a page is, turning and despeckling it, planning its bands and writing each band as
 * the PGM tesseract reads. JavaScript loops over every pixel: ~0.1-0.3 s a 300 dpi page that held
 * every request of the process while pages were read (the OCR itself runs in tesseract's own
 * threads or processes).
 */
import type { GreyImage } from '../pdf/pdf-render.js';
import { movableImage, ThreadPool } from '../thread-pool.js';
import type { OrientationGuess, Rotation } from './ocr-engine.js';
import type { BandPlan } from './page-bands.js';

/** As many threads as the other helpers (helperThreads): OCR's workers take the rest of the cores. */
const pixelThreads = new ThreadPool(new URL('./page-pixels.worker.js', import.meta.url), { background: true });

/** Pixel work that has not finished in this long is stuck: its thread is ended. An A4 page at 600 dpi, turned and despeckled, takes ~1 s. */
const PIXELS_TIMEOUT_MS = 120_000;

function call<T>(op: string, page: GreyImage, args: Record<string, unknown> = {}): Promise<T> {
  const { image, transfer } = movableImage(page);
  return pixelThreads.run<T>(op, { image, ...args }, { transfer, timeoutMs: PIXELS_TIMEOUT_MS });
}

/**
 * guessTextOrientation (ocr-engine.ts) in a pixel thread.
 * @example const { rotation } = await guessOrientation(page);
 */
export function guessOrientation(image: GreyImage): Promise<OrientationGuess> {
  return call('orientation', image);
}

/**
 * The page turned by `rotation`, despeckled when `denoise`, planned in up to `maxBands` bands
 * (planBands, page-bands.ts), each band as a binary PGM (toPgm): what one tesseract pass reads.
 * @example const { plan, pgms } = await prepareBands(page, 0, false, 2);
 */
export async function prepareBands(image: GreyImage, rotation: Rotation, denoise: boolean, maxBands: number): Promise<{ plan: BandPlan; pgms: Buffer[] }> {
  const { plan, pgms } = await call<{ plan: BandPlan; pgms: Uint8Array[] }>('bands', image, { rotation, denoise, maxBands });
  return { plan, pgms: pgms.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)) };
}

/**
 * The whole page turned by `rotation`, despeckled when `denoise`, as a binary PGM: what one pass
 * of the native `tesseract` CLI reads.
 * @example await writeFile(input, await preparePage(page, 180, false));
 */
export async function preparePage(image: GreyImage, rotation: Rotation, denoise: boolean): Promise<Buffer> {
  const pgm = await call<Uint8Array>('page', image, { rotation, denoise });
  return Buffer.from(pgm.buffer, pgm.byteOffset, pgm.byteLength);
}
