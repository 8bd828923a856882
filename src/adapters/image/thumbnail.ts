/**
 * A small image of a document's first page for the overview, made once and kept in the object
 * store. PDFs are rendered with pdf.js at low resolution (a scanner's page is decoded from its
 * JPEG instead, see scanned-page.ts); images (PNG, JPEG, multi-page TIFF) are scaled by sharp from
 * their first page.
 */
import sharp, { type Sharp } from 'sharp';
import { renderPdfPages, type GreyImage } from '../pdf/pdf-render.js';
import { MAX_IMAGE_PIXELS } from './image-pages.js';

export const THUMBNAIL_WIDTH = 240;
/** 30 dpi makes an A4 page 248 px wide: just over the thumbnail, so rendering stays cheap (~20 ms). */
const PDF_DPI = 30;

export type Thumbnail = { data: Buffer; mime: 'image/webp'; width: number; height: number };

/**
 * `forRequest`: a request waits for it (a thumbnail on demand), so the page is drawn on the
 * threads for requests, not behind the pages ingest jobs asked the render threads for first.
 * @example const t = await makeThumbnail(bytes, 'application/pdf'); // t.width <= 240
 */
export async function makeThumbnail(bytes: Uint8Array, mime: string, opts: { forRequest?: boolean } = {}): Promise<Thumbnail> {
  let img: Sharp;
  if (mime === 'application/pdf') {
    let g: GreyImage | undefined;
    for await (const page of renderPdfPages(bytes, { dpi: PDF_DPI, pages: [1], forRequest: opts.forRequest })) g = page.image;
    if (!g) throw new Error('the PDF has no first page');
    img = sharp(Buffer.from(g.data.buffer, g.data.byteOffset, g.data.byteLength), { raw: { width: g.width, height: g.height, channels: 1 } });
  } else {
    img = sharp(bytes, { page: 0, limitInputPixels: MAX_IMAGE_PIXELS }).flatten({ background: '#ffffff' });
  }
  const { data, info } = await img.resize({ width: THUMBNAIL_WIDTH, withoutEnlargement: true }).webp({ quality: 70 }).toBuffer({ resolveWithObject: true });
  return { data, mime: 'image/webp', width: info.width, height: info.height };
}
