/**
 * A pixel thread of page-pixels.ts: orientation guesses, band plans and whole pages as PGM, off the
 * service's event loop.
 */
import { despeckle, rotateGrey } from '../image/image-pages.js';
import type { GreyImage } from '../pdf/pdf-render.js';
import { serveThread } from '../thread-pool.js';
import { guessTextOrientation, type Rotation } from './ocr-engine.js';
import { cropGrey, planBands } from './page-bands.js';
import { toPgm } from './pgm.js';

serveThread({
  orientation({ image }: { image: GreyImage }) {
    return { value: guessTextOrientation(image) };
  },
  page({ image, rotation, denoise }: { image: GreyImage; rotation: Rotation; denoise: boolean }) {
    let page = rotateGrey(image, rotation);
    if (denoise) page = despeckle(page);
    const pgm = toPgm(page);
    const whole = pgm.byteOffset === 0 && pgm.byteLength === pgm.buffer.byteLength ? pgm : new Uint8Array(pgm);
    return { value: whole, transfer: [whole.buffer as ArrayBuffer] };
  },
  bands({ image, rotation, denoise, maxBands }: { image: GreyImage; rotation: Rotation; denoise: boolean; maxBands: number }) {
    let page = rotateGrey(image, rotation);
    if (denoise) page = despeckle(page);
    const plan = planBands(page, maxBands);
    // Each PGM is a buffer of its own (Buffer.concat of a page-sized band never comes from the small-buffer pool), moved back whole.
    const pgms = plan.bands.map((b) => {
      const pgm = toPgm(cropGrey(page, b));
      return pgm.byteOffset === 0 && pgm.byteLength === pgm.buffer.byteLength ? pgm : new Uint8Array(pgm);
    });
    return { value: { plan, pgms }, transfer: pgms.map((p) => p.buffer as ArrayBuffer) };
  },
});
