// postgres-pass: skip (image decoding and page analysis alone, no database)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imagePages, orientationPreview, rotateGrey } from '../../src/adapters/image/image-pages.js';
import { guessTextOrientation, ORIENTATION_SIDE } from '../../src/adapters/ocr/ocr-engine.js';
import { LETTER_LINES, renderScan, toJpeg, toJpegWithExifRotation, toMultiPageTiff, toPng } from '../helpers/scan-samples.js';

// Issue 15: a single image's orientation is guessed from a small copy decoded beside the full
// page. That copy must be the page OCR gets, shrunk as the guess shrinks it, so the guess is the
// one the engine would have made from the full page.

const OCR_DPI = 300;

async function decoded(bytes: Uint8Array) {
  for await (const p of imagePages(bytes, { ocrDpi: OCR_DPI })) return p.image;
  throw new Error('no page');
}

describe(orientationPreview.name, () => {
  const upright = renderScan({ dpi: 300, heightIn: 11.69, lines: [...LETTER_LINES, 'Referentie ORIENT-1'], seed: 5 });

  for (const turn of [0, 90, 180, 270] as const) {
    it(`given an A4 scan turned ${turn} degrees when previewed then the guess from the preview is the guess from the full page`, async () => {
      const jpeg = await toJpeg(rotateGrey(upright, turn), 85, 300);
      const full = await decoded(jpeg);
      const preview = (await orientationPreview(jpeg, { maxSide: ORIENTATION_SIDE, ocrDpi: OCR_DPI }))!;
      assert.ok(preview, 'an A4 page at 300 dpi gets a preview');
      const f = Math.ceil(Math.max(full.width, full.height) / ORIENTATION_SIDE);
      assert.deepEqual([preview.width, preview.height], [Math.floor(full.width / f), Math.floor(full.height / f)]);
      const fromPreview = guessTextOrientation(preview);
      const fromFull = guessTextOrientation(full);
      assert.equal(fromPreview.rotation, fromFull.rotation);
      assert.equal(fromPreview.rotation, (360 - turn) % 360, 'and it turns the page upright');
    });
  }

  it('given a JPEG turned by its EXIF orientation when previewed then the preview is turned as the decoded page is', async () => {
    const jpeg = await toJpegWithExifRotation(upright);
    const full = await decoded(jpeg);
    const preview = (await orientationPreview(jpeg, { maxSide: ORIENTATION_SIDE, ocrDpi: OCR_DPI }))!;
    assert.equal(preview.width < preview.height, full.width < full.height);
    assert.equal(guessTextOrientation(preview).rotation, 0);
  });

  it('given a 600 dpi scan when previewed then it is the size of the 300 dpi page OCR reads, shrunk', async () => {
    const fine = renderScan({ dpi: 600, heightIn: 11.69, lines: LETTER_LINES, seed: 6 });
    const jpeg = await toJpeg(fine, 85, 600);
    const full = await decoded(jpeg);
    const preview = (await orientationPreview(jpeg, { maxSide: ORIENTATION_SIDE, ocrDpi: OCR_DPI }))!;
    const f = Math.ceil(Math.max(full.width, full.height) / ORIENTATION_SIDE);
    assert.deepEqual([preview.width, preview.height], [Math.floor(full.width / f), Math.floor(full.height / f)]);
  });

  it('given a small page or a multi-page file when previewed then there is none (the guess reads the page itself)', async () => {
    const small = await toPng(renderScan({ dpi: 100, lines: ['klein'] }));
    assert.equal(await orientationPreview(small, { maxSide: ORIENTATION_SIDE, ocrDpi: OCR_DPI }), null);
    const page = (n: number) => renderScan({ dpi: 300, heightIn: 3, lines: [`blad ${n}`] });
    assert.equal(await orientationPreview(await toMultiPageTiff([page(1), page(2)]), { maxSide: ORIENTATION_SIDE, ocrDpi: OCR_DPI }), null);
  });
});
