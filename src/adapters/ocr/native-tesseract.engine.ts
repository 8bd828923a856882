/**
 * OCR with native tesseract (Debian's tesseract-ocr), behind the same port as the tesseract.js
 * engine and with the same page-reading policy and the same LSTM traineddata
 * (`@tesseract.js-data/<lang>` 4.0.0_best_int, gunzipped once into a temp folder). Optional:
 * chosen with DOSSIER_OCR_ENGINE=native where it is installed; the default stays tesseract.js.
 *
 * Two ways to run it, the same words either way:
 * - `library` (where libtesseract-dev let `npm install` build native/dossier_tesseract.cc): one
 *   engine per OCR thread, loaded once and kept warm, the threads in an OCR process of their own
 *   (`isolation`). A page pass is one call: measured on the
 *   bench's pages, 0.30 s of CPU against 0.52 s for a CLI run, which loads its traineddata
 *   (~0.1 s) and reads a PGM file for every page.
 * - `cli`: one `tesseract` process per page pass.
 * At most `workers` passes at a time, each single-threaded (OMP_THREAD_LIMIT=1: with OpenMP on,
 * passes fight over the cores, 4-10x slower on 2).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { GreyImage } from '../pdf/pdf-render.js';
import type { OcrEngine, OcrOptions, OcrResult, Rotation } from './ocr-engine.js';
import { readPage } from './page-reading.js';
import { lowerProcess } from '../background-priority.js';
import type { OcrLogger } from './tesseract-ocr.engine.js';
import { preparePage } from './page-pixels.js';
import { parseTsvWords } from './tsv-words.js';
import { movableImage, ThreadPool } from '../thread-pool.js';
import type { HostPassArgs } from './native-tesseract.host.js';
import { OcrProcess } from './ocr-process.js';
import { loadTesseractAddon, tesseractAddonPath, type AddonPass } from './tesseract-addon.js';

export type NativeTesseractOptions = {
  langs?: string[];
  workers?: number;
  /** Path or name of the binary; default `tesseract` on PATH. */
  binary?: string;
  logger?: OcrLogger;
  pageTimeoutMs?: number;
  /** `library` (libtesseract, where built) or `cli`; default: the library where it loads, else the CLI. */
  via?: 'library' | 'cli';
  /**
   * Where the library reads: `process` (default), an OCR process of its own (ocr-process.ts), so a
   * crash inside the library fails only the pages it was reading; `thread`, threads of this
   * process, 1-4% faster end to end here (no page handed to another process, ~60 MB less memory)
   * but a crash inside the library ends this process.
   */
  isolation?: 'process' | 'thread';
  /** Where the OCR process's page files go, tried in order (ocr-process.ts; for tests). */
  pageFolderBases?: string[];
};

/**
 * Whether native OCR can run here: the in-process library built, or the CLI installed.
 * @example if (!(await nativeTesseractAvailable())) throw ...
 */
export async function nativeTesseractAvailable(): Promise<boolean> {
  return Boolean(loadTesseractAddon()) || Boolean(await findNativeTesseract());
}

/** A word list's mean confidence, as both ways of running report a pass. */
function passResult(text: string, tsv: string, rotation: Rotation): OcrResult {
  const words = parseTsvWords(tsv);
  const confidence = words.length ? Math.round(words.reduce((s, w) => s + w.confidence, 0) / words.length) : 0;
  return { text: text.replace(/\f/g, '').trim(), confidence, rotation, words };
}

/**
 * Path of the installed `tesseract` binary, or undefined (tests skip, config refuses `native`).
 * @example if (await findNativeTesseract()) ...
 */
export async function findNativeTesseract(binary = 'tesseract'): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)(binary, ['--version'], { timeout: 10_000 });
    return /tesseract\s+\d/i.test(stdout) ? binary : undefined;
  } catch {
    return undefined;
  }
}

/** The CLI reads uncompressed traineddata only: the packages ship it gzipped. */
function prepareTessdata(langs: string[]): string {
  const require = createRequire(import.meta.url);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dossierlink-tessdata-native-'));
  try {
    for (const l of langs) {
      const pkg = path.dirname(require.resolve(`@tesseract.js-data/${l}/package.json`));
      writeFileSync(path.join(dir, `${l}.traineddata`), gunzipSync(readFileSync(path.join(pkg, '4.0.0_best_int', `${l}.traineddata.gz`))));
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`OCR language data not installed for ${langs.join('+')}: ${(err as Error).message}`);
  }
  return dir;
}

/**
 * Creates the engine; the traineddata folder is made on first use and removed by `terminate()`.
 * @example const ocr = createNativeTesseractEngine({ langs: ['nld', 'eng'], workers: 2 });
 */
export function createNativeTesseractEngine(opts: NativeTesseractOptions = {}): OcrEngine & { via: 'library' | 'cli'; isolation: 'process' | 'thread' } {
  const langs = opts.langs ?? ['nld', 'eng'];
  const max = Math.max(1, opts.workers ?? os.availableParallelism());
  const binary = opts.binary ?? 'tesseract';
  const pageTimeoutMs = opts.pageTimeoutMs ?? 180_000;
  const built = opts.via !== 'cli' && tesseractAddonPath() !== null;
  if (opts.via === 'library' && !built) throw new Error('native/build/dossier_tesseract.node is not built (apt-get install libtesseract-dev, then npm install)');
  // The library is loaded when first needed (a page, or asking `via`), on the main thread before
  // any OCR thread (see OMP_THREAD_LIMIT in tesseract-addon.ts): a process that never reads a
  // page, an `api`, never maps it. If it does not load, the CLI reads instead (unless asked for the library).
  let library: 'unloaded' | 'loaded' | 'absent' = built ? 'unloaded' : 'absent';
  const useLibrary = (): boolean => {
    if (library === 'unloaded') {
      const loadError = (err: Error) => opts.logger?.warn?.({ err: err.message }, 'native OCR library did not load; running the tesseract CLI');
      library = loadTesseractAddon(loadError) ? 'loaded' : 'absent';
    }
    return library === 'loaded';
  };
  // The library reads in an OCR process of its own (ocr-process.ts) or in threads of this one: one
  // OCR thread per worker, each with its engine; at most `max` passes run (slot), so each has a
  // thread of its own. The process and threads start with the first page.
  const isolation = opts.isolation ?? 'process';
  const host =
    built && isolation === 'process'
      ? new OcrProcess({ threads: max, pageFolderBases: opts.pageFolderBases, onCrash: (why, pages) => opts.logger?.warn?.({ why, pages }, 'the native OCR process ended while reading; its pages fail and their jobs read them again') })
      : undefined;
  const threads = built && isolation === 'thread' ? new ThreadPool(new URL('./native-tesseract.worker.js', import.meta.url), { size: max, background: true }) : undefined;
  /** The stop flags of passes running in this process's threads, raised by terminate(). */
  const running = new Set<Int32Array>();
  const children = new Set<ReturnType<typeof spawn>>();
  let tessdata: string | undefined;
  let terminated = false;
  let busy = 0;
  const waiting: (() => void)[] = [];
  const removeTessdata = () => {
    if (tessdata) rmSync(tessdata, { recursive: true, force: true });
    tessdata = undefined;
  };

  async function slot<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    while (busy >= max) await new Promise<void>((r) => waiting.push(r));
    busy++;
    try {
      signal?.throwIfAborted();
      if (terminated) throw new Error('OCR engine terminated');
      return await work();
    } finally {
      busy--;
      waiting.shift()?.();
    }
  }

  function ensureTessdata(): string {
    if (!tessdata) {
      tessdata = prepareTessdata(langs);
      process.once('exit', removeTessdata);
    }
    return tessdata;
  }

  /**
   * One pass in a warm engine, in the OCR process or a thread here. An abort raises the pass's
   * flag, which tesseract reads after every word: the thread is free again within a word or two,
   * and stays warm.
   */
  async function libraryPass(image: GreyImage, rotation: Rotation, denoise: boolean, signal?: AbortSignal): Promise<OcrResult> {
    signal?.throwIfAborted();
    // A page may still be guessing which way up it is when the engine is terminated: no pass after that.
    if (terminated) throw new Error('OCR engine terminated');
    const dir = ensureTessdata();
    const args = { rotation, denoise, deadlineMs: pageTimeoutMs, tessdata: dir, langs: langs.join('+') };
    // Past its own deadline the pass stops itself; this is for a process or thread that never answers.
    const limits = { timeoutMs: pageTimeoutMs + 60_000, onTimeout: () => new Error(`OCR of one page took over ${pageTimeoutMs} ms`) };
    const r = host ? await host.pass({ ...args, image }, { ...limits, stop: signal }) : await threadPass(image, args, limits, signal);
    if (r.stopped) throw signal?.reason ?? new Error('OCR engine terminated');
    if (r.timedOut) throw new Error(`OCR of one page took over ${pageTimeoutMs} ms`);
    if (!r.ok) throw new Error('tesseract could not read the page');
    return passResult(r.text, r.tsv, rotation);
  }

  async function threadPass(image: GreyImage, args: Omit<HostPassArgs, 'image'>, limits: { timeoutMs: number; onTimeout: () => Error }, signal?: AbortSignal): Promise<AddonPass> {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const onAbort = () => Atomics.store(stop, 0, 1);
    signal?.addEventListener('abort', onAbort, { once: true });
    running.add(stop);
    try {
      const { image: pixels, transfer } = movableImage(image);
      return await threads!.run<AddonPass>('pass', { ...args, image: pixels, stop }, { transfer, ...limits });
    } finally {
      running.delete(stop);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** One CLI run: the page as PGM in, plain text (exactly what the CLI prints) and word TSV out. */
  async function cliPass(image: GreyImage, rotation: Rotation, denoise: boolean, signal?: AbortSignal): Promise<OcrResult> {
    signal?.throwIfAborted();
    if (terminated) throw new Error('OCR engine terminated');
    const tessdata = ensureTessdata();
    // Turned, despeckled and written as PGM in a pixel thread: ~0.1-0.3 s a page the event loop does not wait for.
    const pgm = await preparePage(image, rotation, denoise);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dossierlink-ocr-'));
    try {
      const input = path.join(dir, 'page.pgm');
      await writeFile(input, pgm);
      const args = [input, path.join(dir, 'out'), '-l', langs.join('+'), '--oem', '1', '--psm', '3', '--tessdata-dir', tessdata];
      if (denoise) args.push('-c', 'textord_heavy_nr=1');
      // As variables, not the `txt tsv` config names: those live in the system tessdata folder,
      // which --tessdata-dir replaces.
      args.push('-c', 'tessedit_create_txt=1', '-c', 'tessedit_create_tsv=1');
      await run(args, signal);
      const [text, tsv] = await Promise.all([readFile(path.join(dir, 'out.txt'), 'utf8'), readFile(path.join(dir, 'out.tsv'), 'utf8')]);
      return passResult(text, tsv, rotation);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  function run(args: string[], signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      // An abort during the page's preparation (temp dir, PGM file) fired before any listener existed.
      if (signal?.aborted) return reject(signal.reason);
      if (terminated) return reject(new Error('OCR engine terminated'));
      const child = spawn(binary, args, { env: { ...process.env, OMP_THREAD_LIMIT: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
      // Requests of this process get a core before OCR does (background-priority.ts).
      lowerProcess(child.pid);
      children.add(child);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
      const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`OCR of one page took over ${pageTimeoutMs} ms`))), pageTimeoutMs);
      const onAbort = () => (child.kill('SIGKILL'), reject(signal!.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        children.delete(child);
        if (code === 0) resolve();
        // stderr may quote the file name only, never document text.
        else reject(new Error(`tesseract exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`.slice(0, 300)));
      });
    });
  }

  const pass = (image: GreyImage, rotation: Rotation, denoise: boolean, signal?: AbortSignal): Promise<OcrResult> => {
    if (useLibrary()) return libraryPass(image, rotation, denoise, signal);
    if (opts.via === 'library') return Promise.reject(new Error('native/build/dossier_tesseract.node did not load'));
    return cliPass(image, rotation, denoise, signal);
  };
  return {
    workers: max,
    /** How pages are read: in-process, or one CLI process a pass. */
    get via(): 'library' | 'cli' {
      return useLibrary() ? 'library' : 'cli';
    },
    /** Where the library reads (the CLI is a process a pass either way). */
    isolation,
    recognize(image: GreyImage, o: OcrOptions = {}): Promise<OcrResult> {
      // A page holds its slot through its retries, as a tesseract.js worker is leased per page.
      // Stopping a pass costs nothing (a CLI process is killed, a library pass stops at the next
      // word and its engine stays warm): `until` stops it as `signal` does.
      const stop = o.signal && o.until ? AbortSignal.any([o.signal, o.until]) : (o.signal ?? o.until);
      return slot(() => readPage((img, rotation, denoise) => pass(img, rotation, denoise, stop), image, opts.logger), stop);
    },
    async terminate(): Promise<void> {
      terminated = true;
      for (const c of children) c.kill('SIGKILL');
      host?.close();
      for (const flag of running) Atomics.store(flag, 0, 1);
      for (const w of waiting.splice(0)) w();
      await threads?.close();
      removeTessdata();
      process.removeListener('exit', removeTessdata);
    },
  };
}
