// postgres-pass: skip (the OCR engine alone, no database)
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { imagePages, rotateGrey } from '../../src/adapters/image/image-pages.js';
import type { OcrResult } from '../../src/adapters/ocr/ocr-engine.js';
import { createTesseractOcrEngine } from '../../src/adapters/ocr/tesseract-ocr.engine.js';
import { renderPdfPages } from '../../src/adapters/pdf/pdf-render.js';
import { extractPdfText } from '../../src/adapters/pdf/pdf-text.js';
import { buildSearchablePdf } from '../../src/adapters/pdf/searchable-pdf.js';
import { computeCer } from '../../src/domain/text-metrics.js';
import { LETTER_TEXT, renderScan, toImagePdf, toMultiPageTiff, type ScanOptions } from '../helpers/scan-samples.js';

// One engine for the file, as in production: workers start on first use and are reused.
const ocr = createTesseractOcrEngine({ langs: ['nld', 'eng'], workers: 2 });
after(() => ocr.terminate());

function assertReads(result: OcrResult, expected: string, maxCer: number): void {
  const cer = computeCer(expected, result.text);
  assert.ok(cer <= maxCer, `CER ${cer.toFixed(3)} > ${maxCer} (confidence ${result.confidence}, rotation ${result.rotation})`);
}

const read = (opts: ScanOptions) => ocr.recognize(renderScan(opts));

// Pages are independent, so let both workers run.
describe(createTesseractOcrEngine.name, { concurrency: 2 }, () => {
  it('given a clean 300 dpi letter when read then the text, confidence and word boxes are right', async () => {
    const result = await read({ dpi: 300 });
    assertReads(result, LETTER_TEXT, 0.02);
    assert.ok(result.confidence >= 85, `confidence ${result.confidence}`);
    assert.equal(result.rotation, 0);
    assert.match(result.text, /Klantnummer: KL-000123/);
    assert.match(result.text, /financiële/);
    assert.match(result.text, /EUR 1\.234,56/);
    const id = result.words?.find((w) => w.text === 'KL-000123');
    assert.ok(id, 'the customer number is one word');
    // 12 pt text at 300 dpi starting 1 inch in: the box is ~300 px from the left, ~35-50 px tall.
    assert.ok(id.bbox.x0 > 300 && id.bbox.x1 < 1200 && id.bbox.y1 - id.bbox.y0 > 25 && id.bbox.y1 - id.bbox.y0 < 60, JSON.stringify(id.bbox));
  });

  for (const turned of [90, 180, 270] as const) {
    it(`given a letter fed in turned ${turned}° when read then it reads upright and reports the correction`, async () => {
      const result = await read({ dpi: 200, rotate: turned });
      assertReads(result, LETTER_TEXT, 0.03);
      assert.equal(result.rotation, (360 - turned) % 360);
    });
  }

  it('given a letter skewed 3° on the glass when read then it still reads', async () => {
    assertReads(await read({ dpi: 300, skewDeg: 3 }), LETTER_TEXT, 0.03);
  });

  it('given a dusty, grainy scan when read then it reads within 15% character errors', async () => {
    assertReads(await read({ dpi: 300, noise: 0.004 }), LETTER_TEXT, 0.15);
  });

  it('given a 150 dpi scan when read then it still reads', async () => {
    assertReads(await read({ dpi: 150 }), LETTER_TEXT, 0.03);
  });

  it('given ALL-CAPS text upside down (no ascender clue) when read then the OCR retry turns it', async () => {
    const lines = ['OFFERTE FINANCIELE ADMINISTRATIE', 'KLANTNUMMER KL-000123', 'TOTAAL EUR 1.234,56'];
    const result = await read({ dpi: 200, lines, rotate: 180 });
    assertReads(result, lines.join('\n'), 0.05);
    assert.equal(result.rotation, 180);
  });

  it('given a blank page when read then the text is empty and no retries are spent', async () => {
    const t0 = performance.now();
    const result = await read({ dpi: 200, lines: [] });
    assert.equal(result.text, '');
    assert.ok(performance.now() - t0 < 5_000, `${performance.now() - t0} ms`);
  });

  it('given a 2-page TIFF when each page is read then each gives its own text', async () => {
    const a = ['Pagina een: Offerte', 'Klantnummer: KL-000123'];
    const b = ['Pagina twee: Factuur', 'Klantnummer: KL-000456'];
    const tiff = await toMultiPageTiff([renderScan({ dpi: 200, lines: a, heightIn: 2 }), renderScan({ dpi: 200, lines: b, heightIn: 2 })]);
    const texts: string[] = [];
    for await (const { image } of imagePages(tiff)) texts.push((await ocr.recognize(image)).text);
    assert.equal(texts.length, 2);
    assert.ok(computeCer(a.join(' '), texts[0]!) < 0.05 && computeCer(b.join(' '), texts[1]!) < 0.05, JSON.stringify(texts));
  });

  it('given an image-only PDF when OCR-ed and archived then the archive has a text layer with the words', async () => {
    const scanned = await toImagePdf([renderScan({ dpi: 200 })], { dpi: 200 });
    assert.equal((await extractPdfText(scanned)).pages[0]!.hasTextLayer, false);
    const archivePages = [];
    for await (const { image } of renderPdfPages(scanned, { dpi: 200 })) {
      const result = await ocr.recognize(image);
      archivePages.push({ image: rotateGrey(image, result.rotation), dpi: 200, words: result.words ?? [] });
    }
    const archive = await buildSearchablePdf(archivePages);
    const layer = (await extractPdfText(archive)).pages[0]!;
    assert.equal(layer.hasTextLayer, true);
    assert.match(layer.text, /KL-000123/);
    assertReads({ text: layer.text, confidence: 0, rotation: 0 }, LETTER_TEXT, 0.03);
  });

  it('given a signal aborted mid-page when reading then it rejects promptly and the engine keeps working', async () => {
    const controller = new AbortController();
    const pending = ocr.recognize(renderScan({ dpi: 300, noise: 0.004 }), { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('upload cancelled')), 150);
    const t0 = performance.now();
    await assert.rejects(pending, /upload cancelled/);
    assert.ok(performance.now() - t0 < 2_000, 'abort was not prompt');
    await assert.rejects(ocr.recognize(renderScan({ dpi: 100 }), { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assertReads(await read({ dpi: 150, lines: ['Klantnummer: KL-000123'] }), 'Klantnummer: KL-000123', 0.05);
  });

  it('given a page no longer wanted when its reading is stopped between passes then the pass under way finishes and no worker is restarted, unlike a stop at once', async () => {
    // Each page is stopped once tesseract is on it (the pixel work before a pass runs in a thread
    // of its own and may take longer than any fixed delay on a loaded machine).
    let passStarted: (() => void) | undefined;
    const logger = { warn() {}, debug: (_: object, msg?: string) => void (msg === 'ocr pass started' && passStarted?.()) };
    const own = createTesseractOcrEngine({ langs: ['nld', 'eng'], workers: 1, logger });
    try {
      assertReads(await own.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000123'] })), 'Klantnummer: KL-000123', 0.05);
      assert.equal(own.workersStarted, 1);
      const between = new AbortController();
      passStarted = () => setTimeout(() => between.abort(new Error('a coupon, not a letter')), 150);
      const pending = own.recognize(renderScan({ dpi: 300, noise: 0.004 }), { until: between.signal });
      await assert.rejects(pending, /a coupon, not a letter/);
      assertReads(await own.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000124'] })), 'Klantnummer: KL-000124', 0.05);
      assert.equal(own.workersStarted, 1, 'the worker that finished its pass read the next page');
      passStarted = undefined;
      await assert.rejects(own.recognize(renderScan({ dpi: 100 }), { until: AbortSignal.abort() }), { name: 'AbortError' });
      // The reference: stopped at once, the worker is killed mid-pass and a new one reads the next page.
      const atOnce = new AbortController();
      passStarted = () => setTimeout(() => atOnce.abort(new Error('upload cancelled')), 150);
      const killed = own.recognize(renderScan({ dpi: 300, noise: 0.004 }), { signal: atOnce.signal });
      await assert.rejects(killed, /upload cancelled/);
      assertReads(await own.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000125'] })), 'Klantnummer: KL-000125', 0.05);
      assert.equal(own.workersStarted, 2);
    } finally {
      await own.terminate();
    }
  });
});
