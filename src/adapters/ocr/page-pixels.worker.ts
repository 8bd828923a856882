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
    // In shared memory, not moved: see toPgm.
    return { value: toPgm(page, { shared: true }) };
  },
  bands({ image, rotation, denoise, maxBands }: { image: GreyImage; rotation: Rotation; denoise: boolean; maxBands: number }) {
    let page = rotateGrey(image, rotation);
    if (denoise) page = despeckle(page);
    const plan = planBands(page, maxBands);
    // In shared memory, not moved: see toPgm.
    return { value: { plan, pgms: plan.bands.map((b) => toPgm(cropGrey(page, b), { shared: true })) } };
  },
});
