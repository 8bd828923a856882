/**
 * A scanner's PDF page is usually one JPEG: decoding it natively (sharp) is several times faster
 * than rendering the page with pdfjs, whose JPEG decoder is JavaScript. Used where pages are only
 * read for barcodes (coupon batches, intake stacks): any page whose one image is a JPEG, at the
 * JPEG's own size, wherever it is drawn. OCR needs the pixels where the page puts them, so
 * renderPdfPages decodes only a JPEG drawn exactly over the whole page (scanned-page.ts).
 */
import { PDFArray, PDFDict, type PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import sharp from 'sharp';
import type { GreyImage } from './pdf-render.js';

/** The page's only image when it is a JPEG (DCTDecode), decoded to grey; null otherwise. */
export async function soleJpeg(pdf: PDFDocument, pageNo: number): Promise<GreyImage | null> {
  try {
    const xobjects = pdf.getPage(pageNo - 1).node.Resources()?.lookupMaybe(PDFName.of('XObject'), PDFDict);
    if (!xobjects) return null;
    const images = xobjects
      .values()
      .map((v) => pdf.context.lookup(v))
      .filter((o): o is PDFRawStream => o instanceof PDFRawStream && o.dict.get(PDFName.of('Subtype')) === PDFName.of('Image'));
    if (images.length !== 1) return null;
    const filter = images[0]!.dict.lookup(PDFName.of('Filter'));
    const only = filter instanceof PDFArray && filter.size() === 1 ? filter.lookup(0) : filter;
    if (only !== PDFName.of('DCTDecode')) return null;
    const { data, info } = await sharp(images[0]!.contents, { limitInputPixels: 100_000_000 }).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) return null;
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch {
    return null;
  }
}
