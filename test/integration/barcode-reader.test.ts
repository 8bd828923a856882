// postgres-pass: skip (the barcode engine alone, no database)
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createBarcodeReader, centre } from '../../src/adapters/barcode/barcode-reader.js';
import type { BarcodeHit, GreyImage } from '../../src/adapters/barcode/barcode-reader.js';
import { renderBarcodePng } from '../../src/adapters/barcode/barcode-render.js';
import type { Symbology } from '../../src/adapters/barcode/barcode-render.js';
import { makeBarcode } from '../../src/domain/barcode.js';
import { assertOffTheLoop, watchTimers } from '../helpers/timer-watch.js';
import { addNoise, downsample, placeOnPage, pngToGrey, rotate, textLikePage } from '../helpers/degrade-image.js';

const CODE = makeBarcode('document', 1234);
const reader = createBarcodeReader();

/** A bwip-js barcode at 300 dpi pasted on a white 1400 x 1000 px "page" at (200, 300). */
async function page(symbology: Symbology, text = CODE): Promise<{ image: GreyImage; symbol: GreyImage }> {
  // moduleDots is in 300 dpi dots and the PNG is 600 dpi; halve it to get a 300 dpi scan.
  const png = await renderBarcodePng(text, { symbology, moduleDots: symbology === 'code128' ? 3 : 4 });
  const symbol = downsample(await pngToGrey(png.png), 2);
  return { image: placeOnPage(symbol, 1400, 1000, 200, 300), symbol };
}

function texts(hits: BarcodeHit[]): string[] {
  return hits.map((h) => `${h.format}:${h.text}`).sort();
}

describe(createBarcodeReader.name, () => {
  before(async () => {
    // Load the wasm outside the timed tests.
    await reader.read({ width: 8, height: 8, data: new Uint8Array(64).fill(255) });
  });

  for (const [symbology, format] of [
    ['code128', 'Code128'],
    ['datamatrix', 'DataMatrix'],
    ['qrcode', 'QRCode'],
  ] as const) {
    it(`given a clean ${symbology} from bwip-js when read then the code comes back with its position`, async () => {
      const { image, symbol } = await page(symbology);
      const hits = await reader.read(image);
      assert.deepEqual(texts(hits), [`${format}:${CODE}`]);
      const c = centre(hits[0]!.position!);
      assert.ok(c.x > 200 && c.x < 200 + symbol.width && c.y > 300 && c.y < 300 + symbol.height, `centre ${JSON.stringify(c)}`);
      assert.equal(hits[0]!.pass, 'direct');
    });
  }

  it('given a Code 128 PNG straight from bwip-js (600 dpi, text under the bars) when read then it decodes', async () => {
    const { png } = await renderBarcodePng(CODE);
    assert.deepEqual(texts(await reader.read(await pngToGrey(png))), [`Code128:${CODE}`]);
  });

  it('given a Code 128 when read looking only for QR codes then nothing is found', async () => {
    const { image } = await page('code128');
    assert.deepEqual(await reader.read(image, { formats: ['QRCode'] }), []);
  });

  const degradations: [string, (img: GreyImage) => GreyImage][] = [
    ['skewed 3 degrees', (img) => rotate(img, 3)],
    ['skewed -5 degrees', (img) => rotate(img, -5)],
    ['turned 90 degrees', (img) => rotate(img, 90)],
    ['turned 180 degrees', (img) => rotate(img, 180)],
    ['turned 270 degrees', (img) => rotate(img, 270)],
    ['speckled (5% salt and pepper, grain sigma 25)', (img) => addNoise(img, { speckle: 0.05, sigma: 25 })],
    ['heavily speckled (15%, sigma 40)', (img) => addNoise(img, { speckle: 0.15, sigma: 40 })],
    ['scanned at 150 dpi', (img) => downsample(img, 2)],
    ['scanned at 150 dpi, skewed 3 degrees and speckled', (img) => addNoise(downsample(rotate(img, 3), 2), { speckle: 0.03, sigma: 20 })],
  ];
  for (const symbology of ['code128', 'datamatrix', 'qrcode'] as const) {
    for (const [what, degrade] of degradations) {
      it(`given a ${symbology} ${what} when read then it still decodes`, async () => {
        const { image } = await page(symbology);
        const hits = await reader.read(degrade(image), { formats: [symbology === 'code128' ? 'Code128' : symbology === 'datamatrix' ? 'DataMatrix' : 'QRCode'] });
        assert.deepEqual(hits.map((h) => h.text), [CODE]);
      });
    }
  }

  it('given a heavily speckled Code 128 when read without retries then the clean-up pass is what finds it', async () => {
    // Documents why the retry passes exist; if ZXing alone learns to read this, drop the 'cleaned' pass.
    const noisy = addNoise((await page('code128')).image, { speckle: 0.15, sigma: 40 });
    const withRetry = await reader.read(noisy, { formats: ['Code128'] });
    assert.deepEqual(withRetry.map((h) => `${h.text}/${h.pass}`), [`${CODE}/cleaned`]);
    assert.deepEqual(await reader.read(noisy, { formats: ['Code128'], retry: false }), []);
  });

  it('given several codes of different symbologies on one page when read then each is found once', async () => {
    const a = (await page('code128', makeBarcode('document', 1))).symbol;
    const b = (await page('datamatrix', makeBarcode('location', 2))).symbol;
    const c = (await page('qrcode', makeBarcode('letter', 3))).symbol;
    let image = placeOnPage(a, 2000, 1400, 100, 100);
    image = overlay(image, b, 1500, 150);
    image = overlay(image, c, 300, 900);
    const hits = await reader.read(image, { expect: 3 });
    assert.deepEqual(texts(hits), [
      `Code128:${makeBarcode('document', 1)}`,
      `DataMatrix:${makeBarcode('location', 2)}`,
      `QRCode:${makeBarcode('letter', 3)}`,
    ]);
  });

  it('given an A4 page of text-like marks at 300 dpi when read then no barcode is reported', async () => {
    assert.deepEqual(await reader.read(textLikePage(2480, 3508)), []);
  });

  it('given an A3 page when ZXing reads it then timers keep firing: the event loop never waits on the reading', async () => {
    const a3 = textLikePage(3508, 4960);
    // Every pass (nothing is found): ~1.5 s of WebAssembly and pixel loops, one block each in the main thread.
    const watched = await watchTimers(() => reader.read(a3));
    assert.deepEqual(watched.value, []);
    assertOffTheLoop(watched, 'an A3 page read for codes');
    // The caller's pixels are its own still (a copy went to the thread).
    assert.equal(a3.data.length, 3508 * 4960);
  });

  it('given a blank page when read then the list is empty', async () => {
    assert.deepEqual(await reader.read({ width: 1240, height: 1754, data: new Uint8Array(1240 * 1754).fill(255) }), []);
  });

  it('given pixels that do not match the size when read then it refuses', async () => {
    await assert.rejects(reader.read({ width: 10, height: 10, data: new Uint8Array(99) }), RangeError);
  });
});

function overlay(base: GreyImage, img: GreyImage, x: number, y: number): GreyImage {
  const out = new Uint8Array(base.data);
  for (let row = 0; row < img.height; row++) {
    out.set(img.data.subarray(row * img.width, (row + 1) * img.width), (y + row) * base.width + x);
  }
  return { width: base.width, height: base.height, data: out };
}
