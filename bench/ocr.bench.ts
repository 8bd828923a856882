/**
 * OCR and text-layer benchmark: our tesseract.js engine against the native `tesseract` CLI (when
 * installed) on the same generated pages and the same traineddata, and the native engine
 * in-process where it is built (native/dossier_tesseract.cc), plus born-digital PDF text
 * extraction speed. Wired into `npm run bench` elsewhere; importing this file runs nothing.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { createNativeTesseractEngine } from '../src/adapters/ocr/native-tesseract.engine.js';
import type { OcrEngine, OcrResult } from '../src/adapters/ocr/ocr-engine.js';
import { loadTesseractAddon } from '../src/adapters/ocr/tesseract-addon.js';
import { createTesseractOcrEngine, toPgm } from '../src/adapters/ocr/tesseract-ocr.engine.js';
import type { GreyImage } from '../src/adapters/pdf/pdf-render.js';
import { extractPdfText } from '../src/adapters/pdf/pdf-text.js';
import { computeCer } from '../src/domain/text-metrics.js';
import { LETTER_LINES, LETTER_TEXT, makeTextPdf, renderScan, type ScanOptions } from '../test/helpers/scan-samples.js';

const LANGS = ['nld', 'eng'];
const VARIANTS: [string, ScanOptions][] = [
  ['clean 300dpi', { dpi: 300 }],
  ['clean 300dpi A4', { dpi: 300, heightIn: 11.69 }],
  ['clean 200dpi', { dpi: 200 }],
  ['low-res 150dpi', { dpi: 150 }],
  ['skewed 3°', { dpi: 300, skewDeg: 3 }],
  ['skewed -2° noisy', { dpi: 300, skewDeg: -2, noise: 0.002 }],
  ['noisy', { dpi: 300, noise: 0.004 }],
  ['rotated 90°', { dpi: 300, rotate: 90 }],
  ['upside down', { dpi: 300, rotate: 180 }],
  ['rotated 270°', { dpi: 300, rotate: 270 }],
];

type PageRun = { name: string; ms: number; cer: number; confidence?: number; rotation?: number };

/** Runs `work` over items with `limit` in flight; returns wall time and per-item results in order. */
async function pooled<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<{ wallMs: number; results: R[] }> {
  const results = new Array<R>(items.length);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return { wallMs: performance.now() - t0, results };
}

async function benchEngine(pages: { name: string; image: GreyImage }[], workers: number, make: () => OcrEngine = () => createTesseractOcrEngine({ langs: LANGS, workers })) {
  const rssBefore = process.memoryUsage().rss;
  const engine = make();
  try {
    // Warm up every worker (start-up is paid once per process, not per page).
    const t0 = performance.now();
    await Promise.all(Array.from({ length: workers }, () => engine.recognize(renderScan({ dpi: 100, lines: ['warm up'] }))));
    const startupMs = performance.now() - t0;
    const rssPerWorkerMb = (process.memoryUsage().rss - rssBefore) / 1e6 / workers;
    // One page at a time: latency per page, and what orientation handling adds.
    const sequential: PageRun[] = [];
    for (const p of pages) {
      const t = performance.now();
      const r: OcrResult = await engine.recognize(p.image);
      sequential.push({ name: p.name, ms: performance.now() - t, cer: computeCer(LETTER_TEXT, r.text), confidence: r.confidence, rotation: r.rotation });
    }
    // All workers busy: throughput.
    const { wallMs } = await pooled(pages, workers, (p) => engine.recognize(p.image));
    const peakRssMb = process.memoryUsage().rss / 1e6;
    // WebAssembly memory only grows: after 300 dpi A4 pages each worker keeps its high-water mark.
    const rssPerWorkerAfterPagesMb = (process.memoryUsage().rss - rssBefore) / 1e6 / workers;
    return { startupMs, rssPerWorkerMb, rssPerWorkerAfterPagesMb, peakRssMb, sequential, pagesPerMinute: (pages.length / wallMs) * 60_000 };
  } finally {
    await engine.terminate();
  }
}

async function nativeTesseract(): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('which', ['tesseract']);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The native CLI on the same pages and the same (gunzipped) LSTM traineddata, one process per core. */
async function benchNative(bin: string, pages: { name: string; image: GreyImage }[], procs: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dossierlink-bench-'));
  try {
    const require = createRequire(import.meta.url);
    for (const l of LANGS) {
      const gz = path.join(path.dirname(require.resolve(`@tesseract.js-data/${l}/package.json`)), '4.0.0_best_int', `${l}.traineddata.gz`);
      writeFileSync(path.join(dir, `${l}.traineddata`), gunzipSync(readFileSync(gz)));
    }
    const files = pages.map((p, i) => {
      const f = path.join(dir, `page-${i}.pgm`);
      writeFileSync(f, toPgm(p.image));
      return { name: p.name, file: f };
    });
    const run = (file: string) =>
      new Promise<{ ms: number; text: string }>((resolve, reject) => {
        const t = performance.now();
        // OMP_THREAD_LIMIT=1: with OpenMP on, processes fight over the cores (4x slower on 2).
        const child = spawn(bin, [file, 'stdout', '-l', LANGS.join('+'), '--oem', '1', '--psm', '3', '--tessdata-dir', dir], {
          env: { ...process.env, OMP_THREAD_LIMIT: '1' },
        });
        let text = '';
        child.stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t, text }) : reject(new Error(`tesseract exited ${code}`))));
      });
    const sequential: PageRun[] = [];
    for (const f of files) {
      const r = await run(f.file);
      sequential.push({ name: f.name, ms: r.ms, cer: computeCer(LETTER_TEXT, r.text) });
    }
    const { wallMs } = await pooled(files, procs, (f) => run(f.file));
    return { sequential, pagesPerMinute: (files.length / wallMs) * 60_000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchTextLayer() {
  const pdf = await makeTextPdf(Array.from({ length: 100 }, (_, i) => [...LETTER_LINES, `Pagina ${i + 1}`]));
  await extractPdfText(await makeTextPdf([LETTER_LINES])); // load pdfjs once
  const t0 = performance.now();
  const { pageCount } = await extractPdfText(pdf);
  const ms = performance.now() - t0;
  return { pages: pageCount, ms, pagesPerSecond: (pageCount / ms) * 1000 };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const f = (n: number | undefined, d = 0) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

/**
 * Runs the benchmark, prints a table and returns the numbers.
 * @example const report = await benchOcr();
 */
export async function benchOcr(): Promise<Record<string, unknown>> {
  const cores = os.availableParallelism();
  const pages = VARIANTS.map(([name, opts]) => ({ name, image: renderScan(opts) }));
  const ours = await benchEngine(pages, cores);
  const bin = await nativeTesseract();
  const native = bin ? await benchNative(bin, pages, cores) : undefined;
  // The native engine in-process (libtesseract, where built), with the service's page-reading rules, as tesseract.js here.
  const inProcess = loadTesseractAddon() ? await benchEngine(pages, cores, () => createNativeTesseractEngine({ langs: LANGS, workers: cores, via: 'library' })) : undefined;
  const textLayer = await benchTextLayer();

  const upright = (runs: PageRun[]) => runs.filter((r) => !/rotated|upside/.test(r.name));
  const turned = (runs: PageRun[]) => runs.filter((r) => /rotated|upside/.test(r.name));
  console.log(`\nOCR, ${pages.length} generated business-letter pages, langs ${LANGS.join('+')}, ${cores} cores`);
  console.log('page                 | ours ms | ours CER | conf | rot | native ms | native CER');
  console.log('---------------------|---------|----------|------|-----|-----------|-----------');
  ours.sequential.forEach((r, i) => {
    const n = native?.sequential[i];
    console.log(
      `${r.name.padEnd(20)} | ${f(r.ms).padStart(7)} | ${f(r.cer, 3).padStart(8)} | ${f(r.confidence).padStart(4)} | ${String(r.rotation).padStart(3)} | ${f(n?.ms).padStart(9)} | ${f(n?.cer, 3).padStart(10)}`,
    );
  });
  const summary = {
    cores,
    engineStartupMs: Math.round(ours.startupMs),
    engineRssPerWorkerMb: Math.round(ours.rssPerWorkerMb),
    engineRssPerWorkerAfterPagesMb: Math.round(ours.rssPerWorkerAfterPagesMb),
    enginePeakRssMb: Math.round(ours.peakRssMb),
    engineMsPerPageUpright: Math.round(mean(upright(ours.sequential).map((r) => r.ms))),
    engineMsPerPageTurned: Math.round(mean(turned(ours.sequential).map((r) => r.ms))),
    engineMeanCer: Number(mean(ours.sequential.map((r) => r.cer)).toFixed(4)),
    enginePagesPerMinute: Math.round(ours.pagesPerMinute),
    nativeInstalled: Boolean(bin),
    nativeMsPerPageUpright: native ? Math.round(mean(upright(native.sequential).map((r) => r.ms))) : null,
    nativeMeanCer: native ? Number(mean(native.sequential.map((r) => r.cer)).toFixed(4)) : null,
    nativeMeanCerUpright: native ? Number(mean(upright(native.sequential).map((r) => r.cer)).toFixed(4)) : null,
    nativePagesPerMinute: native ? Math.round(native.pagesPerMinute) : null,
    throughputRatioOursToNative: native ? Number((ours.pagesPerMinute / native.pagesPerMinute).toFixed(2)) : null,
    nativeInProcessPagesPerMinute: inProcess ? Math.round(inProcess.pagesPerMinute) : null,
    nativeInProcessMeanCer: inProcess ? Number(mean(inProcess.sequential.map((r) => r.cer)).toFixed(4)) : null,
    nativeInProcessMsPerPageUpright: inProcess ? Math.round(mean(upright(inProcess.sequential).map((r) => r.ms))) : null,
    throughputRatioNativeInProcessToNative: inProcess && native ? Number((inProcess.pagesPerMinute / native.pagesPerMinute).toFixed(2)) : null,
    textLayerPagesPerSecond: Math.round(textLayer.pagesPerSecond),
    textLayerMsFor100Pages: Math.round(textLayer.ms),
    pages: ours.sequential,
  };
  console.log('');
  console.log(`ours:    ${summary.enginePagesPerMinute} pages/min with ${cores} workers, mean CER ${f(summary.engineMeanCer, 3)}`);
  console.log(`         ${summary.engineMsPerPageUpright} ms/page upright, ${summary.engineMsPerPageTurned} ms/page turned (orientation handling)`);
  console.log(`         start-up ${summary.engineStartupMs} ms; RSS per worker ~${summary.engineRssPerWorkerMb} MB idle, ~${summary.engineRssPerWorkerAfterPagesMb} MB after A4 pages; peak RSS ${summary.enginePeakRssMb} MB`);
  if (native) {
    console.log(`native:  ${summary.nativePagesPerMinute} pages/min with ${cores} processes, mean CER ${f(summary.nativeMeanCer ?? NaN, 3)} (upright only ${f(summary.nativeMeanCerUpright ?? NaN, 3)})`);
    console.log(`ratio:   ours/native throughput = ${summary.throughputRatioOursToNative}`);
    if (inProcess) console.log(`native in-process: ${summary.nativeInProcessPagesPerMinute} pages/min, mean CER ${f(summary.nativeInProcessMeanCer ?? NaN, 3)}; ratio to the CLI ${summary.throughputRatioNativeInProcessToNative}`);
  } else {
    console.log('native tesseract not installed (apt-get install tesseract-ocr)');
  }
  console.log(`text layer: ${summary.textLayerPagesPerSecond} born-digital pages/s (100 pages in ${summary.textLayerMsFor100Pages} ms)\n`);
  return summary;
}
