/**
 * Turns an uploaded image (PNG, JPEG, TIFF incl. multi-page, WebP) into grey pages for OCR and
 * barcode reading, one page at a time so a 200-page fax TIFF never sits in memory decoded.
 */
import sharp from 'sharp';
import { AppError, Invalid, UnsupportedMediaType } from '../../errors.js';
import type { GreyImage } from '../pdf/pdf-render.js';
import { sharedBytes, sharedPixels } from '../thread-pool.js';
import { inImageThread } from './image-threads.js';

/** A4 at 600 dpi is ~35 Mpx; anything far beyond that is a mistake or a decompression bomb. */
export const MAX_IMAGE_PIXELS = 100_000_000;
/** Many thousands of IFDs in a tiny TIFF is a cheap way to make us loop forever. */
export const MAX_IMAGE_PAGES = 2_000;

const SUPPORTED_FORMATS = new Set(['png', 'jpeg', 'tiff', 'webp']);

export type ImagePage = { pageNo: number; image: GreyImage; dpi?: number };
export type ImagePagesOptions = {
  maxPixels?: number;
  pages?: number[];
  /**
   * The resolution OCR needs: a single-page scan stored at a whole multiple of it or more (600
   * dpi for 300) is decoded already shrunk (JPEG shrinks while decoding), so OCR reads a quarter
   * of the pixels at no loss; `dpi` then reports the resolution delivered.
   */
  ocrDpi?: number;
};

/**
 * Number of pages in the image (1 unless it is a multi-page TIFF or WebP animation). Given a
 * file path, only the headers are read from disk.
 * @example const n = await countImagePages(upload.buffer);
 */
export async function countImagePages(bytes: Uint8Array | string, opts: { maxPixels?: number } = {}): Promise<number> {
  return (await probe(bytes, opts.maxPixels ?? MAX_IMAGE_PIXELS)).pages;
}

/**
 * Decodes the pages as 8-bit grey, upright per EXIF orientation, transparency flattened on white.
 * Throws `Invalid` 'corrupt_image' / 'image_too_large', `UnsupportedMediaType` for other formats.
 * @example for await (const { pageNo, image } of imagePages(bytes)) await ocr.recognize(image);
 */
export async function* imagePages(bytes: Uint8Array, opts: ImagePagesOptions = {}): AsyncGenerator<ImagePage> {
  const maxPixels = opts.maxPixels ?? MAX_IMAGE_PIXELS;
  const info = await probe(bytes, maxPixels);
  const pages = opts.pages ?? Array.from({ length: info.pages }, (_, i) => i + 1);
  for (const pageNo of pages) {
    if (!Number.isInteger(pageNo) || pageNo < 1 || pageNo > info.pages) {
      throw new Invalid(`Page ${pageNo} does not exist; the image has ${info.pages} page(s)`, { pageNo }, 'page_out_of_range');
    }
  }
  const shrink = opts.ocrDpi && info.dpi && info.pages === 1 ? Math.max(1, Math.floor(info.dpi / opts.ocrDpi)) : 1;
  // The file goes to the image thread once, however many pages it has.
  const file = sharedBytes(bytes);
  for (const pageNo of pages) {
    const dpi = info.dpi ? Math.round(info.dpi / shrink) : undefined;
    yield { pageNo, image: await decodePage({ bytes: file, pageNo, maxPixels, ...(shrink > 1 ? { size: info, shrink } : {}) }), ...(dpi ? { dpi } : {}) };
  }
}

/** Decodes a single page (1-based) to grey pixels. */
export async function decodeImagePage(bytes: Uint8Array, pageNo = 1, maxPixels = MAX_IMAGE_PIXELS): Promise<GreyImage> {
  const info = await probe(bytes, maxPixels);
  if (pageNo > info.pages) throw new Invalid(`Page ${pageNo} does not exist`, { pageNo }, 'page_out_of_range');
  return decodePage({ bytes, pageNo, maxPixels });
}

type Probe = { format: string; pages: number; dpi?: number; width: number; height: number; orientation?: number };

/** Reads the header only (from memory, or from a file path without reading the whole file); sizes are checked here, before any pixel is decoded. */
async function probe(bytes: Uint8Array | string, maxPixels: number): Promise<Probe> {
  const meta = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch((err: unknown) => {
      throw toImageError(err);
    });
  if (!SUPPORTED_FORMATS.has(meta.format)) {
    throw new UnsupportedMediaType(`Images of type ${meta.format} are not accepted; use PNG, JPEG or TIFF`, { format: meta.format });
  }
  const pages = meta.pages ?? 1;
  if (pages > MAX_IMAGE_PAGES) {
    throw new Invalid(`The image has ${pages} pages; at most ${MAX_IMAGE_PAGES} are accepted`, { pages }, 'image_too_large');
  }
  checkPixels(meta.width, meta.height, maxPixels);
  // A stored density below 50 is almost always a missing/placeholder value (72 is also common but plausible).
  const dpi = meta.density && meta.density >= 50 && meta.density <= 2400 ? Math.round(meta.density) : undefined;
  return { format: meta.format, pages, width: meta.width, height: meta.height, orientation: meta.orientation, ...(dpi ? { dpi } : {}) };
}

type DecodeArgs = { bytes: Uint8Array; pageNo: number; maxPixels: number; size?: Probe; shrink?: number };

/** One page decoded in an image thread (image-threads.ts), its pixels in shared memory. */
function decodePage(args: DecodeArgs): Promise<GreyImage> {
  return inImageThread<GreyImage>('decode', args);
}

/**
 * One page decoded in the calling thread (what the image threads run): 8-bit grey, upright per
 * EXIF, transparency flattened on white, shrunk by `shrink` (JPEG shrinks while decoding).
 */
export async function decodePageHere({ bytes, pageNo, maxPixels, size, shrink = 1 }: DecodeArgs): Promise<GreyImage> {
  try {
    // limitInputPixels also guards later TIFF pages, whose size the first-page probe does not cover.
    let img = sharp(bytes, {
      page: pageNo - 1,
      pages: 1,
      limitInputPixels: maxPixels,
      sequentialRead: true,
      failOn: 'error',
    });
    if (size && shrink > 1) {
      // Size after EXIF orientation (5-8 turn the page a quarter), divided by the whole factor.
      const turned = (size.orientation ?? 1) >= 5;
      const [w, h] = turned ? [size.height, size.width] : [size.width, size.height];
      img = img.resize({ width: Math.max(1, Math.round(w / shrink)), height: Math.max(1, Math.round(h / shrink)), fit: 'fill' });
    }
    const { data, info } = await img
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('b-w')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`expected 1 channel, got ${info.channels}`);
    // One copy into shared memory (sharedPixels), where the threads reading the page next (its
    // orientation, its bands, its codes) would each have made their own.
    const grey = sharedPixels(data.byteLength);
    grey.set(data);
    return { width: info.width, height: info.height, data: grey };
  } catch (err) {
    throw toImageError(err);
  }
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new Invalid(
      `The image is ${width}x${height} pixels; at most ${maxPixels} pixels per page are accepted`,
      { width, height, maxPixels },
      'image_too_large',
    );
  }
}

function toImageError(err: unknown): Error {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/exceeds pixel limit/i.test(message)) {
    return new Invalid('The image has more pixels than accepted', { reason: message }, 'image_too_large');
  }
  return new Invalid('The image is damaged or not an image', { reason: message.split('\n')[0] }, 'corrupt_image');
}

/**
 * Rotates grey pixels clockwise by a multiple of 90°; done in memory because re-encoding a page
 * for an image library costs more than the copy.
 * @example const upright = rotateGrey(scan, 180);
 */
export function rotateGrey(img: GreyImage, degrees: 0 | 90 | 180 | 270): GreyImage {
  const { width: w, height: h, data: src } = img;
  if (degrees === 0) return img;
  const out = new Uint8Array(src.length);
  if (degrees === 180) {
    for (let i = 0, j = src.length - 1; i < src.length; i++, j--) out[j] = src[i]!;
    return { width: w, height: h, data: out };
  }
  // Output is h wide and w high. Walk 64x64 tiles so both the reads and the scattered
  // writes stay in cache (a plain row walk is ~3x slower on a 300 dpi page).
  const T = 64;
  for (let ty = 0; ty < h; ty += T) {
    for (let tx = 0; tx < w; tx += T) {
      const yEnd = Math.min(h, ty + T);
      const xEnd = Math.min(w, tx + T);
      for (let y = ty; y < yEnd; y++) {
        const row = y * w;
        if (degrees === 90) {
          const col = h - 1 - y;
          for (let x = tx; x < xEnd; x++) out[x * h + col] = src[row + x]!;
        } else {
          for (let x = tx; x < xEnd; x++) out[(w - 1 - x) * h + y] = src[row + x]!;
        }
      }
    }
  }
  return { width: h, height: w, data: out };
}

/**
 * 3x3 median filter: removes the 1-2 px specks of a dusty scanner glass while keeping 300 dpi
 * strokes. Used as an OCR retry on noisy pages only, since it thins strokes on low-dpi scans.
 */
export function despeckle(img: GreyImage): GreyImage {
  const { width: w, height: h, data: s } = img;
  const out = new Uint8Array(s);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      let p0 = s[i - w - 1]!, p1 = s[i - w]!, p2 = s[i - w + 1]!;
      let p3 = s[i - 1]!, p4 = s[i]!, p5 = s[i + 1]!;
      let p6 = s[i + w - 1]!, p7 = s[i + w]!, p8 = s[i + w + 1]!;
      let t: number;
      // Paeth's 19-exchange median-of-9 network: no allocation, no sort() call per pixel.
      if (p1 > p2) { t = p1; p1 = p2; p2 = t; } if (p4 > p5) { t = p4; p4 = p5; p5 = t; }
      if (p7 > p8) { t = p7; p7 = p8; p8 = t; } if (p0 > p1) { t = p0; p0 = p1; p1 = t; }
      if (p3 > p4) { t = p3; p3 = p4; p4 = t; } if (p6 > p7) { t = p6; p6 = p7; p7 = t; }
      if (p1 > p2) { t = p1; p1 = p2; p2 = t; } if (p4 > p5) { t = p4; p4 = p5; p5 = t; }
      if (p7 > p8) { t = p7; p7 = p8; p8 = t; } if (p0 > p3) { t = p0; p0 = p3; p3 = t; }
      if (p5 > p8) { t = p5; p5 = p8; p8 = t; } if (p4 > p7) { t = p4; p4 = p7; p7 = t; }
      if (p3 > p6) { t = p3; p3 = p6; p6 = t; } if (p1 > p4) { t = p1; p1 = p4; p4 = t; }
      if (p2 > p5) { t = p2; p2 = p5; p5 = t; } if (p4 > p7) { t = p4; p4 = p7; p7 = t; }
      if (p4 > p2) { t = p4; p4 = p2; p2 = t; } if (p6 > p4) { t = p6; p6 = p4; p4 = t; }
      if (p4 > p2) { t = p4; p4 = p2; p2 = t; }
      out[i] = p4;
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Grey pixels scaled to `width` (aspect kept) by libvips in an image thread (image-threads.ts),
 * the result in shared memory: for reading codes beside OCR, where a synchronous scale would hold
 * up the OCR workers' messages.
 */
export function resizeGrey(image: GreyImage, width: number): Promise<GreyImage> {
  return inImageThread<GreyImage>('resize', { image: { ...image, data: sharedBytes(image.data) }, width });
}

/** resizeGrey in the calling thread (what the image threads run). */
export async function resizeGreyHere({ image: img, width }: { image: GreyImage; width: number }): Promise<GreyImage> {
  const { data, info } = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 1 } })
    .resize({ width: Math.max(1, Math.round(width)) })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  // Into shared memory, as decoded pages are: the caller and the reader thread take it without a copy.
  const out = sharedPixels(data.byteLength);
  out.set(data);
  return { width: info.width, height: info.height, data: out };
}

/** Box-filter downscale by an integer factor (a cheap, alias-free preview for page analysis). */
export function downscaleGrey(img: GreyImage, factor: number): GreyImage {
  const f = Math.max(1, Math.floor(factor));
  if (f === 1) return img;
  const w = Math.floor(img.width / f);
  const h = Math.floor(img.height / f);
  const out = new Uint8Array(w * h);
  const src = img.data;
  if (f === 2) {
    // The common case (300 dpi A4 to 150 dpi) unrolled: 3x faster than the general loop.
    for (let y = 0; y < h; y++) {
      let a = 2 * y * img.width;
      let b = a + img.width;
      const row = y * w;
      for (let x = 0; x < w; x++, a += 2, b += 2) out[row + x] = (src[a]! + src[a + 1]! + src[b]! + src[b + 1]!) >> 2;
    }
    return { width: w, height: h, data: out };
  }
  const area = f * f;
  const acc = new Uint32Array(w);
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    // Sum f source rows into one accumulator row: sequential reads, no per-pixel inner loops.
    for (let yy = y * f; yy < y * f + f; yy++) {
      let i = yy * img.width;
      for (let x = 0; x < w; x++) {
        let sum = 0;
        for (let k = 0; k < f; k++) sum += src[i++]!;
        acc[x]! += sum;
      }
    }
    const row = y * w;
    for (let x = 0; x < w; x++) out[row + x] = (acc[x]! / area) | 0;
  }
  return { width: w, height: h, data: out };
}
