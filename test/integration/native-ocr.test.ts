import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNativeTesseractEngine, findNativeTesseract } from '../../src/adapters/ocr/native-tesseract.engine.js';
import { loadTesseractAddon } from '../../src/adapters/ocr/tesseract-addon.js';
import { extractPdfText } from '../../src/adapters/pdf/pdf-text.js';
import type { DocumentView } from '../../src/domain/document.js';
import { computeCer } from '../../src/domain/text-metrics.js';
import { textOf, upload, waitFinal } from '../helpers/ingest-helpers.js';
import { LETTER_TEXT, renderScan, toJpeg } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// The native engine is optional: where the binary is missing these tests skip, nothing else does.
const installed = Boolean(await findNativeTesseract());

// The in-process library is built where libtesseract-dev is installed (.ci/run installs it).
const built = Boolean(loadTesseractAddon());
const ways = [
  { via: 'library' as const, skip: !built ? 'native/dossier_tesseract.cc is not built (apt-get install libtesseract-dev, then npm install)' : !installed ? 'tesseract is not installed' : false },
  { via: 'cli' as const, skip: installed ? false : 'tesseract is not installed (apt-get install tesseract-ocr)' },
];

for (const { via, skip } of ways) {
  describe(`${createNativeTesseractEngine.name} via ${via}`, { skip, concurrency: 2 }, () => {
    const ocr = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 2, via });
    after(() => ocr.terminate());

    it('given a clean 300 dpi letter when read natively then text, confidence, word boxes and stage costs are right', async () => {
      assert.equal(ocr.via, via);
      const r = await ocr.recognize(renderScan({ dpi: 300 }));
      const cer = computeCer(LETTER_TEXT, r.text);
      assert.ok(cer <= 0.02, `CER ${cer}`);
      assert.ok(r.confidence >= 85, `confidence ${r.confidence}`);
      assert.equal(r.rotation, 0);
      const id = r.words?.find((w) => w.text === 'KL-000123');
      assert.ok(id, 'the customer number is one word');
      assert.ok(id.bbox.x0 > 300 && id.bbox.x1 < 1200 && id.bbox.y1 - id.bbox.y0 > 25 && id.bbox.y1 - id.bbox.y0 < 60, JSON.stringify(id.bbox));
      assert.equal(r.timings?.passes, 1, 'an upright clean page costs one OCR pass');
    });

    it('given a letter fed in upside down when read natively then it reads upright and reports the turn', async () => {
      const r = await ocr.recognize(renderScan({ dpi: 200, rotate: 180 }));
      assert.equal(r.rotation, 180);
      assert.ok(computeCer(LETTER_TEXT, r.text) <= 0.03);
    });

    it('given an aborted signal when reading then it rejects and the engine keeps working', async () => {
      const c = new AbortController();
      const pending = ocr.recognize(renderScan({ dpi: 300 }), { signal: c.signal });
      setTimeout(() => c.abort(new Error('stop')), 50);
      await assert.rejects(pending, /stop/);
      const r = await ocr.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000123'] }));
      assert.match(r.text, /KL-000123/);
    });
  });
}

describe('native OCR in-process against the CLI', { skip: ways[0]!.skip, concurrency: 1 }, () => {
  it('given the same pages when read in-process and by the CLI then both give exactly the same words', async () => {
    const library = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 1, via: 'library' });
    const cli = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 1, via: 'cli' });
    try {
      // A clean page, a noisy one (read again despeckled, with tesseract's heavy noise removal) and one upside down (turned before reading).
      const pages = [renderScan({ dpi: 300 }), renderScan({ dpi: 300, noise: 0.02, seed: 7 }), renderScan({ dpi: 200, rotate: 180 })];
      for (const [i, page] of pages.entries()) {
        const [a, b] = [await library.recognize(page), await cli.recognize(page)];
        if (i === 1) assert.equal(a.timings?.passes, 2, 'the noisy page is read a second time, despeckled');
        if (i === 2) assert.equal(a.rotation, 180);
        assert.equal(a.text, b.text);
        assert.equal(a.rotation, b.rotation);
        assert.equal(a.confidence, b.confidence);
        assert.deepEqual(a.words, b.words);
        assert.equal(a.timings?.passes, b.timings?.passes);
      }
    } finally {
      await Promise.all([library.terminate(), cli.terminate()]);
    }
  });

  it('given wrong arguments or missing language data when the library is called then it throws a clear error, no crash', () => {
    const addon = loadTesseractAddon()!;
    assert.match(addon.version(), /^5\./);
    assert.throws(() => addon.open('/nonexistent-tessdata', 'nld'), /could not be loaded for nld/);
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const notAnEngine = {} as Parameters<typeof addon.recognize>[0];
    assert.throws(() => addon.recognize(notAnEngine, new Uint8Array(4), 2, 2, false, stop, 0), /not an engine/);
    assert.throws(() => (addon.recognize as (...a: unknown[]) => unknown)(notAnEngine), /recognize\(engine, pixels/);
  });

  it('given a page past its time limit when read in-process then it fails with the limit and the next page reads', async () => {
    const ocr = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 1, via: 'library', pageTimeoutMs: 30 });
    try {
      await assert.rejects(ocr.recognize(renderScan({ dpi: 300, heightIn: 11.69 })), /took over 30 ms/);
    } finally {
      await ocr.terminate();
    }
    const next = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 1, via: 'library' });
    try {
      assert.match((await next.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000123'] }))).text, /KL-000123/);
    } finally {
      await next.terminate();
    }
  });

  it('given passes running when the engine is terminated then they end at once and reject', async () => {
    const ocr = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 2, via: 'library' });
    // Warm first: the engine opens its models on a thread's first page.
    await ocr.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000123'] }));
    const pending = [ocr.recognize(renderScan({ dpi: 300, heightIn: 11.69 })), ocr.recognize(renderScan({ dpi: 300, heightIn: 11.69, seed: 3 }))];
    await new Promise((r) => setTimeout(r, 60));
    const t = performance.now();
    await ocr.terminate();
    const results = await Promise.allSettled(pending);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.ok(performance.now() - t < 2000, `terminated in ${Math.round(performance.now() - t)} ms`);
  });
});

describe('ingest with DOSSIER_OCR_ENGINE=native', { skip: installed ? false : 'tesseract is not installed' }, () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { DOSSIER_OCR_ENGINE: 'native', DOSSIER_OCR_WORKERS: '1' } });
    await t.dl.startWorkers();
  });
  after(() => t?.close());

  it('given a JPEG scan when ingested natively then it is read and its archive embeds the original JPEG bytes', async () => {
    const jpeg = await toJpeg(renderScan({ dpi: 300 }));
    const res = await upload(t, jpeg, 'scan.jpg');
    assert.equal(res.status, 202);
    const doc = await waitFinal(t, ((await res.json()) as DocumentView).id);
    assert.notEqual(doc.status, 'failed');
    assert.ok(computeCer(LETTER_TEXT, await textOf(t, doc.id)) <= 0.02);
    const row = await t.dl.db.get<{ archive_sha256: string }>('SELECT archive_sha256 FROM documents WHERE id = ?', [doc.id]);
    const archive = new Uint8Array(await t.dl.store.getBuffer(row!.archive_sha256));
    // Embedded as is: the scan's own bytes appear inside the PDF (no second lossy encode).
    assert.ok(Buffer.from(archive).includes(jpeg), 'the original JPEG is inside the archive');
    const layer = await extractPdfText(archive);
    assert.match(layer.pages[0]!.text, /KL-000123/);
  });
});
