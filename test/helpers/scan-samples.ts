/**
 * Test samples made at test time (no committed binaries): a Dutch/English business letter drawn
 * with @napi-rs/canvas as a "scan" with known text, in the variants a scanner room produces, and
 * the file formats uploads arrive in.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { PDFDocument, PDFHexString } from 'pdf-lib';
import sharp from 'sharp';
import { rotateGrey } from '../../src/adapters/image/image-pages.js';
import { makeTextPdf } from '../../src/adapters/pdf/text-pdf.js';
import { seeded } from './degrade-image.js';
import type { GreyImage } from '../../src/adapters/pdf/pdf-render.js';

/** The letter every OCR test reads back. Covers diacritics, ids, amounts and dates. */
export const LETTER_LINES = [
  'Dossierlink Verzekeringen B.V.',
  'Postbus 1234, 1000 AB Amsterdam',
  'Betreft: Offerte financiële administratie',
  'Klantnummer: KL-000123',
  'Datum: 14 maart 2024',
  'Geachte heer Jansen,',
  'Hierbij ontvangt u onze offerte voor de',
  'financiële administratie van uw bedrijf.',
  'Het totaalbedrag is EUR 1.234,56 excl. btw.',
  'Dear customer, please find our quotation.',
  'Met vriendelijke groet,',
];
export const LETTER_TEXT = LETTER_LINES.join('\n');

export type ScanOptions = {
  lines?: string[];
  /** Scan resolution; the letter is laid out in inches so text size scales with it. */
  dpi?: number;
  /** Paper height in inches; a short page keeps OCR tests fast. */
  heightIn?: number;
  /** Small rotation of the paper on the glass, in degrees (positive = clockwise). */
  skewDeg?: number;
  /** Fraction of pixels turned into speckle, e.g. 0.004; also adds grey paper grain. */
  noise?: number;
  /** Whole-page rotation as fed into the scanner (clockwise). */
  rotate?: 0 | 90 | 180 | 270;
  seed?: number;
};

const FONT = 'SampleSans';
let fontReady = false;
/** Uses the Liberation Sans that ships with pdfjs-dist, so samples do not depend on system fonts. */
function ensureFont(): void {
  if (fontReady) return;
  const root = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  GlobalFonts.registerFromPath(path.join(root, 'standard_fonts', 'LiberationSans-Regular.ttf'), FONT);
  fontReady = true;
}

/**
 * Draws the letter as a grey "scan".
 * @example const img = renderScan({ dpi: 300, skewDeg: 3 });
 */
export function renderScan(opts: ScanOptions = {}): GreyImage {
  ensureFont();
  const dpi = opts.dpi ?? 300;
  const lines = opts.lines ?? LETTER_LINES;
  const width = Math.round(8.27 * dpi);
  const height = Math.round((opts.heightIn ?? Math.max(3, 1.2 + lines.length * 0.3)) * dpi);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  if (opts.skewDeg) {
    ctx.translate(width / 2, height / 2);
    ctx.rotate((opts.skewDeg * Math.PI) / 180);
    ctx.translate(-width / 2, -height / 2);
  }
  ctx.fillStyle = '#111';
  ctx.font = `${Math.round((12 / 72) * dpi)}px ${FONT}`;
  ctx.textBaseline = 'alphabetic';
  lines.forEach((line, i) => ctx.fillText(line, 1.0 * dpi, 0.9 * dpi + i * 0.3 * dpi));
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = rgba[i * 4 + 1]!;
  let img: GreyImage = { width, height, data: grey };
  if (opts.noise) img = addSpeckle(img, opts.noise, opts.seed ?? 7);
  return rotateGrey(img, opts.rotate ?? 0);
}

/** Pepper specks of 1-3 px plus paper grain: what a dusty glass and cheap paper give. */
export function addSpeckle(img: GreyImage, fraction: number, seed = 7): GreyImage {
  const rnd = seeded(seed);
  const data = new Uint8Array(img.data);
  for (let i = 0; i < data.length; i++) {
    const grain = (rnd() * 40) | 0;
    data[i] = data[i]! > 127 ? 255 - grain : Math.min(255, data[i]! + grain);
  }
  const specks = Math.round(img.width * img.height * fraction * 0.25);
  for (let s = 0; s < specks; s++) {
    const x0 = (rnd() * img.width) | 0;
    const y0 = (rnd() * img.height) | 0;
    const size = 1 + ((rnd() * 3) | 0); // 1-3 px dots: dust at 300 dpi
    for (let y = y0; y < Math.min(img.height, y0 + size); y++) {
      for (let x = x0; x < Math.min(img.width, x0 + size); x++) data[y * img.width + x] = (rnd() * 60) | 0;
    }
  }
  return { width: img.width, height: img.height, data };
}


const raw = (img: GreyImage) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } });

export async function toPng(img: GreyImage, dpi = 300): Promise<Buffer> {
  return raw(img).withMetadata({ density: dpi }).png({ compressionLevel: 6 }).toBuffer();
}
export async function toJpeg(img: GreyImage, quality = 85, dpi = 300): Promise<Buffer> {
  return raw(img).withMetadata({ density: dpi }).jpeg({ quality }).toBuffer();
}
/** JPEG that says "rotate me": pixels stored sideways, EXIF orientation 6 (90° clockwise). */
export async function toJpegWithExifRotation(upright: GreyImage): Promise<Buffer> {
  return raw(rotateGrey(upright, 270)).jpeg({ quality: 85 }).withMetadata({ orientation: 6 }).toBuffer();
}

/** Multi-page TIFF via sharp's animated join (pages must share one size, as scanner batches do). */
export async function toMultiPageTiff(pages: GreyImage[]): Promise<Buffer> {
  if (pages.some((p) => p.width !== pages[0]!.width || p.height !== pages[0]!.height)) {
    throw new Error('toMultiPageTiff: pages must share one size (pass heightIn)');
  }
  const pngs = await Promise.all(pages.map((p) => raw(p).png({ compressionLevel: 1 }).toBuffer()));
  return sharp(pngs, { join: { animated: true } }).toColourspace('b-w').tiff({ compression: 'lzw' }).toBuffer();
}

/** Image-only PDF, one scanned page per image, page size from the scan dpi (what a scanner's "PDF" button makes). */
export async function toImagePdf(pages: GreyImage[], opts: { dpi?: number; format?: 'jpeg' | 'png' } = {}): Promise<Uint8Array> {
  const dpi = opts.dpi ?? 300;
  const doc = await PDFDocument.create();
  for (const img of pages) {
    const embedded =
      opts.format === 'png' ? await doc.embedPng(await toPng(img, dpi)) : await doc.embedJpg(await toJpeg(img, 80, dpi));
    const w = (img.width / dpi) * 72;
    const h = (img.height / dpi) * 72;
    doc.addPage([w, h]).drawImage(embedded, { x: 0, y: 0, width: w, height: h });
  }
  return doc.save();
}

/** Born-digital PDF with a real text layer: the same generator the demo data uses. */
export { makeTextPdf };

/** A PDF cut off at 60%, as an interrupted upload leaves it: header and content, no page tree, no xref. */
export async function makeTruncatedPdf(): Promise<Uint8Array> {
  const whole = await makeTextPdf([LETTER_LINES, LETTER_LINES]);
  return whole.slice(0, Math.floor(whole.length * 0.6));
}

/** Bytes that are not a PDF at all behind a PDF header. */
export function makeGarbagePdf(): Uint8Array {
  return new TextEncoder().encode('%PDF-1.7\n' + 'garbage '.repeat(200));
}

/**
 * A password-protected PDF. The Standard security handler's check values are random, so neither
 * the empty user password nor any other opens it: exactly what a reader sees without the password.
 */
export async function makeEncryptedPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.addPage([595, 842]);
  const hex = (n: number) => PDFHexString.of(Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff)).toString('hex'));
  const ctx = doc.context;
  const encrypt = ctx.obj({ Filter: 'Standard', V: 1, R: 2, Length: 40, P: -44, O: hex(32), U: hex(32) });
  ctx.trailerInfo.Encrypt = ctx.register(encrypt);
  ctx.trailerInfo.ID = ctx.obj([hex(16), hex(16)]);
  return doc.save({ useObjectStreams: false });
}

/** A file that lies about its type: a JPEG uploaded as "factuur.pdf" with type application/pdf. */
export async function makeLyingFile(): Promise<{ filename: string; claimedType: string; bytes: Buffer; actualType: string }> {
  const bytes = await toJpeg(renderScan({ dpi: 72, lines: ['not a pdf'] }));
  return { filename: 'factuur.pdf', claimedType: 'application/pdf', bytes, actualType: 'image/jpeg' };
}

/** A tiny PNG whose header claims width x height pixels: a decompression bomb in 60 bytes. */
export async function makePixelBombPng(width = 50_000, height = 50_000): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer());
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29); // IHDR CRC covers type + data
  return png;
}
