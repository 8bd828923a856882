import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNativeTesseractEngine, findNativeTesseract } from '../../src/adapters/ocr/native-tesseract.engine.js';
import { pageFolderBases } from '../../src/adapters/ocr/ocr-process.js';
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
const notBuilt = !built ? 'native/dossier_tesseract.cc is not built (apt-get install libtesseract-dev, then npm install)' : !installed ? 'tesseract is not installed' : false;
const ways = [
  { via: 'library' as const, isolation: 'process' as const, skip: notBuilt },
  { via: 'library' as const, isolation: 'thread' as const, skip: notBuilt },
  { via: 'cli' as const, isolation: undefined, skip: installed ? false : 'tesseract is not installed (apt-get install tesseract-ocr)' },
];

for (const { via, isolation, skip } of ways) {
  describe(`${createNativeTesseractEngine.name} via ${via}${isolation ? ` in a ${isolation}` : ''}`, { skip, concurrency: 2 }, () => {
    const ocr = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 2, via, isolation });
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

for (const isolation of ['process', 'thread'] as const) describe(`native OCR library in a ${isolation} against the CLI`, { skip: notBuilt, concurrency: 1 }, () => {
  it('given the same pages when read by the library and by the CLI then both give exactly the same words', async () => {
    const library = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 1, via: 'library', isolation });
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

  it('given a page past its time limit when read by the library then it fails with the limit and the next page reads', async () => {
    const ocr = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 1, via: 'library', isolation, pageTimeoutMs: 30 });
    try {
      await assert.rejects(ocr.recognize(renderScan({ dpi: 300, heightIn: 11.69 })), /took over 30 ms/);
    } finally {
      await ocr.terminate();
    }
    const next = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 1, via: 'library', isolation });
    try {
      assert.match((await next.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000123'] }))).text, /KL-000123/);
    } finally {
      await next.terminate();
    }
  });

  it('given passes running when the engine is terminated then they end at once and reject', async () => {
    const ocr = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 2, via: 'library', isolation });
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

/** The OCR process the engine started (this process's one child running native-tesseract.host). */
function ocrProcessPid(): number | undefined {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.includes('native-tesseract.host'));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

describe('native OCR in a process of its own', { skip: notBuilt, concurrency: 1 }, () => {
  it('given the library crashing mid-page when reading then that page fails clearly, the service lives on and the next page reads', async () => {
    const warnings: { why?: string; pages?: number }[] = [];
    const logger = { warn: (o: object) => warnings.push(o as { why?: string; pages?: number }) };
    const ocr = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 2, via: 'library', logger: logger as never });
    try {
      await ocr.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000123'] }));
      const first = ocrProcessPid();
      assert.ok(first, 'the library reads in a child process');
      const pending = ocr.recognize(renderScan({ dpi: 300, heightIn: 11.69 }));
      // What a fault inside libtesseract does to the process it runs in.
      assert.equal(await crashWhenReading(), first);
      await assert.rejects(pending, /native OCR process ended \(SIGSEGV\) while reading this page/);
      assert.deepEqual(warnings.map((w) => [w.why, w.pages]), [['SIGSEGV', 1]]);
      // A new process reads the next pages, the same words as before.
      const again = await ocr.recognize(renderScan({ dpi: 300 }));
      assert.ok(computeCer(LETTER_TEXT, again.text) <= 0.02);
      const second = ocrProcessPid();
      assert.ok(second && second !== first, `a new OCR process (${first} -> ${second})`);
    } finally {
      await ocr.terminate();
    }
    await waitFor(() => ocrProcessPid() === undefined, 'terminate() ends the OCR process');
  });
});

describe('native OCR page files', { skip: notBuilt }, () => {
  it('given a page folder left by a killed service when the OCR process reads a page then that folder is removed, a live one kept and no page file stays', async () => {
    // Where the engine puts them first: memory where /dev/shm can be written, else the temp folder.
    const base = pageFolderBases()[0]!;
    // A process that is gone, and one that lives (this one's parent).
    const gone = spawnSync('true').pid!;
    const stale = mkdtempSync(path.join(base, `dossierlink-ocr-${gone}-`));
    writeFileSync(path.join(stale, 'page-1.grey'), new Uint8Array(1024));
    const live = mkdtempSync(path.join(base, `dossierlink-ocr-${process.ppid}-`));
    const ocr = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 1, via: 'library' });
    try {
      await ocr.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000123'] }));
      assert.equal(existsSync(stale), false, 'the folder of the killed service is removed');
      assert.equal(existsSync(live), true, 'the folder of a running process is kept');
      const mine = readdirSync(base).filter((n) => n.startsWith(`dossierlink-ocr-${process.pid}-`));
      assert.equal(mine.length, 1, 'one folder of this process');
      assert.deepEqual(readdirSync(path.join(base, mine[0]!)), [], 'the page file is removed once read');
      assert.equal(statSync(path.join(base, mine[0]!)).mode & 0o777, 0o700, 'private to the service user');
      await ocr.terminate();
      assert.equal(existsSync(path.join(base, mine[0]!)), false, 'terminate() removes the folder');
    } finally {
      await ocr.terminate();
      rmSync(live, { recursive: true, force: true });
    }
  });

  it('given memory that takes no page (full, or not a folder) when a page is read then it goes to the next place and is read', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dossierlink-test-pages-'));
    const notAFolder = path.join(dir, 'shm');
    writeFileSync(notAFolder, 'a file where a folder was expected');
    const disk = path.join(dir, 'tmp');
    mkdirSync(disk);
    const ocr = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 1, via: 'library', pageFolderBases: [notAFolder, disk] });
    const nowhere = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 1, via: 'library', pageFolderBases: [notAFolder] });
    try {
      assert.match((await ocr.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000123'] }))).text, /KL-000123/);
      const folders = readdirSync(disk);
      assert.equal(folders.length, 1, 'the page went to the second place');
      assert.deepEqual(readdirSync(path.join(disk, folders[0]!)), [], 'and was removed once read');
      // With nowhere to put it, the page fails with what went wrong (and its job tries again later).
      await assert.rejects(nowhere.recognize(renderScan({ dpi: 150, lines: ['Klantnummer: KL-000123'] })), /a page for the native OCR process could not be written \(ENOTDIR\)/);
    } finally {
      await Promise.all([ocr.terminate(), nowhere.terminate()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Kills the OCR process with SIGSEGV (what a fault inside libtesseract does) at a moment it is
 * reading: when its CPU time grows (waiting for a page it uses none); returns its pid.
 */
async function crashWhenReading(): Promise<number> {
  let seen: { pid: number; cpu: number } | undefined;
  for (let i = 0; i < 6000; i++) {
    const pid = ocrProcessPid();
    if (pid && seen?.pid === pid && cpuTicks(pid) - seen.cpu >= 5) {
      process.kill(pid, 'SIGSEGV');
      return pid;
    }
    if (pid && seen?.pid !== pid) seen = { pid, cpu: cpuTicks(pid) };
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the OCR process was never caught reading');
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

async function waitFor(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), what);
}

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

  it('given the OCR process crashing while it reads a scan when ingesting then the job reads it again and the document is complete', { skip: notBuilt }, async () => {
    // A4 high: not the same file as the test before (that would be a duplicate, never read).
    const res = await upload(t, await toJpeg(renderScan({ dpi: 300, heightIn: 11.69 })), 'scan.jpg');
    assert.equal(res.status, 202);
    const id = ((await res.json()) as DocumentView).id;
    const crashed = await crashWhenReading();
    // Read completely (the same letter as the test before: held for review as a likely duplicate).
    const doc = await waitFinal(t, id);
    assert.notEqual(doc.status, 'failed');
    assert.ok(computeCer(LETTER_TEXT, await textOf(t, id)) <= 0.02);
    // The job is marked done just after the document is final.
    const jobOf = () => t.dl.db.get<{ attempts: number; status: string }>("SELECT attempts, status FROM jobs WHERE kind = 'ingest' AND payload LIKE ?", [`%${id}%`]);
    let job = await jobOf();
    for (let i = 0; i < 200 && job?.status !== 'done'; i++) (await new Promise((r) => setTimeout(r, 25)), (job = await jobOf()));
    assert.equal(job?.status, 'done');
    assert.ok(job!.attempts >= 2, `read again after the crash (attempts ${job!.attempts})`);
    assert.notEqual(ocrProcessPid(), crashed, 'a new OCR process read it');
  });
});
