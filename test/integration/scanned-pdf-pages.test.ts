// postgres-pass: skip (PDF rendering only, no database)
/**
 * Issue #15: a scanner's PDF page (one JPEG over the whole page) is decoded natively instead of
 * rendered by pdfjs, with the pixels pdfjs gives; every other page is still rendered by pdfjs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { degrees, PDFDocument, PDFName, rgb } from 'pdf-lib';
import sharp from 'sharp';
import { renderPdfPage, renderPdfPages, type GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import { singleDraw } from '../../src/adapters/pdf/scanned-page.js';
import { renderScan, toImagePdf, toJpeg, toJpegWithExifRotation, toPng } from '../helpers/scan-samples.js';

const LINES = ['Factuur 2026-0042', 'Klantnummer: KL-000123', 'Totaal EUR 1.234,56'];

/** Every page of `pdf` through renderPdfPages at 300 dpi, beside pdfjs's own rendering of it. */
async function bothWays(pdf: Uint8Array): Promise<{ decoded: boolean; image: GreyImage; pdfjs: GreyImage }[]> {
  const out: { decoded: boolean; image: GreyImage; pdfjs: GreyImage }[] = [];
  for await (const p of renderPdfPages(pdf, { dpi: 300 })) out.push({ decoded: p.decoded === true, image: p.image, pdfjs: await renderPdfPage(pdf, p.pageNo, 300) });
  return out;
}

/** Mean and largest difference per pixel; the sizes must match. */
function difference(a: GreyImage, b: GreyImage): { mean: number; max: number } {
  assert.deepEqual([a.width, a.height], [b.width, b.height], 'the same size as pdfjs renders');
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.data.length, max };
}

/** A one-page PDF drawing `jpeg` (or a PNG) as pdf-lib draws it, then `more` on the page. */
async function onePage(image: Buffer, kind: 'jpeg' | 'png', size: [number, number], more?: (page: ReturnType<PDFDocument['addPage']>, doc: PDFDocument) => void): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const embedded = kind === 'jpeg' ? await doc.embedJpg(image) : await doc.embedPng(image);
  const page = doc.addPage(size);
  page.drawImage(embedded, { x: 0, y: 0, width: size[0], height: size[1] });
  more?.(page, doc);
  return doc.save();
}

describe('scanned PDF pages read from their JPEG', () => {
  const page300 = renderScan({ dpi: 300, heightIn: 4, lines: LINES });
  const size300: [number, number] = [(page300.width / 300) * 72, (page300.height / 300) * 72];

  it('given a scanner PDF of grey JPEG pages at 300 dpi when read then each page is decoded, pixel for pixel as pdfjs renders it', async () => {
    const pages = await bothWays(await toImagePdf([page300, renderScan({ dpi: 300, heightIn: 4, lines: ['Pagina 2'] })], { dpi: 300 }));
    assert.deepEqual(pages.map((p) => p.decoded), [true, true]);
    for (const p of pages) assert.ok(difference(p.image, p.pdfjs).max <= 2, `max ${difference(p.image, p.pdfjs).max}`);
  });

  it('given pages scanned at 200 dpi when read at 300 then they are decoded and scaled to the size pdfjs renders, with about its pixels', async () => {
    const [p] = await bothWays(await toImagePdf([renderScan({ dpi: 200, heightIn: 4, lines: LINES })], { dpi: 200 }));
    assert.equal(p!.decoded, true);
    const d = difference(p!.image, p!.pdfjs);
    assert.ok(d.mean < 1.5, `mean difference ${d.mean}`);
  });

  it('given a colour JPEG page when read then it is decoded to grey with the luma pdfjs rendering gives', async () => {
    const grey = page300;
    const rgbPixels = Buffer.alloc(grey.width * grey.height * 3);
    // Ink in dark blue on a cream paper.
    for (let i = 0; i < grey.data.length; i++) {
      const v = grey.data[i]! / 255;
      rgbPixels[i * 3] = Math.round(20 + v * 230);
      rgbPixels[i * 3 + 1] = Math.round(30 + v * 215);
      rgbPixels[i * 3 + 2] = Math.round(90 + v * 120);
    }
    const jpeg = await sharp(rgbPixels, { raw: { width: grey.width, height: grey.height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    const [p] = await bothWays(await onePage(jpeg, 'jpeg', size300));
    assert.equal(p!.decoded, true);
    assert.ok(difference(p!.image, p!.pdfjs).mean < 1, `mean ${difference(p!.image, p!.pdfjs).mean}`);
  });

  it('given a JPEG whose EXIF says to turn it when read then it is drawn as the PDF draws it, unturned, as pdfjs does', async () => {
    const [p] = await bothWays(await onePage(await toJpegWithExifRotation(page300), 'jpeg', [size300[1], size300[0]]));
    assert.equal(p!.decoded, true);
    assert.ok(difference(p!.image, p!.pdfjs).max <= 2);
  });

  const jpeg300 = () => toJpeg(page300, 85, 300);
  const declined: [string, () => Promise<Uint8Array>][] = [
    ['a page turned by /Rotate', async () => onePage(await jpeg300(), 'jpeg', size300, (page) => page.setRotation(degrees(90)))],
    ['text drawn over the scan', async () => onePage(await jpeg300(), 'jpeg', size300, (page) => page.drawText('Ontvangen', { x: 20, y: 20, size: 14 }))],
    ['a stamp drawn as a rectangle', async () => onePage(await jpeg300(), 'jpeg', size300, (page) => page.drawRectangle({ x: 10, y: 10, width: 50, height: 20, color: rgb(1, 0, 0) }))],
    ['a PNG instead of a JPEG', async () => onePage(await toPng(page300), 'png', size300)],
    [
      'a scan drawn over half the page',
      async () => {
        const doc = await PDFDocument.create();
        const img = await doc.embedJpg(await jpeg300());
        doc.addPage(size300).drawImage(img, { x: 0, y: 0, width: size300[0] / 2, height: size300[1] / 2 });
        return doc.save();
      },
    ],
    [
      'a page with an annotation',
      async () =>
        onePage(await jpeg300(), 'jpeg', size300, (page, doc) => {
          const annot = doc.context.obj({ Type: 'Annot', Subtype: 'Square', Rect: [10, 10, 60, 30], C: [1, 0, 0] });
          page.node.set(PDFName.of('Annots'), doc.context.obj([doc.context.register(annot)]));
        }),
    ],
  ];
  for (const [what, make] of declined) {
    it(`given ${what} when read then pdfjs renders it, as before`, async () => {
      const [p] = await bothWays(await make());
      assert.equal(p!.decoded, false);
      assert.deepEqual(difference(p!.image, p!.pdfjs), { mean: 0, max: 0 });
    });
  }

  it('given page contents when parsed then only q/Q, cm and one Do make a single drawing, with the matrices multiplied', () => {
    assert.deepEqual(singleDraw('q\n1 0 0 1 10 20 cm\n100 0 0 200 0 0 cm\n/Image-1 Do\nQ\n'), { name: 'Image-1', ctm: [100, 0, 0, 200, 10, 20] });
    assert.deepEqual(singleDraw('q 595.2 0 0 841.68 0 0 cm /X0 Do Q'), { name: 'X0', ctm: [595.2, 0, 0, 841.68, 0, 0] });
    assert.equal(singleDraw('q 595 0 0 842 0 0 cm /X0 Do Q /X1 Do'), null, 'two drawings');
    assert.equal(singleDraw('q 595 0 0 842 0 0 cm /X0 Do Q BT /F1 12 Tf (a) Tj ET'), null, 'text');
    assert.equal(singleDraw('q 595 0 0 842 0 0 cm /X0 Do'), null, 'unbalanced q');
    assert.equal(singleDraw('q 595 0 842 0 0 cm /X0 Do Q'), null, 'a cm with five operands');
    assert.equal(singleDraw('q 1 0 0 1 0 0 cm Q'), null, 'nothing drawn');
  });
});
