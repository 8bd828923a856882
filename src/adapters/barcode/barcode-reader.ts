/**
 * Reads barcodes from grey pixels with zxing-wasm (ZXing-C++), in a worker thread
 * (barcode-reader.worker.ts, src/adapters/thread-pool.ts): one ZXing pass over a 300 dpi page is
 * 0.1-0.5 s of WebAssembly that would otherwise hold every request of the process. The
 * WebAssembly binary comes from the installed package, never from the CDN the library defaults
 * to, and is instantiated once per thread. A first pass relies on ZXing's own tryHarder /
 * tryRotate / tryDownscale; only when it finds too little do we spend time on retries that help scans ZXing alone gives up on: upscaling
 * (low-dpi scans), a median filter plus global threshold (speckle noise).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { prepareZXingModule, readBarcodes, ZXING_WASM_SHA256 } from 'zxing-wasm/reader';
import type { ReaderOptions, ReadResult } from 'zxing-wasm/reader';
import type { GreyImage } from '../pdf/pdf-render.js';
import { movableImage, ThreadPool } from '../thread-pool.js';
import { toPgm } from '../ocr/pgm.js';

export type { GreyImage };

export type BarcodeFormatName = 'Code128' | 'DataMatrix' | 'QRCode';
export const BARCODE_FORMATS: readonly BarcodeFormatName[] = ['Code128', 'DataMatrix', 'QRCode'];

export type Point = { x: number; y: number };
/** Corners of the symbol in the pixel coordinates of the image that was passed in. */
export type BarcodePosition = { topLeft: Point; topRight: Point; bottomRight: Point; bottomLeft: Point };

export type BarcodeHit = {
  text: string;
  format: string;
  position?: BarcodePosition;
  /** Which pass found it: 'direct', 'upscaled' or 'cleaned'; useful when tuning scans. */
  pass: ReadPass;
};

export type ReadPass = 'direct' | 'upscaled' | 'cleaned';

export type ReadOptions = {
  /** Symbologies to look for; default all three the scheme and the labels use. */
  formats?: BarcodeFormatName[];
  /**
   * Keep trying the slower passes until at least this many distinct codes are found (default 1).
   * Set it to the number of labels on a sheet to verify a print.
   */
  expect?: number;
  /**
   * Run the slower retry passes when the first finds too little (default true). Pass false for
   * bulk scanning where most pages carry no code: a 300 dpi A4 page then costs one ZXing pass
   * (~0.5 s) instead of up to three.
   */
  retry?: boolean;
};

export type BarcodeReader = {
  read(image: GreyImage, opts?: ReadOptions): Promise<BarcodeHit[]>;
};

/** Upscaling beyond this many pixels costs more memory (4 bytes each as RGBA) than it can win. */
const MAX_UPSCALED_PIXELS = 36_000_000;
/** Below this short side a page is probably a low-dpi scan or a crop, where 2x upscaling helps. */
const UPSCALE_BELOW_SHORT_SIDE = 2000;

const BASE_OPTIONS: ReaderOptions = {
  tryHarder: true,
  tryRotate: true,
  tryDownscale: true,
  // Printed labels are never light-on-dark; skipping the inverted pass cuts ~40% off an empty page.
  tryInvert: false,
  maxNumberOfSymbols: 255,
  textMode: 'Plain',
};

let zxingReady: Promise<void> | undefined;

/** Instantiates the zxing module from the package's own .wasm file, once; a failure is retried on the next call. */
function loadZxing(): Promise<void> {
  zxingReady ??= (async () => {
    const wasmPath = createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
    const bytes = await readFile(wasmPath);
    // A wasm from another version would fail in obscure ways inside the bindings; fail clearly instead.
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== ZXING_WASM_SHA256) throw new Error(`zxing wasm at ${wasmPath} does not match the zxing-wasm bindings`);
    const wasmBinary = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    // With wasmBinary set, the Emscripten loader neither fetches (CDN) nor calls locateFile.
    await prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true });
  })().catch((err: unknown) => {
    zxingReady = undefined;
    throw err;
  });
  return zxingReady;
}

/** Threads reading codes, as many as the other helpers (helperThreads): OCR's workers take the other cores. */
const readerThreads = new ThreadPool(new URL('./barcode-reader.worker.js', import.meta.url), { background: true });

/** A read that takes this long is stuck in ZXing: its thread is ended. Every pass over an A3 page at 300 dpi takes ~1.5 s. */
const READ_TIMEOUT_MS = 120_000;

/**
 * Creates a reader; its reads run in the reader threads, where the zxing module is loaded once.
 *
 *     const reader = createBarcodeReader();
 *     const hits = await reader.read(await renderPdfPage(pdf, 1, 300), { formats: ['Code128'] });
 */
export function createBarcodeReader(): BarcodeReader {
  return {
    async read(page, opts = {}) {
      checkImage(page);
      const { image, transfer } = movableImage(page);
      return readerThreads.run<BarcodeHit[]>('read', { image, opts }, { transfer, timeoutMs: READ_TIMEOUT_MS });
    },
  };
}

/** The reader itself, in the thread that calls it: what the reader threads run. */
export function createReaderInThisThread(): BarcodeReader {
  return {
    async read(image, opts = {}) {
      checkImage(image);
      await loadZxing();
      const formats = opts.formats ?? [...BARCODE_FORMATS];
      const expect = Math.max(1, opts.expect ?? 1);
      const found: BarcodeHit[] = [];
      type Input = { image: GreyImage; scale: number } | undefined;
      const passes: { pass: ReadPass; make: () => Input | Promise<Input> }[] = [
        { pass: 'direct', make: () => ({ image, scale: 1 }) },
      ];
      if (opts.retry !== false) {
        passes.push(
          { pass: 'upscaled', make: () => upscaledForRetry(image) },
          { pass: 'cleaned', make: async () => ({ image: await cleanForRetry(image), scale: 1 }) },
        );
      }
      for (const { pass, make } of passes) {
        if (found.length >= expect) break;
        const input = await make();
        if (!input) continue;
        for (const result of await readGrey(input.image, formats)) {
          const hit = toHit(result, pass, input.scale);
          if (!found.some((seen) => sameSymbol(seen, hit))) found.push(hit);
        }
      }
      return found;
    },
  };
}

/** Cleared when the wasm build turns out not to decode PGM; then grey goes in as RGBA. */
let pgmInput = true;

async function readGrey(image: GreyImage, formats: BarcodeFormatName[]): Promise<ReadResult[]> {
  const options: ReaderOptions = { ...BASE_OPTIONS, formats };
  if (pgmInput) {
    // A binary PGM is the grey bytes behind a short text header, decoded by the stb_image inside the
    // wasm: a quarter of the memory of RGBA and ~130 ms less per 300 dpi page than the ImageData path.
    const results = await readBarcodes(toPgm(image), options);
    if (!results.some((r) => !r.isValid && /load image/i.test(r.error))) return results.filter((r) => r.isValid);
    pgmInput = false;
  }
  // ImageData path: zxing-wasm turns RGBA back into luminance itself. Node has no ImageData
  // class, but the bindings only look at width, height and data.
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  const grey = image.data;
  for (let i = 0, j = 0; i < grey.length; i++, j += 4) {
    const v = grey[i]!;
    rgba[j] = v;
    rgba[j + 1] = v;
    rgba[j + 2] = v;
    rgba[j + 3] = 255;
  }
  const imageData = { data: rgba, width: image.width, height: image.height, colorSpace: 'srgb' } as ImageData;
  return (await readBarcodes(imageData, options)).filter((r) => r.isValid);
}

function toHit(r: ReadResult, pass: ReadPass, scale: number): BarcodeHit {
  const p = r.position;
  const at = (pt: Point): Point => ({ x: pt.x / scale, y: pt.y / scale });
  const position = p
    ? { topLeft: at(p.topLeft), topRight: at(p.topRight), bottomRight: at(p.bottomRight), bottomLeft: at(p.bottomLeft) }
    : undefined;
  return { text: r.text, format: r.format, position, pass };
}

/** The same code printed twice on a page is two hits; the same symbol found by two passes is one. */
function sameSymbol(a: BarcodeHit, b: BarcodeHit): boolean {
  if (a.format !== b.format || a.text !== b.text) return false;
  if (!a.position || !b.position) return true;
  const ca = centre(a.position);
  const cb = centre(b.position);
  // Two passes place one symbol within a few pixels; two printed copies are at least a label apart.
  return Math.hypot(ca.x - cb.x, ca.y - cb.y) < 40;
}

/** Centre of a hit's position; handy for mapping hits to label cells. */
export function centre(p: BarcodePosition): Point {
  return {
    x: (p.topLeft.x + p.topRight.x + p.bottomRight.x + p.bottomLeft.x) / 4,
    y: (p.topLeft.y + p.topRight.y + p.bottomRight.y + p.bottomLeft.y) / 4,
  };
}

function checkImage(image: GreyImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || data.length !== width * height) {
    throw new RangeError(`not a grey image: ${width}x${height} with ${data.length} bytes`);
  }
}

/** 2x bilinear upscale, so 150 dpi scans get the pixels per module ZXing's edge finder wants. */
function upscaledForRetry(image: GreyImage): { image: GreyImage; scale: number } | undefined {
  const { width, height, data } = image;
  if (Math.min(width, height) >= UPSCALE_BELOW_SHORT_SIDE || width * height * 4 > MAX_UPSCALED_PIXELS) return undefined;
  const w2 = width * 2;
  const h2 = height * 2;
  const out = new Uint8Array(w2 * h2);
  for (let y = 0; y < h2; y++) {
    const sy = Math.min(height - 1, Math.max(0, (y - 0.5) / 2));
    const y0 = Math.floor(sy);
    const y1 = Math.min(height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < w2; x++) {
      const sx = Math.min(width - 1, Math.max(0, (x - 0.5) / 2));
      const x0 = Math.floor(sx);
      const x1 = Math.min(width - 1, x0 + 1);
      const fx = sx - x0;
      const top = data[y0 * width + x0]! * (1 - fx) + data[y0 * width + x1]! * fx;
      const bottom = data[y1 * width + x0]! * (1 - fx) + data[y1 * width + x1]! * fx;
      out[y * w2 + x] = top * (1 - fy) + bottom * fy + 0.5;
    }
  }
  return { image: { width: w2, height: h2, data: out }, scale: 2 };
}

/**
 * 3x3 median (removes salt-and-pepper specks without moving bar edges) then Otsu's global
 * threshold, which ignores the grey haze that makes ZXing's local binariser see spurious edges.
 * The median runs in sharp (native): in a JS loop it costs seconds on a 300 dpi page.
 */
async function cleanForRetry(image: GreyImage): Promise<GreyImage> {
  const { width, height } = image;
  const { data, info } = await sharp(image.data, { raw: { width, height, channels: 1 } })
    .median(3)
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 || data.length !== width * height) throw new Error(`median filter returned ${info.channels} channels`);
  const out = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const t = otsu(out);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! > t ? 255 : 0;
  return { width, height, data: out };
}

function otsu(data: Uint8Array): number {
  const hist = new Float64Array(256);
  for (let i = 0; i < data.length; i++) hist[data[i]!]++;
  const total = data.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * hist[i]!;
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let threshold = 127;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  return threshold;
}
