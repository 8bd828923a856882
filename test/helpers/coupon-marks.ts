import type { GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import { tickBoxMm } from '../../src/domain/mailing.js';

const px = (mm: number, dpi: number) => Math.round((mm / 25.4) * dpi);

/** A pen cross in tick box `box` of a page rendered at `dpi`: two 0.4 mm strokes, a little off-centre like a hand makes it. */
export function tick(img: GreyImage, dpi: number, box: number): GreyImage {
  const b = tickBoxMm(box);
  const out = new Uint8Array(img.data);
  const half = Math.max(1, px(0.2, dpi));
  const x0 = px(b.x + 1.3, dpi);
  const y0 = px(b.y + 0.9, dpi);
  const s = px(b.size - 1.8, dpi);
  for (let i = 0; i <= s * 2; i++) {
    const t = i / 2;
    for (const [x, y] of [[x0 + t, y0 + t], [x0 + t, y0 + s - t]]) {
      for (let dx = -half; dx <= half; dx++) for (let dy = -half; dy <= half; dy++) out[Math.round(y + dy) * img.width + Math.round(x + dx)] = 25;
    }
  }
  return { ...img, data: out };
}
