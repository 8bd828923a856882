/**
 * Makes clean barcode rasters look like what comes off a scanner: skewed, turned, speckled, or
 * scanned at a lower resolution. Plain pixel loops on GreyImage, seeded so tests are repeatable.
 */
import sharp from 'sharp';
import type { GreyImage } from '../../src/adapters/pdf/pdf-render.js';

/** Decodes any image sharp reads (PNG from bwip-js included) to grey pixels on white. */
export async function pngToGrey(png: Buffer | Uint8Array): Promise<GreyImage> {
  const { data, info } = await sharp(png)
    .flatten({ background: '#ffffff' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`expected 1 channel, got ${info.channels}`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Writes grey pixels as a PNG file, to look at what a test fed the reader. */
export async function saveGrey(image: GreyImage, file: string): Promise<void> {
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } }).png().toFile(file);
}

/** A white page of `width` x `height` with `image` pasted at (x, y). */
export function placeOnPage(image: GreyImage, width: number, height: number, x: number, y: number): GreyImage {
  const out = new Uint8Array(width * height).fill(255);
  for (let row = 0; row < image.height; row++) {
    const ty = y + row;
    if (ty < 0 || ty >= height) continue;
    for (let col = 0; col < image.width; col++) {
      const tx = x + col;
      if (tx >= 0 && tx < width) out[ty * width + tx] = image.data[row * image.width + col]!;
    }
  }
  return { width, height, data: out };
}

/**
 * Rotates clockwise by any angle around the centre; the canvas grows to hold the whole image and
 * the corners are white. Right angles are exact; other angles use bilinear sampling, like a scan.
 */
export function rotate(image: GreyImage, degrees: number): GreyImage {
  const turns = (((degrees % 360) + 360) % 360) / 90;
  if (Number.isInteger(turns)) return rotateRight(image, turns);
  const { width, height, data } = image;
  const rad = (degrees * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  const w2 = Math.ceil(Math.abs(width * cos) + Math.abs(height * sin));
  const h2 = Math.ceil(Math.abs(width * sin) + Math.abs(height * cos));
  const out = new Uint8Array(w2 * h2);
  const cx = width / 2;
  const cy = height / 2;
  const cx2 = w2 / 2;
  const cy2 = h2 / 2;
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x >= width || y >= height ? 255 : data[y * width + x]!);
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      // Inverse mapping: where in the source does this target pixel come from?
      const dx = x + 0.5 - cx2;
      const dy = y + 0.5 - cy2;
      const sx = dx * cos + dy * sin + cx - 0.5;
      const sy = -dx * sin + dy * cos + cy - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
      const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
      out[y * w2 + x] = top * (1 - fy) + bottom * fy + 0.5;
    }
  }
  return { width: w2, height: h2, data: out };
}

function rotateRight(image: GreyImage, turns: number): GreyImage {
  let img = image;
  for (let t = 0; t < turns; t++) {
    const { width, height, data } = img;
    const out = new Uint8Array(width * height);
    // Clockwise: source (x, y) goes to (height - 1 - y, x) in a height x width image.
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) out[x * height + (height - 1 - y)] = data[y * width + x]!;
    }
    img = { width: height, height: width, data: out };
  }
  return img;
}

/**
 * Scanner dirt: `speckle` is the fraction of pixels flipped to black or white (salt and pepper),
 * `sigma` the standard deviation of added Gaussian grain in grey levels.
 */
export function addNoise(image: GreyImage, opts: { speckle?: number; sigma?: number; seed?: number }): GreyImage {
  const rand = seeded(opts.seed ?? 1);
  const speckle = opts.speckle ?? 0;
  const sigma = opts.sigma ?? 0;
  const out = new Uint8Array(image.data);
  for (let i = 0; i < out.length; i++) {
    let v = out[i]!;
    if (sigma > 0) {
      // Box-Muller; one normal draw per pixel is plenty for test images.
      const n = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
      v = Math.min(255, Math.max(0, Math.round(v + n * sigma)));
    }
    if (speckle > 0 && rand() < speckle) v = rand() < 0.5 ? 0 : 255;
    out[i] = v;
  }
  return { width: image.width, height: image.height, data: out };
}

/** Area-averaging downsample by a whole factor: 300 dpi with factor 2 becomes a 150 dpi scan. */
export function downsample(image: GreyImage, factor: number): GreyImage {
  const { width, height, data } = image;
  const w2 = Math.floor(width / factor);
  const h2 = Math.floor(height / factor);
  const out = new Uint8Array(w2 * h2);
  const area = factor * factor;
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        const row = (y * factor + dy) * width + x * factor;
        for (let dx = 0; dx < factor; dx++) sum += data[row + dx]!;
      }
      out[y * w2 + x] = Math.round(sum / area);
    }
  }
  return { width: w2, height: h2, data: out };
}

/**
 * A page of fake typescript: lines of dark "words" of varying width. Bar-like on purpose, so a
 * reader that hallucinates codes out of text fails the no-barcode test.
 */
export function textLikePage(width: number, height: number, seed = 7): GreyImage {
  const rand = seeded(seed);
  const out = new Uint8Array(width * height).fill(255);
  const margin = Math.round(width * 0.1);
  for (let top = margin; top + 24 < height - margin; top += 40) {
    let x = margin;
    while (x < width - margin) {
      const word = 20 + Math.floor(rand() * 120);
      const end = Math.min(width - margin, x + word);
      for (let y = top; y < top + 24; y++) {
        for (let xx = x; xx < end; xx++) {
          // Letters: vertical strokes of 2-4 px with gaps, not solid blocks.
          if ((xx * 7 + Math.floor(rand() * 3)) % 6 < 3) out[y * width + xx] = 30;
        }
      }
      x = end + 12 + Math.floor(rand() * 10);
    }
  }
  return { width, height, data: out };
}

/** Mulberry32: tiny, seedable, good enough for noise. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
