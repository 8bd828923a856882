// postgres-pass: skip (the PDF engines alone, no database)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileTypeFromBuffer } from 'file-type';
import { countImagePages, decodeImagePage, imagePages } from '../../src/adapters/image/image-pages.js';
import { countPdfPages, greyToPng, openPdfDocument, renderPdfPage, renderPdfPages } from '../../src/adapters/pdf/pdf-render.js';
import type { GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import { extractPdfText } from '../../src/adapters/pdf/pdf-text.js';
import { buildSearchablePdf } from '../../src/adapters/pdf/searchable-pdf.js';
import { AppError } from '../../src/errors.js';
import {
  LETTER_LINES,
  LETTER_TEXT,
  makeEncryptedPdf,
  makeGarbagePdf,
  makeLyingFile,
  makePixelBombPng,
  makeTextPdf,
  makeTruncatedPdf,
  renderScan,
  toImagePdf,
  toJpeg,
  toJpegWithExifRotation,
  toMultiPageTiff,
  toPng,
} from '../helpers/scan-samples.js';

/** Asserts the promise rejects with our typed error and code (not a pdfjs/sharp internal). */
async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

const darkFraction = (img: GreyImage) => img.data.reduce((n, p) => n + (p < 128 ? 1 : 0), 0) / img.data.length;

describe(renderPdfPage.name, () => {
  it('given an A4 text PDF when rendered at 150 dpi then the page is 1240x1754 grey pixels with ink', async () => {
    const img = await renderPdfPage(await makeTextPdf([LETTER_LINES]), 1, 150);
    assert.deepEqual([img.width, img.height, img.data.length], [1240, 1754, 1240 * 1754]);
    const dark = darkFraction(img);
    assert.ok(dark > 0.002 && dark < 0.05, `dark fraction ${dark}`);
  });
  it('given a page number past the end when rendered then it is Invalid(page_out_of_range)', async () => {
    await rejectsWith(renderPdfPage(await makeTextPdf([LETTER_LINES]), 2, 72), 'page_out_of_range');
  });
  it('given a truncated PDF when rendered then it is Invalid(corrupt_pdf)', async () => {
    await rejectsWith(renderPdfPage(await makeTruncatedPdf(), 1, 72), 'corrupt_pdf');
  });
  it('given garbage behind a PDF header when rendered then it is Invalid(corrupt_pdf)', async () => {
    await rejectsWith(renderPdfPage(makeGarbagePdf(), 1, 72), 'corrupt_pdf');
  });
  it('given a password-protected PDF when rendered then it is Invalid(encrypted_pdf)', async () => {
    await rejectsWith(renderPdfPage(await makeEncryptedPdf(), 1, 72), 'encrypted_pdf');
  });
  it('given a JPEG named factuur.pdf when rendered as PDF then it is Invalid(corrupt_pdf) and magic bytes tell the truth', async () => {
    const lie = await makeLyingFile();
    await rejectsWith(renderPdfPage(lie.bytes, 1, 72), 'corrupt_pdf');
    assert.equal((await fileTypeFromBuffer(lie.bytes))?.mime, lie.actualType);
  });
  it('given the caller keeps its buffer when a PDF is rendered then the buffer is still usable', async () => {
    const pdf = await makeTextPdf([LETTER_LINES]);
    await renderPdfPage(pdf, 1, 30);
    assert.equal(await countPdfPages(pdf), 1); // pdfjs detaches what it is given; we hand it a copy
  });
});

describe(renderPdfPages.name, () => {
  it('given a 3-page image PDF when streamed with a page list then only those pages come, in order', async () => {
    const pdf = await toImagePdf([renderScan({ dpi: 72 }), renderScan({ dpi: 72, lines: [] }), renderScan({ dpi: 72 })], { dpi: 72, format: 'png' });
    const seen: number[] = [];
    for await (const { pageNo, image } of renderPdfPages(pdf, { dpi: 72, pages: [3, 2] })) {
      seen.push(pageNo);
      const dark = darkFraction(image);
      assert.ok(pageNo === 2 ? dark === 0 : dark > 0.001, `page ${pageNo} dark fraction ${dark}`);
    }
    assert.deepEqual(seen, [3, 2]);
  });
  it('given a consumer that stops early when streaming then the generator closes cleanly', async () => {
    const pdf = await makeTextPdf([LETTER_LINES, LETTER_LINES, LETTER_LINES]);
    for await (const { pageNo } of renderPdfPages(pdf, { dpi: 30 })) if (pageNo === 1) break;
    assert.equal(await countPdfPages(pdf), 3);
  });
});

describe(extractPdfText.name, () => {
  it('given a born-digital letter when read then lines come back exactly and the page has a text layer', async () => {
    const { pageCount, pages } = await extractPdfText(await makeTextPdf([LETTER_LINES]));
    assert.equal(pageCount, 1);
    assert.equal(pages[0]!.text, LETTER_TEXT);
    assert.equal(pages[0]!.hasTextLayer, true);
  });
  it('given an image-only scan PDF when read then no page has a text layer (they go to OCR)', async () => {
    const { pages } = await extractPdfText(await toImagePdf([renderScan({ dpi: 100 }), renderScan({ dpi: 100 })], { dpi: 100 }));
    assert.deepEqual(pages.map((p) => [p.pageNo, p.hasTextLayer, p.text]), [[1, false, ''], [2, false, '']]);
  });
  it('given a scan with only a stray page number in text when read then it still counts as no text layer', async () => {
    const { pages } = await extractPdfText(await makeTextPdf([['- 3 -']]));
    assert.equal(pages[0]!.hasTextLayer, false);
  });
  // Its speed (20+ pages/s) is measured by `npm run bench`, not asserted here: timed tests flake.
  it('given a 100-page text PDF when read then every page comes back in order', async () => {
    const pdf = await makeTextPdf(Array.from({ length: 100 }, (_, i) => [...LETTER_LINES, `Pagina ${i + 1}`]));
    const { pages } = await extractPdfText(pdf);
    assert.equal(pages.length, 100);
    assert.equal(pages[99]!.text.split('\n').at(-1), 'Pagina 100');
    assert.equal(pages[41]!.text.split('\n').at(-1), 'Pagina 42');
  });
  it('given a truncated PDF when read then it is Invalid(corrupt_pdf)', async () => {
    await rejectsWith(extractPdfText(await makeTruncatedPdf()), 'corrupt_pdf');
  });
});

describe(buildSearchablePdf.name, () => {
  it('given a page image and its words when archived then the scan shows and the words are an invisible, positioned text layer', async () => {
    const image = renderScan({ dpi: 100, lines: ['Klantnummer: KL-000123', 'financiële offerte'] });
    const words = [
      { text: 'Klantnummer:', confidence: 95, bbox: { x0: 100, y0: 75, x1: 250, y1: 92 } },
      { text: 'KL-000123', confidence: 95, bbox: { x0: 258, y0: 75, x1: 370, y1: 92 } },
      { text: 'financiële', confidence: 90, bbox: { x0: 100, y0: 105, x1: 205, y1: 122 } },
      { text: 'offerte', confidence: 90, bbox: { x0: 212, y0: 105, x1: 290, y1: 122 } },
    ];
    const pdf = await buildSearchablePdf([{ image, dpi: 100, words }], { title: 'Offerte' });

    const { pages } = await extractPdfText(pdf);
    assert.equal(pages[0]!.text, 'Klantnummer: KL-000123\nfinanciële offerte');
    const doc = await openPdfDocument(pdf);
    try {
      const page = await doc.getPage(1);
      assert.deepEqual([page.view[2], page.view[3]], [(image.width / 100) * 72, (image.height / 100) * 72]);
      // pdfjs joins the words of a line into one item; it must start where the first word's box does.
      const first = (await page.getTextContent()).items.find((i) => 'str' in i && i.str.startsWith('Klantnummer:'));
      assert.ok(first && 'transform' in first, 'no text item for the first line');
      assert.ok(Math.abs(first.transform[4] - 72) < 1, `x ${first.transform[4]}`); // 100 px at 100 dpi = 72 pt
      assert.ok(Math.abs(first.width - ((370 - 100) / 100) * 72) < 2, `width ${first.width}`);
    } finally {
      await doc.destroy();
    }
    // Invisible: the rendered page has the scan's ink, not twice the ink.
    const rendered = await renderPdfPage(pdf, 1, 100);
    assert.ok(Math.abs(darkFraction(rendered) - darkFraction(image)) < darkFraction(image) * 0.3, `ink ${darkFraction(rendered)} vs ${darkFraction(image)}`);
  });
});

describe(imagePages.name, () => {
  it('given a 3-page TIFF when split then 3 grey pages come with their own content', async () => {
    const tiff = await toMultiPageTiff([renderScan({ dpi: 72 }), renderScan({ dpi: 72, lines: [], heightIn: 4.5 }), renderScan({ dpi: 72 })]);
    assert.equal(await countImagePages(tiff), 3);
    const pages = [];
    for await (const p of imagePages(tiff)) pages.push(p);
    assert.deepEqual(pages.map((p) => p.pageNo), [1, 2, 3]);
    assert.equal(darkFraction(pages[1]!.image), 0);
    assert.ok(darkFraction(pages[2]!.image) > 0.001, 'page 3 has text');
  });
  it('given a PNG and a JPEG of a scan when decoded then both are one grey page of the same size, with the dpi', async () => {
    const scan = renderScan({ dpi: 100 });
    for (const bytes of [await toPng(scan, 100), await toJpeg(scan, 85, 100)]) {
      const pages = [];
      for await (const p of imagePages(bytes)) pages.push(p);
      assert.equal(pages.length, 1);
      assert.deepEqual([pages[0]!.image.width, pages[0]!.image.height, pages[0]!.dpi], [scan.width, scan.height, 100]);
    }
  });
  it('given a phone JPEG stored sideways with EXIF orientation 6 when decoded then the page is upright', async () => {
    const scan = renderScan({ dpi: 72 });
    const page = await decodeImagePage(await toJpegWithExifRotation(scan));
    assert.deepEqual([page.width, page.height], [scan.width, scan.height]);
    let diff = 0;
    for (let i = 0; i < scan.data.length; i++) diff += Math.abs(scan.data[i]! - page.data[i]!);
    assert.ok(diff / scan.data.length < 8, `mean abs diff ${diff / scan.data.length}`);
  });
  it('given a 60-byte PNG claiming 50000x50000 pixels when decoded then it is Invalid(image_too_large) before decoding', async () => {
    await rejectsWith(countImagePages(await makePixelBombPng()), 'image_too_large');
    await rejectsWith(imagePages(await makePixelBombPng()).next(), 'image_too_large');
  });
  it('given a truncated JPEG or a PDF when decoded as an image then it is Invalid(corrupt_image)', async () => {
    const jpeg = await toJpeg(renderScan({ dpi: 72 }));
    await rejectsWith(decodeImagePage(jpeg.subarray(0, jpeg.length >> 1)), 'corrupt_image');
    await rejectsWith(decodeImagePage(await makeTextPdf([['x']])), 'corrupt_image');
  });
  it('given a decoded page when PNG-encoded for debugging then it round-trips', async () => {
    const scan = renderScan({ dpi: 50 });
    assert.deepEqual((await decodeImagePage(await greyToPng(scan))).data, scan.data);
  });
});

describe('scanned PDF', () => {
  it('given a scan PDF page when rendered at its scan dpi then it matches the scan', async () => {
    const scan = renderScan({ dpi: 100 });
    const img = await renderPdfPage(await toImagePdf([scan], { dpi: 100, format: 'png' }), 1, 100);
    assert.ok(Math.abs(img.width - scan.width) <= 1 && Math.abs(img.height - scan.height) <= 1, `${img.width}x${img.height}`);
    assert.ok(Math.abs(darkFraction(img) - darkFraction(scan)) < darkFraction(scan) * 0.2, `ink ${darkFraction(img)} vs ${darkFraction(scan)}`);
  });
});
