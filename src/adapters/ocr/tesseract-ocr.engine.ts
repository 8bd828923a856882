/**
 * OCR with tesseract.js (WebAssembly), fully offline: a lazily grown pool of workers, each
 * leased for a whole page so orientation and noise retries run back to back on one worker.
 * Workers idle at the moment a page is read help with it: the page is cut into bands at
 * whitespace and read side by side (page-bands.ts), so a page alone is not held to one core.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Tesseract from 'tesseract.js';
import type { GreyImage } from '../pdf/pdf-render.js';
import { joinBands, type BandPlan } from './page-bands.js';
import { readPage } from './page-reading.js';
import { prepareBands } from './page-pixels.js';
import { toPgm } from './pgm.js';
import { parseTsvWords } from './tsv-words.js';

export { toPgm };

/** tesseract-worker.cjs: tesseract.js's worker at background priority (a plain .cjs, beside this file compiled or not). */
const TESSERACT_WORKER = fileURLToPath(new URL('./tesseract-worker.cjs', import.meta.url));
import type { OcrEngine, OcrOptions, OcrResult, Rotation } from './ocr-engine.js';

/** The subset of a pino logger we use; never given document text. */
export type OcrLogger = { warn(obj: object, msg?: string): void; debug?(obj: object, msg?: string): void };

export type TesseractOcrOptions = {
  /** Traineddata packages `@tesseract.js-data/<lang>`; the first is the primary language. */
  langs?: string[];
  workers?: number;
  logger?: OcrLogger;
  /** A folder already holding `<lang>.traineddata.gz` for every lang (skips the package lookup). */
  langPath?: string;
  createTimeoutMs?: number;
  pageTimeoutMs?: number;
  /**
   * A page is read in bands on idle workers only when no other page finished in this many ms:
   * pages arriving one after another (a batch) keep every core busy with their other stages
   * (decoding, barcodes), and splitting them measurably cost throughput. Default 1500.
   */
  bandsAfterQuietMs?: number;
};

/**
 * PSM 3 (automatic layout) as the CLI uses: the API default, 6, reads speckle as text. The
 * debug file swallows tesseract's chatter ("Estimating resolution as ...") on stderr.
 */
const INIT_CONFIG = 'tessedit_pageseg_mode 3\ndebug_file /dev/null\n';
/** Heavy noise removal only on the despeckle retry: on clean pages it also eats dots and commas. */
const DENOISE_PARAMS = { textord_heavy_nr: '1' } as unknown as Partial<Tesseract.RecognizeOptions>;

type Slot = { worker: Tesseract.Worker; broken: boolean };

/**
 * Creates the engine; workers start on first use and are reused until `terminate()`.
 * @example const ocr = createTesseractOcrEngine({ langs: ['nld', 'eng'] }); const { text } = await ocr.recognize(page);
 */
export function createTesseractOcrEngine(opts: TesseractOcrOptions = {}): OcrEngine & { readonly workersStarted: number } {
  const langs = opts.langs ?? ['nld', 'eng'];
  const max = Math.max(1, opts.workers ?? os.availableParallelism());
  const createTimeoutMs = opts.createTimeoutMs ?? 60_000;
  const pageTimeoutMs = opts.pageTimeoutMs ?? 180_000;
  const log = opts.logger;
  const quietMs = opts.bandsAfterQuietMs ?? 1500;
  /** When the last page finished (its lease ended): pages in a stream do not get split. */
  let lastPageEnd = -Infinity;
  const all = new Set<Slot>();
  const idle: Slot[] = [];
  const waiting: { resolve: (s: Slot) => void; reject: (e: unknown) => void }[] = [];
  /** Rejecters of passes in flight, so `terminate()` settles them instead of leaving callers hanging. */
  const inflight = new Set<(e: Error) => void>();
  let creating = 0;
  /** Workers started since creation: restarts after an abort or a failure show here. */
  let workersStarted = 0;
  let terminated = false;
  let langDir: { path: string; temp: boolean } | undefined;
  const removeLangDir = () => {
    if (langDir?.temp) rmSync(langDir.path, { recursive: true, force: true });
    langDir = undefined;
  };

  async function spawn(): Promise<Slot> {
    if (!langDir) {
      langDir = prepareLangDir(langs, opts.langPath);
      process.once('exit', removeLangDir);
    }
    const started = performance.now();
    workersStarted++;
    let failed: ((e: unknown) => void) | undefined;
    const creation = Tesseract.createWorker(langs, Tesseract.OEM.LSTM_ONLY, {
      langPath: langDir.path,
      cacheMethod: 'none', // else traineddata is written into the working directory
      // tesseract.js's own worker script, started at background priority (background-priority.ts).
      workerPath: TESSERACT_WORKER,
      gzip: true,
      // Without a handler a failed job throws inside tesseract.js and takes the process down.
      errorHandler: (err: unknown) => {
        if (terminated) log?.debug?.({ err: String(err) }, 'tesseract worker reported an error while the engine stopped');
        else log?.warn({ err: String(err) }, 'tesseract worker reported an error');
        failed?.(err);
      },
    }, INIT_CONFIG);
    // A failed language load can leave createWorker pending forever: give up after a while.
    const worker = await new Promise<Tesseract.Worker>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tesseract worker did not start in ${createTimeoutMs} ms`)), createTimeoutMs);
      failed = (e) => reject(new Error(`tesseract worker failed to start: ${String(e)}`));
      creation.then(resolve, reject).finally(() => clearTimeout(timer));
    });
    failed = undefined;
    log?.debug?.({ ms: Math.round(performance.now() - started), langs }, 'tesseract worker started');
    const slot: Slot = { worker, broken: false };
    // tesseract.js listens with `onerror`, which worker_threads ignores: an uncaught error
    // in the thread would otherwise be an unhandled 'error' event that kills the process.
    const thread = (worker as unknown as { worker?: NodeJS.EventEmitter }).worker;
    thread?.on('error', (err) => {
      slot.broken = true;
      log?.warn({ err: String(err) }, 'tesseract worker thread crashed');
    });
    thread?.on('exit', () => (slot.broken = true));
    return slot;
  }

  /**
   * Starts a worker, counted while it starts. `terminate()` cannot see a worker still starting:
   * one that finishes starting afterwards is stopped here, and the traineddata folder it reads
   * from is removed only once no worker is starting (removed under it, the load fails).
   */
  async function startWorker(): Promise<Slot> {
    creating++;
    try {
      const slot = await spawn();
      if (terminated) {
        void slot.worker.terminate().catch(() => undefined);
        throw new Error('OCR engine terminated');
      }
      return slot;
    } catch (err) {
      throw terminated ? new Error('OCR engine terminated') : err;
    } finally {
      creating--;
      if (terminated && creating === 0) removeLangDir();
    }
  }

  async function acquire(signal?: AbortSignal): Promise<Slot> {
    signal?.throwIfAborted();
    if (terminated) throw new Error('OCR engine terminated');
    const free = idle.pop();
    if (free) return free;
    if (all.size + creating < max) {
      const slot = await startWorker();
      all.add(slot);
      return slot;
    }
    return new Promise<Slot>((resolve, reject) => {
      const entry = { resolve, reject };
      waiting.push(entry);
      signal?.addEventListener('abort', () => {
        const i = waiting.indexOf(entry);
        if (i >= 0) waiting.splice(i, 1);
        reject(signal.reason);
      }, { once: true });
    });
  }

  function release(slot: Slot): void {
    if (slot.broken || terminated) return void discard(slot);
    const next = waiting.shift();
    if (next) next.resolve(slot);
    else idle.push(slot);
  }

  function discard(slot: Slot): void {
    all.delete(slot);
    void slot.worker.terminate().catch(() => undefined);
    // Hand the freed capacity to someone who is waiting, with a fresh worker.
    const next = waiting.shift();
    if (next && !terminated) {
      startWorker().then((s) => (all.add(s), next.resolve(s)), next.reject);
    }
  }

  /**
   * Other workers idle right now, taken for the bands of one page. Only when nobody waits for a
   * worker and no page finished just before: with a queue or a stream of pages every worker is
   * busy on a page of its own, which pays better.
   */
  function borrowIdle(n: number): Slot[] {
    if (waiting.length > 0 || terminated || performance.now() - lastPageEnd < quietMs) return [];
    return idle.splice(Math.max(0, idle.length - n), n);
  }

  /**
   * One recognition pass at a rotation. The page is read in bands cut at whitespace, one per
   * worker that is idle at this moment (one band, the text area, when none is), and the bands
   * joined back in page coordinates.
   */
  async function pass(slot: Slot, image: GreyImage, rotation: Rotation, denoise: boolean, signal?: AbortSignal, until?: AbortSignal): Promise<OcrResult> {
    signal?.throwIfAborted();
    until?.throwIfAborted();
    const helpers = borrowIdle(max - 1);
    let plan: BandPlan;
    let pgms: Buffer[];
    try {
      // Turned, despeckled, planned and written as PGM in a pixel thread (page-pixels.ts).
      ({ plan, pgms } = await prepareBands(image, rotation, denoise, 1 + helpers.length));
    } catch (err) {
      helpers.forEach(release);
      throw err;
    }
    helpers.splice(plan.bands.length - 1).forEach(release);
    // Stopped while the page was being prepared: no pass is under way yet, so none is started.
    if (signal?.aborted || until?.aborted) {
      helpers.forEach(release);
      signal?.throwIfAborted();
      until?.throwIfAborted();
    }
    const slots = [slot, ...helpers];
    const settled = await Promise.allSettled(pgms.map((pgm, i) => recognizeOn(slots[i]!, pgm, denoise, signal)));
    helpers.forEach(release);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const results = settled.map((r) => ({ ...(r as PromiseFulfilledResult<Omit<OcrResult, 'rotation'>>).value, rotation }));
    if (plan.bands.length > 1) log?.debug?.({ bands: plan.bands.length }, 'ocr page read in bands');
    return { ...joinBands(plan, results), timings: { orientationMs: 0, ocrMs: 0, passes: 1, bands: plan.bands.length } };
  }

  /** One tesseract call; aborts and timeouts kill the worker (wasm cannot be interrupted). */
  async function recognizeOn(slot: Slot, pgm: Buffer, denoise: boolean, signal?: AbortSignal): Promise<Omit<OcrResult, 'rotation'>> {
    signal?.throwIfAborted();
    log?.debug?.({ bytes: pgm.length, denoise }, 'ocr pass started');
    const job = slot.worker.recognize(sharedAsIs(pgm), denoise ? DENOISE_PARAMS : {}, { text: true, tsv: true });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let stop: ((e: Error) => void) | undefined;
    try {
      const { data } = await Promise.race([
        job,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`OCR of one page took over ${pageTimeoutMs} ms`)), pageTimeoutMs);
          onAbort = () => reject(signal!.reason);
          signal?.addEventListener('abort', onAbort, { once: true });
          inflight.add((stop = reject));
        }),
      ]);
      return { text: data.text.trim(), confidence: Math.round(data.confidence), words: parseTsvWords(data.tsv ?? '') };
    } catch (err) {
      slot.broken = true;
      throw err;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      if (stop) inflight.delete(stop);
    }
  }

  /** The shared page-reading policy (orientation, retries) over this engine's passes. */
  function readPageOn(slot: Slot, image: GreyImage, signal?: AbortSignal, until?: AbortSignal): Promise<OcrResult> {
    return readPage((img, rotation, denoise) => pass(slot, img, rotation, denoise, signal, until), image, log);
  }

  return {
    workers: max,
    get workersStarted() {
      return workersStarted;
    },
    async recognize(image: GreyImage, o: OcrOptions = {}): Promise<OcrResult> {
      // Waiting for a worker ends on either signal: nothing runs yet.
      const slot = await acquire(o.signal && o.until ? AbortSignal.any([o.signal, o.until]) : (o.signal ?? o.until));
      try {
        return await readPageOn(slot, image, o.signal, o.until);
      } finally {
        lastPageEnd = performance.now();
        release(slot);
      }
    },
    async terminate(): Promise<void> {
      terminated = true;
      for (const w of waiting.splice(0)) w.reject(new Error('OCR engine terminated'));
      for (const stop of inflight) stop(new Error('OCR engine terminated'));
      idle.length = 0;
      await Promise.all([...all].map((s) => s.worker.terminate().catch(() => undefined)));
      all.clear();
      if (creating === 0) removeLangDir();
      process.removeListener('exit', removeLangDir);
    },
  };
}


/**
 * A PGM in shared memory goes to tesseract.js as its SharedArrayBuffer: tesseract.js copies any
 * Buffer or typed array it is given (`new Uint8Array(image)`, 8.7 MB a 300 dpi page) before
 * posting it to its thread, and on the main thread every such copy brought a full garbage
 * collection closer (see toPgm); a view of the shared buffer is posted without a copy.
 */
function sharedAsIs(pgm: Buffer): Tesseract.ImageLike {
  const whole = pgm.buffer instanceof SharedArrayBuffer && pgm.byteOffset === 0 && pgm.byteLength === pgm.buffer.byteLength;
  return whole ? (pgm.buffer as unknown as Tesseract.ImageLike) : pgm;
}

/**
 * tesseract.js reads every language from one folder, but each language ships in its own
 * package: link the LSTM-only (`4.0.0_best_int`, half the memory of the default) files
 * side by side in a temp folder.
 */
function prepareLangDir(langs: string[], override?: string): { path: string; temp: boolean } {
  if (override) {
    for (const l of langs) {
      if (!existsSync(path.join(override, `${l}.traineddata.gz`))) throw new Error(`${l}.traineddata.gz not found in ${override}`);
    }
    return { path: override, temp: false };
  }
  const require = createRequire(import.meta.url);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dossierlink-tessdata-'));
  for (const l of langs) {
    let pkg: string;
    try {
      pkg = path.dirname(require.resolve(`@tesseract.js-data/${l}/package.json`));
    } catch {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`OCR language '${l}' is not installed (npm package @tesseract.js-data/${l})`);
    }
    const file = path.join(pkg, '4.0.0_best_int', `${l}.traineddata.gz`);
    const link = path.join(dir, `${l}.traineddata.gz`);
    try {
      symlinkSync(file, link);
    } catch {
      copyFileSync(file, link);
    }
  }
  return { path: dir, temp: true };
}
