/**
 * A scanner's PDF page is usually one JPEG drawn over the whole page and nothing else. Rendering
 * it with pdfjs decodes the JPEG in JavaScript, draws it onto a canvas, scales it and reads the
 * pixels back: ~0.8 s of CPU for an A4 page at 300 dpi, against ~0.14 s for libjpeg-turbo (sharp)
 * decoding the same bytes. This finds such pages and reads them that way, at the size pdfjs
 * would render them and with the same grey conversion. Anything else on the page (text, vector
 * drawing, annotations, a second image, a mask, a turned page, another colour space or image
 * format) and the caller renders it with pdfjs as before. (Reading barcodes needs less:
 * sole-jpeg.ts takes any page whose one image is a JPEG, at the JPEG's own size.)
 */
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, type PDFPage } from 'pdf-lib';
import sharp from 'sharp';
import type { GreyImage } from './pdf-render.js';
import { sharedBytes, sharedPixels } from '../thread-pool.js';
import { inImageThread } from '../image/image-threads.js';

type Matrix = [number, number, number, number, number, number];

/** The page's content as one string (its streams in order), or null when a stream cannot be decoded. */
function contentOf(page: PDFPage): string | null {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((r) => page.doc.context.lookup(r)) : [contents];
  let text = '';
  for (const s of streams) {
    if (!(s instanceof PDFRawStream)) return null;
    text += Buffer.from(decodePDFRawStream(s).decode()).toString('latin1') + '\n';
  }
  return text;
}

const multiply = (m: Matrix, n: Matrix): Matrix => [
  m[0] * n[0] + m[1] * n[2],
  m[0] * n[1] + m[1] * n[3],
  m[2] * n[0] + m[3] * n[2],
  m[2] * n[1] + m[3] * n[3],
  m[4] * n[0] + m[5] * n[2] + n[4],
  m[4] * n[1] + m[5] * n[3] + n[5],
];

/**
 * The XObject the content draws and the matrix it is drawn with, when the content is only
 * `q`/`Q` pairs, `cm` and one `Do`; null for anything else.
 */
export function singleDraw(content: string): { name: string; ctm: Matrix } | null {
  const tokens = content.split(/[\s\0]+/).filter(Boolean);
  const stack: Matrix[] = [];
  let ctm: Matrix = [1, 0, 0, 1, 0, 0];
  let operands: string[] = [];
  let drawn: { name: string; ctm: Matrix } | null = null;
  for (const t of tokens) {
    if (/^[-+]?(\d+\.?\d*|\.\d+)$/.test(t) || /^\/[^/[\]()<>{}%]+$/.test(t)) {
      operands.push(t);
      continue;
    }
    if (t === 'q' && operands.length === 0) stack.push(ctm);
    else if (t === 'Q' && operands.length === 0 && stack.length) ctm = stack.pop()!;
    else if (t === 'cm' && operands.length === 6 && operands.every((o) => !o.startsWith('/'))) ctm = multiply(operands.map(Number) as Matrix, ctm);
    else if (t === 'Do' && operands.length === 1 && operands[0]!.startsWith('/') && !drawn) drawn = { name: operands[0]!.slice(1), ctm };
    else return null;
    operands = [];
  }
  return operands.length === 0 && stack.length === 0 ? drawn : null;
}

const near = (a: number, b: number) => Math.abs(a - b) < 0.01;

/**
 * The page's JPEG bytes when the page is exactly one 8-bit grey or RGB JPEG stretched over its
 * whole visible area, upright, with nothing else on it; else null.
 */
export function pageJpeg(page: PDFPage): { jpeg: Uint8Array; width: number; height: number; channels: 1 | 3 } | null {
  if (page.getRotation().angle % 360 !== 0) return null;
  const annots = page.node.Annots();
  if (annots && annots.size() > 0) return null;
  const media = page.getMediaBox();
  const crop = page.getCropBox();
  if (!near(media.x, crop.x) || !near(media.y, crop.y) || !near(media.width, crop.width) || !near(media.height, crop.height)) return null;
  const content = contentOf(page);
  const draw = content === null ? null : singleDraw(content);
  if (!draw) return null;
  const [a, b, c, d, e, f] = draw.ctm;
  if (!near(a, media.width) || !near(d, media.height) || !near(b, 0) || !near(c, 0) || !near(e, media.x) || !near(f, media.y)) return null;
  const xobjects = page.node.Resources()?.lookupMaybe(PDFName.of('XObject'), PDFDict);
  const image = xobjects?.lookup(PDFName.of(draw.name));
  if (!(image instanceof PDFRawStream)) return null;
  const dict = image.dict;
  const name = (key: string) => dict.lookup(PDFName.of(key));
  const filter = name('Filter');
  const filters = filter instanceof PDFArray ? filter.asArray().map((x) => page.doc.context.lookup(x)) : [filter];
  if (filters.length !== 1 || filters[0] !== PDFName.of('DCTDecode')) return null;
  if (name('Subtype') !== PDFName.of('Image') || name('ImageMask') || name('Mask') || name('SMask') || name('Decode') || name('DecodeParms')) return null;
  const bits = name('BitsPerComponent');
  if (!(bits instanceof PDFNumber) || bits.asNumber() !== 8) return null;
  const space = name('ColorSpace');
  const channels = space === PDFName.of('DeviceGray') ? 1 : space === PDFName.of('DeviceRGB') ? 3 : null;
  const width = name('Width');
  const height = name('Height');
  if (!channels || !(width instanceof PDFNumber) || !(height instanceof PDFNumber)) return null;
  return { jpeg: image.contents, width: width.asNumber(), height: height.asNumber(), channels };
}

type PageJpeg = NonNullable<ReturnType<typeof pageJpeg>>;

/**
 * The page's pixels from its JPEG, `width` x `height` (what pdfjs renders the page at), grey by
 * the same luma as rendering; null when the JPEG is not what the page's dictionary says it is.
 * Decoded in an image thread (image-threads.ts), the pixels in shared memory; `forRequest` (a
 * thumbnail a request waits for) on the image threads for requests, not behind ingest's pages.
 */
export function decodePageJpeg(found: PageJpeg, width: number, height: number, opts: { forRequest?: boolean } = {}): Promise<GreyImage | null> {
  // Only the JPEG's bytes go: a view into the PDF would take the whole file with it.
  return inImageThread<GreyImage | null>('decodeJpeg', { found: { ...found, jpeg: sharedBytes(found.jpeg) }, width, height }, opts);
}

/** decodePageJpeg in the calling thread (what the image threads run). */
export async function decodePageJpegHere({ found, width, height }: { found: PageJpeg; width: number; height: number }): Promise<GreyImage | null> {
  try {
    let img = sharp(found.jpeg, { failOn: 'error' });
    const meta = await img.metadata();
    if (meta.format !== 'jpeg' || meta.width !== found.width || meta.height !== found.height || meta.channels !== found.channels) return null;
    if (width !== found.width || height !== found.height) img = img.resize(width, height, { fit: 'fill', kernel: 'linear' });
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    // In shared memory (sharedPixels): the threads that read the page next take it without a copy each.
    const grey = sharedPixels(width * height);
    if (info.channels === 1) {
      grey.set(data);
      return { width, height, data: grey };
    }
    // ITU-R 601 luma in fixed point, as pdf-render's rgbaToGrey.
    for (let i = 0, j = 0; j < grey.length; i += 3, j++) grey[j] = (data[i]! * 77 + data[i + 1]! * 150 + data[i + 2]! * 29) >> 8;
    return { width, height, data: grey };
  } catch {
    return null;
  }
}

/** Opens `pdf` with pdf-lib for pageJpeg, or null (damaged, encrypted: pdfjs renders those). */
export async function openForScans(pdf: Uint8Array): Promise<PDFDocument | null> {
  try {
    const doc = await PDFDocument.load(pdf, { updateMetadata: false, ignoreEncryption: true });
    return doc.isEncrypted ? null : doc;
  } catch {
    return null;
  }
}
