/**
 * OCR with the native `tesseract` CLI (Debian package tesseract-ocr), behind the same port as
 * the tesseract.js engine and with the same page-reading policy and the same LSTM traineddata
 * (`@tesseract.js-data/<lang>` 4.0.0_best_int, gunzipped once into a temp folder). One process
 * per page pass, at most `workers` at a time, each single-threaded (OMP_THREAD_LIMIT=1: with
 * OpenMP on, processes fight over the cores, 4x slower on 2). Optional: chosen with
 * DOSSIER_OCR_ENGINE=native where the binary is installed; the default stays tesseract.js.
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

export type NativeTesseractOptions = {
  langs?: string[];
  workers?: number;
  /** Path or name of the binary; default `tesseract` on PATH. */
  binary?: string;
  logger?: OcrLogger;
  pageTimeoutMs?: number;
};

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
export function createNativeTesseractEngine(opts: NativeTesseractOptions = {}): OcrEngine {
  const langs = opts.langs ?? ['nld', 'eng'];
  const max = Math.max(1, opts.workers ?? os.availableParallelism());
  const binary = opts.binary ?? 'tesseract';
  const pageTimeoutMs = opts.pageTimeoutMs ?? 180_000;
  const children = new Set<ReturnType<typeof spawn>>();
  let tessdata: string | undefined;
  let terminated = false;
  let running = 0;
  const waiting: (() => void)[] = [];
  const removeTessdata = () => {
    if (tessdata) rmSync(tessdata, { recursive: true, force: true });
    tessdata = undefined;
  };

  async function slot<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    while (running >= max) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      signal?.throwIfAborted();
      if (terminated) throw new Error('OCR engine terminated');
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  }

  /** One CLI run: the page as PGM in, plain text (exactly what the CLI prints) and word TSV out. */
  async function pass(image: GreyImage, rotation: Rotation, denoise: boolean, signal?: AbortSignal): Promise<OcrResult> {
    signal?.throwIfAborted();
    if (!tessdata) {
      tessdata = prepareTessdata(langs);
      process.once('exit', removeTessdata);
    }
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
      const words = parseTsvWords(tsv);
      const confidence = words.length ? Math.round(words.reduce((s, w) => s + w.confidence, 0) / words.length) : 0;
      return { text: text.replace(/\f/g, '').trim(), confidence, rotation, words };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  function run(args: string[], signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      // An abort during the page's preparation (temp dir, PGM file) fired before any listener existed.
      if (signal?.aborted) return reject(signal.reason);
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

  return {
    workers: max,
    recognize(image: GreyImage, o: OcrOptions = {}): Promise<OcrResult> {
      // A page holds its slot through its retries, as a tesseract.js worker is leased per page.
      // Killing a CLI process costs nothing (each pass is a process of its own): `until` stops it as `signal` does.
      const stop = o.signal && o.until ? AbortSignal.any([o.signal, o.until]) : (o.signal ?? o.until);
      return slot(() => readPage((img, rotation, denoise) => pass(img, rotation, denoise, stop), image, opts.logger), stop);
    },
    async terminate(): Promise<void> {
      terminated = true;
      for (const c of children) c.kill('SIGKILL');
      for (const w of waiting.splice(0)) w();
      removeTessdata();
      process.removeListener('exit', removeTessdata);
    },
  };
}
