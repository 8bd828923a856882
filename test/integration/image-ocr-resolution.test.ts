// postgres-pass: skip (the OCR engine alone, no database)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imagePages } from '../../src/adapters/image/image-pages.js';
import { guessTextOrientation } from '../../src/adapters/ocr/ocr-engine.js';
import { renderScan, toJpeg, toMultiPageTiff, toPng } from '../helpers/scan-samples.js';

async function only(bytes: Uint8Array, ocrDpi?: number) {
  const out = [];
  for await (const p of imagePages(bytes, ocrDpi ? { ocrDpi } : {})) out.push(p);
  return out;
}

// Decoding at the resolution OCR needs (issue 15): a 600 dpi scan is read as 300 dpi pixels.
describe(`${imagePages.name} with ocrDpi`, () => {
  const scan600 = renderScan({ dpi: 600, heightIn: 2 });

  it('given a 600 dpi JPEG when decoded for 300 dpi OCR then it comes at half the size and says 300 dpi', async () => {
    const [page] = await only(await toJpeg(scan600, 85, 600), 300);
    assert.equal(page!.dpi, 300);
    assert.equal(page!.image.width, Math.round(scan600.width / 2));
    assert.equal(page!.image.height, Math.round(scan600.height / 2));
    assert.equal(page!.image.data.length, page!.image.width * page!.image.height);
    // Still a readable page: upright text with plenty of glyphs.
    const guess = guessTextOrientation(page!.image);
    assert.equal(guess.rotation, 0);
    assert.ok(guess.glyphs > 50, `glyphs ${guess.glyphs}`);
  });

  it('given the same JPEG decoded without ocrDpi then it keeps its full 600 dpi', async () => {
    const [page] = await only(await toJpeg(scan600, 85, 600));
    assert.equal(page!.dpi, 600);
    assert.equal(page!.image.width, scan600.width);
  });

  it('given a 300 dpi PNG or a 400 dpi one when decoded for 300 dpi OCR then they are left as they are', async () => {
    const at300 = renderScan({ dpi: 300, heightIn: 1 });
    const [a] = await only(await toPng(at300, 300), 300);
    assert.equal(a!.image.width, at300.width);
    assert.equal(a!.dpi, 300);
    const [b] = await only(await toPng(at300, 400), 300);
    assert.equal(b!.image.width, at300.width);
    assert.equal(b!.dpi, 400);
  });

  it('given a multi-page TIFF when decoded for OCR then every page keeps its size (pages may differ)', async () => {
    const p1 = renderScan({ dpi: 200, heightIn: 1 });
    const pages = await only(await toMultiPageTiff([p1, p1]), 100);
    assert.equal(pages.length, 2);
    for (const p of pages) assert.equal(p.image.width, p1.width);
  });
});
