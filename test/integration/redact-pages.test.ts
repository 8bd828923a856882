// postgres-pass: skip (PDF and image handling alone, no database)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactPages } from '../../src/adapters/pdf/page-subset.js';
import { renderPdfPage, type GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import { extractPdfText } from '../../src/adapters/pdf/pdf-text.js';
import { renderScan, toImagePdf, toMultiPageTiff, toPng } from '../helpers/scan-samples.js';

const NOTE = ['Page erased on 2026-12-01 (GDPR art. 17).'];
const dark = (g: GreyImage) => g.data.reduce((n, v) => n + (v < 128 ? 1 : 0), 0);
const scans = [1, 2, 3].map((i) => renderScan({ dpi: 100, heightIn: 3, lines: [`Klant ${i}`, 'Antwoordcoupon', `Regel ${i} van de stapel`] }));

/**
 * What an erasure keeps of a returned stack's scan (coupon-batch-redaction.ts): the erased pages
 * replaced by placeholders of the same size, every other page as it was, page numbers unchanged.
 */
describe('redactPages', () => {
  it('given a multi-page TIFF when its second page is erased then a PDF of three pages: a placeholder where it was, the others as scanned', async () => {
    const tiff = await toMultiPageTiff(scans);
    const pdf = await redactPages(tiff, 'image/tiff', 3, [2], NOTE);
    assert.equal(pdf.mime, 'application/pdf');
    const text = await extractPdfText(pdf.bytes);
    assert.equal(text.pageCount, 3);
    assert.deepEqual(text.pages.map((p) => p.text.includes('Page erased on 2026-12-01')), [false, true, false]);
    const pages = await Promise.all([1, 2, 3].map((p) => renderPdfPage(pdf.bytes, p, 72)));
    // The TIFF carries no resolution of its own: 200 dpi assumed, so each page keeps its aspect.
    for (const p of pages) assert.deepEqual([p.width, p.height], [Math.round((scans[0]!.width / 200) * 72), Math.round((scans[0]!.height / 200) * 72)]);
    // Nothing of the erased scan is left: erasing another scan in its place gives the same page.
    const other = await redactPages(await toMultiPageTiff([scans[0]!, scans[2]!, scans[2]!]), 'image/tiff', 3, [2], NOTE);
    const [erased, otherErased] = [await renderPdfPage(pdf.bytes, 2, 150), await renderPdfPage(other.bytes, 2, 150)];
    assert.ok(Buffer.from(erased.data).equals(Buffer.from(otherErased.data)), 'the placeholder does not depend on the page it replaces');
    assert.ok(dark(pages[0]!) > 0 && dark(pages[2]!) > 0, 'the kept pages show their scans');
    assert.deepEqual(await redactPages(tiff, 'image/tiff', 3, [2], NOTE), pdf, 'the same input gives the same bytes');
  });

  it('given a scanned PDF when pages are erased then the others are copied as they are, pixel for pixel', async () => {
    const stack = await toImagePdf(scans, { dpi: 100 });
    const pdf = await redactPages(stack, 'application/pdf', 3, [1, 3], NOTE);
    for (const p of [1, 2, 3]) {
      const [was, now] = [await renderPdfPage(stack, p, 60), await renderPdfPage(pdf.bytes, p, 60)];
      assert.deepEqual([now.width, now.height], [was.width, was.height]);
      assert.equal(Buffer.from(now.data).equals(Buffer.from(was.data)), p === 2, `page ${p}`);
    }
    assert.ok(pdf.bytes.length < stack.length, 'two of three scans are gone from the bytes');
  });

  it('given a single PNG when its page is erased then a one-page PDF of its size holding only the note', async () => {
    const png = await toPng(scans[0]!, 100);
    const pdf = await redactPages(png, 'image/png', 1, [1], NOTE);
    const page = await renderPdfPage(pdf.bytes, 1, 100);
    assert.deepEqual([page.width, page.height], [scans[0]!.width, scans[0]!.height]);
    assert.match((await extractPdfText(pdf.bytes)).pages[0]!.text, /Page erased/);
    assert.ok(pdf.bytes.length < png.length);
  });
});
