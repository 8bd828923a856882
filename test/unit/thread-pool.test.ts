/**
 * Worker threads for CPU-bound work (src/adapters/thread-pool.ts), and pdfjs rendering in them:
 * the event loop keeps answering while a page is drawn.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { extractPdfText, extractPdfTextHere } from '../../src/adapters/pdf/pdf-text.js';
import { buildArchivePdf, buildArchivePdfHere } from '../../src/adapters/pdf/archive-pdf.js';
import { makeThumbnail } from '../../src/adapters/image/thumbnail.js';
import { countPdfPagesInFile, countPdfPagesInFileHere, renderPdfPage, renderPdfPages } from '../../src/adapters/pdf/pdf-render.js';
import { helperThreads, movableImage, sharedPixels, ThreadPool } from '../../src/adapters/thread-pool.js';
import { BACKGROUND_NICE, setReadingNice } from '../../src/adapters/background-priority.js';
import { createTesseractOcrEngine } from '../../src/adapters/ocr/tesseract-ocr.engine.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { decodeImagePage, decodePageHere, despeckle, imagePages, MAX_IMAGE_PIXELS, resizeGrey, resizeGreyHere, rotateGrey } from '../../src/adapters/image/image-pages.js';
import { guessTextOrientation } from '../../src/adapters/ocr/ocr-engine.js';
import { cropGrey, planBands } from '../../src/adapters/ocr/page-bands.js';
import { guessOrientation, prepareBands, preparePage } from '../../src/adapters/ocr/page-pixels.js';
import { toPgm } from '../../src/adapters/ocr/pgm.js';
import { AppError, Invalid } from '../../src/errors.js';
import { nodeEntry } from '../helpers/entry.js';
import { assertOffTheLoop, watchTimers } from '../helpers/timer-watch.js';
import { LETTER_LINES, renderScan, toJpeg } from '../helpers/scan-samples.js';

const ENTRY = new URL('../helpers/thread-pool-test.worker.js', import.meta.url);
const pools: ThreadPool[] = [];
const pool = (size = 1, idleMs?: number) => {
  const p = new ThreadPool(ENTRY, { size, idleMs });
  pools.push(p);
  return p;
};
after(async () => {
  for (const p of pools) await p.close();
});

/** Pins a thread of `p` for `use`, released after. */
async function withPinned<T>(p: ThreadPool, use: (t: ReturnType<ThreadPool['pin']>) => Promise<T>): Promise<T> {
  const t = p.pin();
  try {
    return await use(t);
  } finally {
    t.release();
  }
}

const until = async (ok: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('thread pool', () => {
  it('given a number of cores when the default pool size is asked then it is one thread per two cores, at least one, at most four', () => {
    assert.deepEqual([1, 2, 3, 4, 7, 8, 16, 64].map((n) => helperThreads(n)), [1, 1, 1, 2, 3, 4, 4, 4]);
    // Without a size a pool grows to that many threads under load, not more.
    const p = new ThreadPool(ENTRY, {});
    pools.push(p);
    const pins = Array.from({ length: helperThreads() + 2 }, () => p.pin());
    try {
      assert.equal(p.running, helperThreads());
    } finally {
      for (const t of pins) t.release();
    }
  });

  it('given an image that is a view into a larger buffer when it is made movable then exactly its pixels are copied and the original stays usable', async () => {
    const backing = new Uint8Array(1000).fill(9);
    const view = backing.subarray(100, 100 + 6 * 4);
    view.set([1, 2, 3, 4, 5, 6], 0);
    const { image, transfer } = movableImage({ width: 6, height: 4, data: view });
    assert.equal(image.data.buffer.byteLength, 24, 'only the image, not the buffer behind the view');
    assert.deepEqual([...image.data.subarray(0, 6)], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(transfer, [image.data.buffer]);
    // run(): pinned for one call, released after; the moved copy is gone here, the original is not.
    const echo = await pool().run<{ args: { image: { data: Uint8Array } } }>('echo', { image }, { transfer });
    assert.deepEqual([...echo.args.image.data.subarray(0, 6)], [1, 2, 3, 4, 5, 6]);
    assert.equal(image.data.byteLength, 0, 'moved, not copied');
    assert.equal(view[5], 6);
  });

  it('given pixels in shared memory when handed to a thread then they are neither copied nor moved: the thread reads the same memory', async () => {
    const data = sharedPixels(6 * 4);
    data.set([1, 2, 3, 4, 5, 6]);
    const { image, transfer } = movableImage({ width: 6, height: 4, data });
    assert.deepEqual(transfer, []);
    assert.equal(image.data.buffer, data.buffer);
    const echo = await pool().run<{ args: { image: { data: Uint8Array } } }>('echo', { image }, { transfer });
    // What came back is a view of the same memory: a write here shows there.
    assert.ok(echo.args.image.data.buffer instanceof SharedArrayBuffer);
    data[0] = 42;
    assert.equal(echo.args.image.data[0], 42);
    assert.equal(data.byteLength, 24, 'the caller keeps its pixels');
  });

  it('given pages decoded from an image, a scanner PDF and drawn by pdfjs when made then their pixels are in shared memory', async () => {
    const scan = renderScan({ dpi: 100, lines: LETTER_LINES.slice(0, 2), seed: 13 });
    const jpeg = await toJpeg(scan, 85, 100);
    const decoded = await decodeImagePage(jpeg);
    assert.ok(decoded.data.buffer instanceof SharedArrayBuffer, 'an uploaded image');
    const doc = await PDFDocument.create();
    doc.addPage([595, 842]).drawImage(await doc.embedJpg(jpeg), { x: 0, y: 0, width: 595, height: 842 });
    const scannerPdf = await doc.save();
    let fromScanner: { image: { data: Uint8Array } } | undefined;
    for await (const p of renderPdfPages(scannerPdf, { dpi: 100 })) fromScanner = p;
    assert.ok(fromScanner!.image.data.buffer instanceof SharedArrayBuffer, 'a scanner PDF page, its JPEG decoded');
    doc.getPage(0).drawText('', { x: 1, y: 1, size: 1 });
    const drawn = await renderPdfPage(await doc.save(), 1, 100);
    assert.ok(drawn.data.buffer instanceof SharedArrayBuffer, 'a page drawn by pdfjs');
  });

  it('given calls when answered then values come back, and bytes the thread moves arrive whole', async () => {
    const t = pool().pin();
    try {
      const echo = await t.call<{ args: unknown; threadId: number }>('echo', { a: [1, 'b'] });
      assert.deepEqual(echo.args, { a: [1, 'b'] });
      assert.ok(echo.threadId > 0);
      const bytes = await t.call<Uint8Array>('bytes', { n: 1_000_000 });
      assert.ok(bytes instanceof Uint8Array);
      assert.equal(bytes.length, 1_000_000);
      assert.equal(bytes[999_999], 7);
    } finally {
      t.release();
    }
  });

  it('given a typed error in the thread when it fails then the caller gets the same type, status, code and details; other errors keep name and message', async () => {
    const t = pool().pin();
    try {
      const err = await t.call('invalid').then(() => null, (e: unknown) => e);
      assert.ok(err instanceof Invalid, String(err));
      assert.equal((err as AppError).status, 400);
      assert.equal((err as AppError).code, 'bad_thing');
      assert.deepEqual((err as AppError).details, { field: 'x' });
      assert.equal((err as Error).message, 'not like that');
      await assert.rejects(t.call('fail'), (e: Error) => e.name === 'RangeError' && e.message === 'out of range' && !(e instanceof AppError));
      await assert.rejects(t.call('nope'), /no such operation: nope/);
      // The thread survives its callers' errors.
      assert.deepEqual((await t.call<{ args: unknown }>('echo', 1)).args, 1);
    } finally {
      t.release();
    }
  });

  it('given a thread that dies under a call when it exits then the call fails with the reason and the next call gets a new thread', async () => {
    const p = pool();
    const t = p.pin();
    const first = (await t.call<{ threadId: number }>('echo')).threadId;
    await assert.rejects(t.call('exit'), /worker thread stopped \(exit code 3\)/);
    await assert.rejects(t.call('echo'), /has stopped/);
    t.release();
    assert.equal(p.running, 0);
    await withPinned(p, async (t2) => assert.notEqual((await t2.call<{ threadId: number }>('echo')).threadId, first));
  });

  it('given a call past its deadline when it hangs then it fails with the caller\'s error and its thread is ended', async () => {
    const p = pool();
    const t = p.pin();
    const started = Date.now();
    await assert.rejects(
      t.call('hang', undefined, { timeoutMs: 300, onTimeout: () => new Invalid('too slow', undefined, 'too_slow') }),
      (e: unknown) => e instanceof Invalid && e.code === 'too_slow',
    );
    assert.ok(Date.now() - started < 5_000);
    t.release();
    assert.equal(p.running, 0);
    await withPinned(p, async (t2) => assert.equal(await t2.call('sleep', { ms: 10 }), 10));
  });

  it('given a call queued behind a slow one when it waits then its deadline counts from its own start, not from the queue', async () => {
    const p = pool();
    const a = p.pin();
    const b = p.pin();
    try {
      const slow = a.call('sleep', { ms: 600 });
      // Waits ~600 ms behind the sleep, then answers at once: within its 300 ms.
      const quick = b.call<{ args: unknown }>('echo', 'after', { timeoutMs: 300 });
      assert.equal(await slow, 600);
      assert.equal((await quick).args, 'after');
    } finally {
      a.release();
      b.release();
    }
  });

  it('given busy threads when more callers come then threads start up to the size and the rest share the least busy', async () => {
    const p = pool(2);
    const a = p.pin();
    const b = p.pin();
    const c = p.pin();
    try {
      const [ia, ib, ic] = await Promise.all([a, b, c].map(async (t) => (await t.call<{ threadId: number }>('echo')).threadId));
      assert.equal(p.running, 2);
      assert.notEqual(ia, ib);
      assert.ok(ic === ia || ic === ib);
    } finally {
      for (const t of [a, b, c]) t.release();
    }
  });

  it('given a released thread when it stays idle then it ends', async () => {
    const p = pool(1, 100);
    const t = p.pin();
    await t.call('echo');
    t.release();
    t.release(); // twice is once
    assert.equal(p.running, 1);
    await until(() => p.running === 0);
  });
});

/**
 * The nice value of each thread of this process (Linux: /proc/self/task/<tid>/stat, field 19).
 * A thread still ending (an idle one a test before ended) may go between the listing and the read.
 */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      return [];
    }
    return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
  });
}
const atBackground = () => threadNices().filter((n) => n === BACKGROUND_NICE).length;

describe('reading at background priority', { skip: process.platform !== 'linux' && 'per-thread nice values are read from /proc' }, () => {
  it('given a pool for background work when its thread starts then the OS runs that thread at the background nice value and the process at its own', async () => {
    const before = atBackground();
    const mine = threadNices()[0];
    const p = new ThreadPool(ENTRY, { size: 1, background: true });
    pools.push(p);
    await withPinned(p, (t) => t.call('echo'));
    assert.equal(atBackground(), before + 1);
    // The main thread (the first task) is untouched: requests keep their priority.
    assert.equal(threadNices()[0], mine);
    const plain = pool();
    await withPinned(plain, (t) => t.call('echo'));
    assert.equal(atBackground(), before + 1, 'a pool without `background` runs at normal priority');
  });

  it('given another reading nice value when a background thread starts then it runs at that value, and at 0 at normal priority, tesseract.js workers too', async () => {
    const count = (n: number) => threadNices().filter((x) => x === n).length;
    try {
      setReadingNice(3);
      const at3 = count(3);
      const p = new ThreadPool(ENTRY, { size: 1, background: true });
      pools.push(p);
      await withPinned(p, (t) => t.call('echo'));
      assert.equal(count(3), at3 + 1);
      setReadingNice(0);
      const lowered = threadNices().filter((n) => n > 0).length;
      const q = new ThreadPool(ENTRY, { size: 1, background: true });
      pools.push(q);
      await withPinned(q, (t) => t.call('echo'));
      assert.equal(threadNices().filter((n) => n > 0).length, lowered);
      // tesseract.js's workers, started by tesseract.js itself, read it from the environment.
      const engine = createTesseractOcrEngine({ workers: 1 });
      try {
        await engine.recognize(renderScan({ dpi: 150, lines: LETTER_LINES.slice(0, 1), seed: 3 }));
        assert.equal(threadNices().filter((n) => n > 0).length, lowered);
      } finally {
        await engine.terminate();
      }
      assert.throws(() => setReadingNice(20), RangeError);
    } finally {
      setReadingNice(BACKGROUND_NICE);
    }
  });

  it('given the installed tesseract.js when our worker entry starts its worker then it runs the script tesseract.js itself would start', () => {
    // tesseract-worker.cjs requires tesseract.js's worker script by its path inside the package;
    // an upgrade that moves it must fail here, by name, before OCR fails at start.
    const require = createRequire(import.meta.url);
    const ours = readFileSync(fileURLToPath(new URL('../../src/adapters/ocr/tesseract-worker.cjs', import.meta.url)), 'utf8');
    const wanted = /require\('(tesseract\.js\/[^']+)'\)/.exec(ours)?.[1];
    assert.ok(wanted, 'tesseract-worker.cjs requires a script of tesseract.js');
    const defaults = require('tesseract.js/src/worker/node/defaultOptions.js') as { workerPath: string };
    assert.equal(require.resolve(wanted), defaults.workerPath);
  });

  it('given the tesseract.js engine when its workers start then they run at the background nice value', async () => {
    const before = atBackground();
    const engine = createTesseractOcrEngine({ workers: 2 });
    try {
      const page = renderScan({ dpi: 150, lines: LETTER_LINES.slice(0, 2), seed: 2 });
      await Promise.all([engine.recognize(page), engine.recognize(page)]);
      // Two OCR workers, and the pixel thread of the orientation guess when this file had none yet.
      assert.ok(atBackground() >= before + 2, `${atBackground()} threads at ${BACKGROUND_NICE}, ${before} before`);
    } finally {
      await engine.terminate();
    }
  });
});

describe('pdfjs rendering in a thread', () => {
  /** A scan pdfjs must draw itself (an empty text drawing over it keeps it off the JPEG shortcut). */
  async function heavyPdf(pages: number): Promise<Uint8Array> {
    const jpeg = await toJpeg(renderScan({ dpi: 300, heightIn: 11.69, lines: LETTER_LINES, seed: 5 }), 85, 300);
    const doc = await PDFDocument.create();
    for (let i = 0; i < pages; i++) {
      const img = await doc.embedJpg(jpeg);
      const page = doc.addPage([595, 842]);
      page.drawImage(img, { x: 0, y: 0, width: 595, height: 842 });
      page.drawText('', { x: 1, y: 1, size: 1 });
    }
    return doc.save();
  }

  it('given a page pdfjs draws when it renders then timers keep firing: the event loop never waits on the drawing', async () => {
    const pdf = await heavyPdf(1);
    await renderPdfPage(pdf, 1, 30); // the thread started and pdfjs loaded: what follows is drawing
    const watched = await watchTimers(() => renderPdfPage(pdf, 1, 400));
    const img = watched.value;
    assert.deepEqual([img.width, img.height], [3306, 4678]);
    // In the main thread the JPEG's decoding and the drawing were one block: most of the render.
    assertOffTheLoop(watched, 'a render at 400 dpi');
  });

  it('given a loop over pages that stops early when broken then the thread is free for the next PDF', async () => {
    const pdf = await heavyPdf(3);
    for await (const p of renderPdfPages(pdf, { dpi: 50 })) {
      assert.equal(p.pageNo, 1);
      break;
    }
    const img = await renderPdfPage(pdf, 3, 50);
    assert.equal(img.width, 413);
    await assert.rejects(renderPdfPage(pdf, 4, 50), (e: unknown) => e instanceof Invalid && e.code === 'page_out_of_range');
    await assert.rejects(renderPdfPage(new TextEncoder().encode('%PDF-1.4 nothing else'), 1, 50), (e: unknown) => e instanceof Invalid && e.code === 'corrupt_pdf');
  });

  it('given a long born-digital PDF when its text layer is read then timers keep firing, and the text is what reading it in place gives', async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    for (let p = 1; p <= 150; p++) {
      const page = doc.addPage([595, 842]);
      for (let l = 0; l < 50; l++) page.drawText(`Pagina ${p} regel ${l}: factuur K-${p * 100 + l} totaal 1.234,56 EUR`, { x: 40, y: 800 - l * 15, size: 9, font });
    }
    const pdf = await doc.save();
    const blank = await PDFDocument.create();
    blank.addPage();
    await extractPdfText(await blank.save()); // the thread is up and pdfjs loaded
    const watched = await watchTimers(() => extractPdfText(pdf));
    const text = watched.value;
    // pdfjs yields between pages, so in the main thread no single wait was long (27-71 ms here),
    // but the main thread used 1,060-1,460 ms of CPU for it; in the thread 90-220 ms.
    assertOffTheLoop(watched, '150 pages of text read');
    assert.equal(text.pageCount, 150);
    assert.match(text.pages[149]!.text, /Pagina 150 regel 49: factuur K-15049/);
    assert.deepEqual(text, await extractPdfTextHere(pdf));
    assert.equal(pdf.byteLength > 0, true, 'the caller keeps its bytes');
    await assert.rejects(extractPdfText(new TextEncoder().encode('%PDF-1.4 nothing else')), (e: unknown) => e instanceof Invalid && e.code === 'corrupt_pdf');
    await assert.rejects(extractPdfText(new Uint8Array(0)), (e: unknown) => e instanceof Invalid && e.code === 'corrupt_pdf');
  });

  it('given an upload whose cross-reference table is broken when its pages are counted then timers keep firing and the count is right', async () => {
    // 400 small scans: pdfjs finds no table where startxref points and reads every object (~0.4 s here).
    const jpeg = await toJpeg(renderScan({ dpi: 100, lines: LETTER_LINES, seed: 12 }), 85, 100);
    const doc = await PDFDocument.create();
    for (let i = 0; i < 400; i++) doc.addPage([595, 842]).drawImage(await doc.embedJpg(jpeg), { x: 0, y: 0, width: 595, height: 842 });
    const whole = Buffer.from(await doc.save({ useObjectStreams: false })).toString('latin1');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dossierlink-count-'));
    try {
      const file = path.join(dir, 'upload');
      writeFileSync(file, Buffer.from(`${whole.slice(0, whole.lastIndexOf('startxref'))}startxref\n12345\n%%EOF\n`, 'latin1'));
      await countPdfPagesInFile(file); // the thread is up and pdfjs loaded
      const watched = await watchTimers(() => countPdfPagesInFile(file));
      const pages = watched.value;
      // In the main thread the longest wait was most of the count (356 of 406 ms here).
      assertOffTheLoop(watched, '400 pages counted');
      assert.equal(pages, 400);
      assert.equal(await countPdfPagesInFileHere(file), 400);
      writeFileSync(file, '%PDF-1.4 kapot');
      await assert.rejects(countPdfPagesInFile(file), (e: unknown) => e instanceof Invalid && e.code === 'corrupt_pdf');
      writeFileSync(file, '');
      await assert.rejects(countPdfPagesInFile(file), (e: unknown) => e instanceof Invalid && e.code === 'corrupt_pdf');
      await assert.rejects(countPdfPagesInFile(path.join(dir, 'gone')), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('given pages being drawn when an upload is counted then the count does not wait for the page in the drawing', async () => {
    const heavy = await heavyPdf(2);
    const one = await PDFDocument.create();
    one.addPage();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dossierlink-count-'));
    try {
      const file = path.join(dir, 'upload');
      writeFileSync(file, await one.save());
      await countPdfPagesInFile(file); // its thread is up
      // Pages at 300 dpi, ~0.6 s each, drawn one after the other in a render thread, which answers
      // its calls in order. Once the first is drawn, the second is being drawn.
      let drawn = 0;
      const drawing = (async () => {
        for await (const _ of renderPdfPages(heavy, { dpi: 300 })) drawn++;
      })();
      await until(() => drawn >= 1, 60_000);
      assert.equal(await countPdfPagesInFile(file), 1);
      assert.equal(drawn, 1, 'the count waited for the page being drawn');
      await drawing;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('given pages being drawn for ingest when a thumbnail is asked for on demand then it does not wait for the page in the drawing', async () => {
    const heavy = await heavyPdf(2);
    const one = await PDFDocument.create();
    one.addPage();
    const bytes = await one.save();
    await makeThumbnail(bytes, 'application/pdf', { forRequest: true }); // its thread is up
    let drawn = 0;
    const drawing = (async () => {
      for await (const _ of renderPdfPages(heavy, { dpi: 300 })) drawn++;
    })();
    await until(() => drawn >= 1, 60_000);
    const thumbnail = await makeThumbnail(bytes, 'application/pdf', { forRequest: true });
    assert.equal(drawn, 1, 'the thumbnail waited for the page being drawn');
    assert.equal(thumbnail.width, 240);
    await drawing;
  });

  it('given a process whose only work is a render when it runs then it waits for the page and then exits, the idle thread not holding it', async () => {
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, nodeEntry('test/helpers/thread-pool-child.ts'), { timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout.trim()), { width: 200, height: 100 });
    // The render thread stays (no idle end) but is not referenced without a call: the process ends.
    assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
  });
});

describe('page images decoded in an image thread', () => {
  it('given an uploaded image when its pages are decoded then the pixels equal decoding in place and come back in shared memory', async () => {
    const scan = renderScan({ dpi: 300, lines: LETTER_LINES.slice(0, 4), seed: 21 });
    const jpeg = await toJpeg(scan, 85, 300);
    const here = await decodePageHere({ bytes: jpeg, pageNo: 1, maxPixels: MAX_IMAGE_PIXELS });
    const pages = [];
    for await (const p of imagePages(jpeg, { ocrDpi: 300 })) pages.push(p);
    assert.equal(pages.length, 1);
    assert.ok(pages[0]!.image.data.buffer instanceof SharedArrayBuffer, 'shared, not a native buffer on this heap');
    assert.deepEqual([pages[0]!.image.width, pages[0]!.image.height], [here.width, here.height]);
    assert.ok(Buffer.from(pages[0]!.image.data).equals(Buffer.from(here.data)), 'the same pixels');
  });

  it('given a page scaled for reading codes when scaled then it equals scaling in place, in shared memory', async () => {
    const page = renderScan({ dpi: 300, lines: LETTER_LINES.slice(0, 3), seed: 22 });
    const scaled = await resizeGrey(page, 1000);
    assert.ok(scaled.data.buffer instanceof SharedArrayBuffer);
    const here = await resizeGreyHere({ image: page, width: 1000 });
    assert.equal(scaled.width, 1000);
    assert.ok(Buffer.from(scaled.data).equals(Buffer.from(here.data)));
  });

  it('given a damaged image when decoded in the thread then the caller gets corrupt_image, as decoding in place says', async () => {
    const jpeg = await toJpeg(renderScan({ dpi: 100, lines: LETTER_LINES.slice(0, 2), seed: 23 }), 85, 100);
    const damaged = Buffer.concat([jpeg.subarray(0, 600), Buffer.alloc(4000, 0x55), jpeg.subarray(jpeg.length - 200)]);
    await assert.rejects(decodeImagePage(damaged), (err: unknown) => err instanceof Invalid && err.code === 'corrupt_image');
  });

  it('given scans being decoded for ingest when a scanner PDF\'s thumbnail is asked for on demand then it does not wait behind them', async () => {
    const big = await toJpeg(renderScan({ dpi: 600, heightIn: 11.69, lines: LETTER_LINES, seed: 24 }), 85, 600);
    const doc = await PDFDocument.create();
    const small = await toJpeg(renderScan({ dpi: 100, lines: LETTER_LINES.slice(0, 2), seed: 25 }), 85, 100);
    doc.addPage([595, 842]).drawImage(await doc.embedJpg(small), { x: 0, y: 0, width: 595, height: 842 });
    const scannerPdf = await doc.save();
    await makeThumbnail(scannerPdf, 'application/pdf', { forRequest: true }); // its thread is up
    await decodeImagePage(small); // and the image thread
    const queued = 6;
    let decoded = 0;
    const decoding = Promise.all(Array.from({ length: queued }, () => decodeImagePage(big).then(() => decoded++)));
    const thumbnail = await makeThumbnail(scannerPdf, 'application/pdf', { forRequest: true });
    assert.ok(decoded < queued, `the thumbnail waited for all ${queued} pages being decoded`);
    assert.equal(thumbnail.width, 240);
    await decoding;
  });
});

describe('pixel work around OCR in a thread', () => {
  it('given a page when its orientation is guessed in a thread then the guess is the one made in place', async () => {
    const page = rotateGrey(renderScan({ dpi: 300, lines: LETTER_LINES, seed: 8 }), 90);
    const guess = await guessOrientation(page);
    assert.deepEqual(guess, guessTextOrientation(page));
    assert.equal(guess.rotation, 270);
  });

  it('given a large page turned and despeckled when its bands are prepared then the plan and PGMs equal the work in place, and timers keep firing meanwhile', async () => {
    // A 600 dpi scan: turning, despeckling and planning it are seconds of pixel loops.
    const page = renderScan({ dpi: 600, lines: LETTER_LINES, seed: 9 });
    await prepareBands({ width: 64, height: 64, data: new Uint8Array(64 * 64).fill(255) }, 0, false, 1); // the thread is up
    const watched = await watchTimers(() => prepareBands(page, 180, true, 2));
    assertOffTheLoop(watched, 'a 600 dpi page prepared in bands');
    const prepared = watched.value;
    const turned = despeckle(rotateGrey(page, 180));
    const plan = planBands(turned, 2);
    assert.deepEqual(prepared.plan, plan);
    assert.equal(prepared.pgms.length, plan.bands.length);
    prepared.pgms.forEach((pgm, i) => {
      assert.ok(Buffer.isBuffer(pgm));
      assert.ok(pgm.buffer instanceof SharedArrayBuffer, 'written into shared memory, not moved to this heap');
      assert.ok(pgm.equals(toPgm(cropGrey(turned, plan.bands[i]!))), `band ${i}`);
    });
  });

  it('given a large page when it is prepared whole for the native engine then its PGM is the page turned and despeckled in place, and timers keep firing meanwhile', async () => {
    const page = renderScan({ dpi: 600, lines: LETTER_LINES, seed: 10 });
    await preparePage({ width: 8, height: 8, data: new Uint8Array(64) }, 0, false); // the thread is up
    const watched = await watchTimers(() => preparePage(page, 90, true));
    assertOffTheLoop(watched, 'a 600 dpi page prepared whole');
    const pgm = watched.value;
    assert.ok(Buffer.isBuffer(pgm));
    assert.ok(pgm.equals(toPgm(despeckle(rotateGrey(page, 90)))));
    assert.ok((await preparePage(page, 0, false)).equals(toPgm(page)));
  });
});

describe('archive copies built in a thread', () => {
  const words = Array.from({ length: 300 }, (_, i) => ({ text: `woord${i}`, confidence: 90, bbox: { x0: (i % 10) * 200, y0: Math.floor(i / 10) * 60, x1: (i % 10) * 200 + 150, y1: Math.floor(i / 10) * 60 + 40 } }));
  const scanned = async (n: number) => {
    const img = renderScan({ dpi: 300, lines: LETTER_LINES, seed: 11 });
    const jpeg = await toJpeg(img, 70, 300);
    return Array.from({ length: n }, (_, i) => ({ pageNo: i + 1, jpeg, width: img.width, height: img.height, dpi: 300, result: { text: '', confidence: 90, rotation: 0 as const, words } }));
  };

  it('given a 30-page scan when its archive copy is built then timers keep firing, the bytes are those built in place and the caller keeps its JPEGs', async () => {
    const ocrPages = await scanned(30);
    const input = { original: new Uint8Array(0), mime: 'image/tiff', pageCount: 30, ocrPages };
    await buildArchivePdf({ ...input, ocrPages: ocrPages.slice(0, 1), pageCount: 1 }); // the thread is up, pdf-lib loaded
    const watched = await watchTimers(() => buildArchivePdf(input));
    const pdf = watched.value;
    // In the main thread pdf-lib wrote it in one block: the longest wait was the whole build (~0.2-0.5 s).
    assertOffTheLoop(watched, 'an archive copy of 30 pages');
    assert.ok(pdf && Buffer.from(pdf).equals(Buffer.from((await buildArchivePdfHere(input))!)));
    assert.equal((await PDFDocument.load(pdf!)).getPageCount(), 30);
    assert.ok(ocrPages[0]!.jpeg.byteLength > 0, 'the caller keeps its JPEGs');
  });

  it('given a PDF with a born-digital page among scans when built in the thread then the page is copied; a damaged original is refused as corrupt_pdf', async () => {
    const doc = await PDFDocument.create();
    doc.addPage([595, 842]).drawText('Geboren digitaal', { x: 50, y: 780, size: 14 });
    doc.addPage([595, 842]);
    const original = await doc.save();
    const [page] = await scanned(1);
    const input = { original, mime: 'application/pdf', pageCount: 2, ocrPages: [{ ...page!, pageNo: 2 }] };
    const pdf = await buildArchivePdf(input);
    assert.ok(pdf && Buffer.from(pdf).equals(Buffer.from((await buildArchivePdfHere(input))!)));
    assert.match((await extractPdfTextHere(pdf!)).pages[0]!.text, /Geboren digitaal/);
    assert.equal(original.byteLength > 0 && original[0], 0x25, 'the caller keeps its original');
    await assert.rejects(buildArchivePdf({ ...input, original: new TextEncoder().encode('%PDF-1.4 kapot') }), (e: unknown) => e instanceof Invalid && e.code === 'corrupt_pdf');
    assert.equal(await buildArchivePdf({ ...input, ocrPages: [] }), null, 'a born-digital PDF is its own archive copy');
  });
});
