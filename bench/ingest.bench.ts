/**
 * End-to-end ingest (issue 15): the same scanned pages through the whole service (intake,
 * queue, rasterise, orientation, OCR, archive, detection, index) against the native
 * `tesseract` CLI doing OCR only on the same pages, cores and traineddata, in the same run.
 * Prints where the service's time goes, stage by stage, from the jobs' own log lines. The native
 * engine runs in-process where native/dossier_tesseract.cc is built (`serviceNativeVia`), and
 * then also as one CLI process a page, the way it runs without libtesseract-dev.
 * Options: BENCH_INGEST_PAGES (default 8); BENCH_INGEST_DENSE_ONLY=1 times only the one dense
 * page (service and CLI, interleaved, BENCH_INGEST_DENSE_RUNS times each, default 3) and prints
 * that page's own stage breakdown, for work on per-page latency without the batch.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { PDFDocument } from 'pdf-lib';
import pino from 'pino';
import { createNativeTesseractEngine, findNativeTesseract } from '../src/adapters/ocr/native-tesseract.engine.js';
import { loadTesseractAddon } from '../src/adapters/ocr/tesseract-addon.js';
import { toPgm } from '../src/adapters/ocr/tesseract-ocr.engine.js';
import type { GreyImage } from '../src/adapters/pdf/pdf-render.js';
import { loadConfig } from '../src/config.js';
import { computeCer } from '../src/domain/text-metrics.js';
import { openDossierlink } from '../src/dossierlink.js';
import { LETTER_LINES, renderScan, toJpeg, type ScanOptions } from '../test/helpers/scan-samples.js';

const LANGS = ['nld', 'eng'];
const KINDS: ScanOptions[] = [{ dpi: 300 }, { dpi: 300, heightIn: 11.69 }, { dpi: 300, noise: 0.002 }, { dpi: 300, skewDeg: 2 }, { dpi: 300, rotate: 180 }, { dpi: 200 }, { dpi: 600 }];

export type Page = { lines: string[]; image: GreyImage; jpeg: Buffer; dpi: number };

/**
 * How a page is uploaded: its JPEG; a one-page PDF holding that JPEG over the whole page, as a
 * scanner writes it (decoded natively, src/adapters/pdf/scanned-page.ts); or the same PDF with
 * one empty text drawing added, which makes pdfjs render it (the reference for the PDF path).
 */
type UploadAs = 'jpeg' | 'pdf' | 'pdf-rendered';

async function scannerPdf(p: Page, rendered: boolean): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const img = await doc.embedJpg(p.jpeg);
  const size: [number, number] = [(p.image.width / p.dpi) * 72, (p.image.height / p.dpi) * 72];
  const page = doc.addPage(size);
  page.drawImage(img, { x: 0, y: 0, width: size[0], height: size[1] });
  if (rendered) page.drawText('', { x: 1, y: 1, size: 1 });
  return doc.save();
}

export async function makePages(n: number): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < n; i++) {
    // Each page differs (its own page line), so no upload is an exact duplicate of another.
    const lines = [...LETTER_LINES, `Referentie BENCH-${1000 + i}`];
    const kind = KINDS[i % KINDS.length]!;
    const image = renderScan({ ...kind, lines, seed: i + 1 });
    // The scanner's resolution goes into the file, as scanners write it.
    pages.push({ lines, image, jpeg: await toJpeg(image, 85, kind.dpi ?? 300), dpi: kind.dpi ?? 300 });
  }
  return pages;
}

/** utime, stime, cutime and cstime of a /proc/<pid>/stat, in seconds. */
function procTimes(pid: number | 'self'): [number, number, number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const hz = 100; // USER_HZ on Linux
  // Fields 14-17 (utime, stime, cutime, cstime), counted from after the command name.
  return [f[11], f[12], f[13], f[14]].map((x) => Number(x) / hz) as [number, number, number, number];
}

/** This process's children running now (the native engine's OCR process), by their /proc entries. */
function liveChildren(): number[] {
  try {
    return readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU seconds used so far by this process (worker threads included) and, separately, by its
 * children: those waited for (the CLI) and those still running (the native engine's OCR
 * process, which lives as long as the service). Linux's /proc, null elsewhere.
 */
function cpuSeconds(): { self: number; children: number; sys: number } | null {
  try {
    const [ut, st, cut, cst] = procTimes('self');
    let [lut, lst] = [0, 0];
    for (const pid of liveChildren()) {
      try {
        const [u, s] = procTimes(pid);
        (lut += u), (lst += s);
      } catch {
        // ended between the listing and the read: counted in cutime from now on
      }
    }
    return { self: ut + st, children: cut + cst + lut + lst, sys: st + cst + lst };
  } catch {
    return null;
  }
}
const cpuDelta = (a: ReturnType<typeof cpuSeconds>, b: ReturnType<typeof cpuSeconds>) =>
  a && b ? { self: b.self - a.self, children: b.children - a.children, sys: b.sys - a.sys } : null;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const r1 = (n: number) => Math.round(n * 10) / 10;

/** The reference: the CLI on the decoded pages, one single-threaded process per core, OCR only. */
async function nativeOcrOnly(bin: string, pages: Page[], densePage: Page, procs: number, denseOnly = false) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dossierlink-bench-native-'));
  try {
    const require = createRequire(import.meta.url);
    for (const l of LANGS) {
      const gz = path.join(path.dirname(require.resolve(`@tesseract.js-data/${l}/package.json`)), '4.0.0_best_int', `${l}.traineddata.gz`);
      writeFileSync(path.join(dir, `${l}.traineddata`), gunzipSync(readFileSync(gz)));
    }
    const run = (file: string) =>
      new Promise<{ ms: number; text: string }>((resolve, reject) => {
        const t = performance.now();
        const child = spawn(bin, [file, 'stdout', '-l', LANGS.join('+'), '--oem', '1', '--psm', '3', '--tessdata-dir', dir], { env: { ...process.env, OMP_THREAD_LIMIT: '1' } });
        let text = '';
        child.stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t, text }) : reject(new Error(`tesseract exited ${code}`))));
      });
    const files = pages.map((p, i) => {
      const f = path.join(dir, `p${i}.pgm`);
      writeFileSync(f, toPgm(p.image));
      return f;
    });
    // One page alone first: the per-page latency of a dense A4 page.
    writeFileSync(path.join(dir, 'dense.pgm'), toPgm(densePage.image));
    const dense = await run(path.join(dir, 'dense.pgm'));
    if (denseOnly) return { pagesPerMinute: 0, cpuMsPerPage: null, sysMsPerPage: null, denseMs: dense.ms, cer: 0, cerUpright: 0, denseCer: computeCer(densePage.lines.join('\n'), dense.text) };
    const results: { ms: number; text: string }[] = new Array(files.length);
    let next = 0;
    const t0 = performance.now();
    const cpu0 = cpuSeconds();
    await Promise.all(Array.from({ length: procs }, async () => { while (next < files.length) { const i = next++; results[i] = await run(files[i]!); } }));
    const wallMs = performance.now() - t0;
    const cpu = cpuDelta(cpu0, cpuSeconds());
    const cers = results.map((r, i) => computeCer(pages[i]!.lines.join('\n'), r.text));
    // The CLI without the OSD model cannot turn pages: its CER on the pages fed in upright is the fair one.
    const upright = cers.filter((_, i) => !KINDS[i % KINDS.length]!.rotate);
    const cpuMsPerPage = cpu ? Math.round(((cpu.self + cpu.children) / files.length) * 1000) : null;
    return { pagesPerMinute: (files.length / wallMs) * 60_000, cpuMsPerPage, sysMsPerPage: cpu ? Math.round((cpu.sys / files.length) * 1000) : null, denseMs: dense.ms, cer: mean(cers), cerUpright: mean(upright), denseCer: computeCer(densePage.lines.join('\n'), dense.text) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The whole service: pages uploaded through intake, timed until every document is final. */
async function service(pages: Page[], dense: Page, engine: 'tesseract-js' | 'native' | 'native-cli' | 'native-thread', denseOnly = false, as: UploadAs = 'jpeg') {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dossierlink-bench-ingest-'));
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l.includes('"msg":"job"')) lines.push(JSON.parse(l)); cb(); } });
  const config = loadConfig({ DOSSIER_DATA_DIR: dir, DOSSIER_LOG_LEVEL: 'info', DOSSIER_INBOX: 'off', DOSSIER_DEMO: 'off', DOSSIER_OCR_ENGINE: engine === 'tesseract-js' ? engine : 'native',
    // The library in threads of the service's own process, beside the default (an OCR process of its own).
    DOSSIER_OCR_ISOLATION: engine === 'native-thread' ? 'thread' : 'process' });
  // The native engine one CLI process a page (the way it runs without libtesseract-dev), for comparison.
  const ocr = engine === 'native-cli' ? createNativeTesseractEngine({ langs: config.ocrLangs, workers: config.ocrWorkers, via: 'cli' }) : undefined;
  const dl = await openDossierlink(config, { logger: pino({ level: 'info' }, sink), ...(ocr ? { ocr } : {}) });
  const actor = { id: 'system', name: 'bench', roles: ['mailroom' as const] };
  try {
    await dl.startWorkers();
    // As the service does when it starts (main.ts): every worker started and page reading run hot,
    // so start-up is not counted (nor is it for the CLI's reference, a native binary).
    if (!(await dl.warmUp())?.ok) throw new Error('page reading did not warm up');
    // The dense page comes alone, as after a quiet spell (a page right after another is not split
    // into bands); the quiet spell is the reference for the event loop's delay during ingest.
    const idle = monitorEventLoopDelay({ resolution: 10 });
    idle.enable();
    await new Promise((r) => setTimeout(r, 1600));
    idle.disable();
    const idleLoopDelayMs = { p99: r1(idle.percentile(99) / 1e6), max: r1(idle.max / 1e6) };
    // Every file is written before the clock starts: making the scanner PDFs is the bench's work, not the service's.
    const ext = as === 'jpeg' ? 'jpg' : 'pdf';
    const prepare = async (p: Page, i: number) => {
      const file = path.join(dir, `upload-${engine}-${i}.${ext}`);
      const bytes = as === 'jpeg' ? p.jpeg : await scannerPdf(p, as === 'pdf-rendered');
      await writeFile(file, bytes);
      return { file, size: bytes.length, i };
    };
    const upload = async (f: { file: string; size: number; i: number }) =>
      (await dl.services.intake.accept({ path: f.file, originalName: `scan-${f.i}.${ext}`, size: f.size }, {}, actor, 'upload')).document.id;
    const waitFinal = async (ids: string[]) => {
      for (;;) {
        const rows = await dl.db.all<{ status: string }>(`SELECT status FROM documents WHERE id IN (${ids.map(() => '?').join(',')})`, ids);
        if (rows.every((r) => ['ready', 'needs_review', 'failed'].includes(r.status))) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // One dense A4 page alone: upload to final status.
    const denseFile = await prepare(dense, -1);
    let t = performance.now();
    const denseId = await upload(denseFile);
    await waitFinal([denseId]);
    const denseMs = performance.now() - t;
    const denseText = (await dl.db.all<{ text: string }>('SELECT text FROM document_pages WHERE document_id = ? ORDER BY page_no', [denseId])).map((r) => r.text).join('\n');
    const denseCer = computeCer(dense.lines.join('\n'), denseText);
    if (denseOnly) {
      for (let i = 0; i < 200 && !lines.some((l) => l.documentId === denseId); i++) await new Promise((r) => setTimeout(r, 10));
      const job = lines.find((l) => l.documentId === denseId);
      // The barcode split job runs before ingest (only one document is in flight here).
      const split = lines.find((l) => l.kind === 'split');
      const denseStages = { ...((job?.stages as Record<string, number>) ?? {}), queueWait: Number(job?.queueWaitMs ?? 0), job: Number(job?.ms ?? 0), splitJob: Number(split?.ms ?? 0), splitQueueWait: Number(split?.queueWaitMs ?? 0) };
      return { pagesPerMinute: 0, cpuMsPerPage: null, sysMsPerPage: null, denseMs, denseCer, cer: 0, failed: 0, stagesMsPerPage: {}, denseStages, loopDelayMs: null, idleLoopDelayMs, mainFullGcs: null };
    }
    const files = await Promise.all(pages.map(prepare));
    lines.length = 0;
    // How long the event loop was held while pages were read: every request of an embedded
    // instance (the UI, /api/health) waits that long on top of its own work.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    // Full collections of the main thread's heap while pages were read: each holds the event loop
    // (its pause) and marks the whole heap on the other cores, time the pages do not get.
    const fullGcs = { count: 0, pauseMs: 0 };
    const countGcs = (entries: PerformanceEntry[]) => {
      for (const e of entries) {
        if (((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind !== perfConstants.NODE_PERFORMANCE_GC_MAJOR) continue;
        fullGcs.count++;
        fullGcs.pauseMs += e.duration;
      }
    };
    const gcObserver = new PerformanceObserver((list) => countGcs(list.getEntries()));
    gcObserver.observe({ entryTypes: ['gc'] });
    t = performance.now();
    const ids: string[] = [];
    const cpu0 = cpuSeconds();
    for (const f of files) ids.push(await upload(f));
    await waitFinal(ids);
    const wallMs = performance.now() - t;
    const cpu = cpuDelta(cpu0, cpuSeconds());
    loop.disable();
    countGcs(gcObserver.takeRecords());
    gcObserver.disconnect();
    const loopDelayMs = { p99: r1(loop.percentile(99) / 1e6), max: r1(loop.max / 1e6) };
    // A job's log line is written just after its document turns final: wait for all of them.
    const jobLines = () => lines.filter((l) => l.kind === 'ingest' && ids.includes(String(l.documentId)));
    for (let i = 0; i < 200 && jobLines().length < ids.length; i++) await new Promise((r) => setTimeout(r, 10));
    const mine = jobLines();
    const texts = await Promise.all(ids.map((id) => dl.db.all<{ text: string }>('SELECT text FROM document_pages WHERE document_id = ? ORDER BY page_no', [id])));
    const cer = mean(texts.map((rows, i) => computeCer(pages[i]!.lines.join('\n'), rows.map((r) => r.text).join('\n'))));
    if (new Set(ids).size !== ids.length || ids.includes(denseId)) throw new Error('bench pages must all be distinct uploads');
    const failed = (await dl.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM documents WHERE status = 'failed'`))?.n ?? 0;
    // Per stage: mean ms per page over the jobs' log lines (stages of different pages overlap).
    const stages: Record<string, number> = {};
    for (const l of mine) for (const [k, v] of Object.entries((l.stages as Record<string, number>) ?? {})) stages[k] = (stages[k] ?? 0) + v;
    const perPage = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, r1(v / pages.length)]));
    perPage.queueWait = r1(mean(mine.map((l) => Number(l.queueWaitMs ?? 0))));
    perPage.job = r1(mean(mine.map((l) => Number(l.ms ?? 0))));
    const cpuMsPerPage = cpu ? Math.round(((cpu.self + cpu.children) / pages.length) * 1000) : null;
    return { pagesPerMinute: (pages.length / wallMs) * 60_000, cpuMsPerPage, sysMsPerPage: cpu ? Math.round((cpu.sys / pages.length) * 1000) : null, denseMs, denseCer, cer, failed, stagesMsPerPage: perPage, denseStages: {} as Record<string, number>, loopDelayMs, idleLoopDelayMs, mainFullGcs: { count: fullGcs.count, pauseMs: r1(fullGcs.pauseMs) } };
  } finally {
    await dl.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the section and prints each figure beside its reference.
 * @example const r = await benchIngest();
 */
export async function benchIngest(n = Number(process.env.BENCH_INGEST_PAGES ?? 8)): Promise<Record<string, unknown>> {
  const cores = os.availableParallelism();
  const pages = await makePages(n);
  // Its own page (an upload of a page already in the batch would be an exact duplicate, not ingested again).
  const denseLines = [...LETTER_LINES, 'Referentie BENCH-DENSE'];
  const denseImage = renderScan({ dpi: 300, heightIn: 11.69, lines: denseLines, seed: 99 });
  const dense: Page = { lines: denseLines, image: denseImage, jpeg: await toJpeg(denseImage), dpi: 300 };
  const bin = await findNativeTesseract();
  if (process.env.BENCH_INGEST_DENSE_ONLY === '1') return benchDenseOnly(dense, bin, Number(process.env.BENCH_INGEST_DENSE_RUNS ?? 3));
  // The machine is shared: each path runs twice, interleaved, and keeps its better run, so a
  // burst of someone else's load does not decide the ratio.
  type Delay = { p99: number; max: number } | null;
  type Run = { pagesPerMinute: number; denseMs: number; cpuMsPerPage: number | null; loopDelayMs?: Delay };
  const least = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
  const calmer = (a: Delay | undefined, b: Delay | undefined): Delay | undefined => (a == null ? b : b == null ? a : { p99: Math.min(a.p99, b.p99), max: Math.min(a.max, b.max) });
  const better = <T extends Run>(a: T, b: T): T => ({ ...a, pagesPerMinute: Math.max(a.pagesPerMinute, b.pagesPerMinute), denseMs: Math.min(a.denseMs, b.denseMs), cpuMsPerPage: least(a.cpuMsPerPage, b.cpuMsPerPage), loopDelayMs: calmer(a.loopDelayMs, b.loopDelayMs) });
  const firstRun = await service(pages, dense, 'tesseract-js');
  let ours = firstRun;
  let cli = bin ? await nativeOcrOnly(bin, pages, dense, cores) : undefined;
  let oursNative = bin ? await service(pages, dense, 'native') : undefined;
  // Where the in-process library is built, the native engine also as one CLI process a page (how it runs without it).
  const library = Boolean(bin && loadTesseractAddon());
  let oursNativeCli = library ? await service(pages, dense, 'native-cli') : undefined;
  let oursNativeThread = library ? await service(pages, dense, 'native-thread') : undefined;
  const secondRun = await service(pages, dense, 'tesseract-js');
  ours = better(ours, secondRun);
  // The same pages as scanner PDFs, decoded natively and (the reference) rendered by pdfjs, interleaved.
  let pdf = await service(pages, dense, 'tesseract-js', false, 'pdf');
  let pdfRendered = await service(pages, dense, 'tesseract-js', false, 'pdf-rendered');
  pdf = better(pdf, await service(pages, dense, 'tesseract-js', false, 'pdf'));
  pdfRendered = better(pdfRendered, await service(pages, dense, 'tesseract-js', false, 'pdf-rendered'));
  if (bin) {
    cli = better(cli!, await nativeOcrOnly(bin, pages, dense, cores));
    oursNative = better(oursNative!, await service(pages, dense, 'native'));
    if (library) oursNativeCli = better(oursNativeCli!, await service(pages, dense, 'native-cli'));
    if (library) oursNativeThread = better(oursNativeThread!, await service(pages, dense, 'native-thread'));
  }
  const ratio = (a: number, b: number | undefined) => (b ? Math.round((a / b) * 100) / 100 : null);
  return {
    pages: n,
    cores,
    serviceTesseractJsPagesPerMin: Math.round(ours.pagesPerMinute),
    serviceNativePagesPerMin: oursNative ? Math.round(oursNative.pagesPerMinute) : null,
    // How the native engine ran: libtesseract (in an OCR process of its own, the default) or one CLI process a page.
    serviceNativeVia: oursNative ? (library ? 'library' : 'cli') : null,
    // libtesseract in threads of the service's own process (DOSSIER_OCR_ISOLATION=thread): no page crosses to another process.
    serviceNativeThreadPagesPerMin: oursNativeThread ? Math.round(oursNativeThread.pagesPerMinute) : null,
    serviceNativeOneCliProcessAPagePagesPerMin: oursNativeCli ? Math.round(oursNativeCli.pagesPerMinute) : null,
    cliOcrOnlyPagesPerMin: cli ? Math.round(cli.pagesPerMinute) : null,
    ratioServiceTesseractJsToCli: ratio(ours.pagesPerMinute, cli?.pagesPerMinute),
    ratioServiceNativeToCli: oursNative ? ratio(oursNative.pagesPerMinute, cli?.pagesPerMinute) : null,
    ratioServiceNativeOneCliProcessAPageToCli: oursNativeCli ? ratio(oursNativeCli.pagesPerMinute, cli?.pagesPerMinute) : null,
    ratioServiceNativeThreadToCli: oursNativeThread ? ratio(oursNativeThread.pagesPerMinute, cli?.pagesPerMinute) : null,
    // CPU per page (user + sys, all threads and child processes): what the machine pays, load or not.
    cpuMsPerPageServiceTesseractJs: ours.cpuMsPerPage,
    cpuMsPerPageServiceNative: oursNative?.cpuMsPerPage ?? null,
    cpuMsPerPageServiceNativeOneCliProcessAPage: oursNativeCli?.cpuMsPerPage ?? null,
    cpuMsPerPageServiceNativeThread: oursNativeThread?.cpuMsPerPage ?? null,
    cpuMsPerPageCli: cli?.cpuMsPerPage ?? null,
    sysMsPerPage: { serviceTesseractJs: ours.sysMsPerPage, serviceNative: oursNative?.sysMsPerPage ?? null, cli: cli?.sysMsPerPage ?? null },
    denseA4MsServiceTesseractJs: Math.round(ours.denseMs),
    denseA4MsServiceNative: oursNative ? Math.round(oursNative.denseMs) : null,
    denseA4MsCli: cli ? Math.round(cli.denseMs) : null,
    ratioDenseServiceNativeToCli: oursNative && cli ? ratio(oursNative.denseMs, cli.denseMs) : null,
    ratioDenseServiceNativeThreadToCli: oursNativeThread && cli ? ratio(oursNativeThread.denseMs, cli.denseMs) : null,
    ratioDenseServiceTesseractJsToCli: cli ? ratio(ours.denseMs, cli.denseMs) : null,
    cerServiceTesseractJs: Number(ours.cer.toFixed(4)),
    cerServiceNative: oursNative ? Number(oursNative.cer.toFixed(4)) : null,
    cerServiceNativeOneCliProcessAPage: oursNativeCli ? Number(oursNativeCli.cer.toFixed(4)) : null,
    cerServiceNativeThread: oursNativeThread ? Number(oursNativeThread.cer.toFixed(4)) : null,
    cerCli: cli ? Number(cli.cer.toFixed(4)) : null,
    cerCliUprightPagesOnly: cli ? Number(cli.cerUpright.toFixed(4)) : null,
    scannerPdfPagesPerMin: Math.round(pdf.pagesPerMinute),
    scannerPdfRenderedByPdfjsPagesPerMin: Math.round(pdfRendered.pagesPerMinute),
    ratioScannerPdfToPdfjsRendering: ratio(pdf.pagesPerMinute, pdfRendered.pagesPerMinute),
    cpuMsPerPageScannerPdf: pdf.cpuMsPerPage,
    cpuMsPerPageScannerPdfRenderedByPdfjs: pdfRendered.cpuMsPerPage,
    rasteriseMsPerPageScannerPdf: (pdf.stagesMsPerPage as Record<string, number>).rasterise ?? null,
    rasteriseMsPerPageScannerPdfRenderedByPdfjs: (pdfRendered.stagesMsPerPage as Record<string, number>).rasterise ?? null,
    cerScannerPdf: Number(pdf.cer.toFixed(4)),
    cerScannerPdfRenderedByPdfjs: Number(pdfRendered.cer.toFixed(4)),
    // How long requests of an embedded instance waited on the event loop while pages were read
    // (p99 and longest, ms; pixel work, rendering and code reading run in worker threads), beside
    // the same loop in the quiet spell before.
    eventLoopDelayMsDuringIngest: { jpeg: ours.loopDelayMs, scannerPdf: pdf.loopDelayMs, scannerPdfRenderedByPdfjs: pdfRendered.loopDelayMs, native: oursNative?.loopDelayMs ?? null },
    eventLoopDelayMsQuiet: ours.idleLoopDelayMs,
    // Full collections of the main thread's heap during each of the two JPEG runs, and their pauses in all.
    mainThreadFullGcsDuringIngest: [firstRun.mainFullGcs, secondRun.mainFullGcs],
    failed: ours.failed + (oursNative?.failed ?? 0) + (oursNativeCli?.failed ?? 0) + (oursNativeThread?.failed ?? 0) + pdf.failed + pdfRendered.failed,
    stagesMsPerPageTesseractJs: ours.stagesMsPerPage,
    stagesMsPerPageNative: oursNative?.stagesMsPerPage ?? null,
    // Issue 15's targets against the CLI of this run: throughput ratio >= 1.0 at equal or better CER, dense page <= 1.3x.
    targetsMet: cli
      ? {
          tesseractJs: { throughput: ours.pagesPerMinute >= cli.pagesPerMinute && ours.cer <= cli.cer, densePage: ours.denseMs <= 1.3 * cli.denseMs },
          native: oursNative ? { throughput: oursNative.pagesPerMinute >= cli.pagesPerMinute && oursNative.cer <= cli.cer, densePage: oursNative.denseMs <= 1.3 * cli.denseMs } : null,
          nativeThread: oursNativeThread
            ? { throughput: oursNativeThread.pagesPerMinute >= cli.pagesPerMinute && oursNativeThread.cer <= cli.cer, densePage: oursNativeThread.denseMs <= 1.3 * cli.denseMs }
            : null,
        }
      : null,
  };
}

/** One dense page alone, service (tesseract.js) and CLI interleaved, every run printed so the spread shows. */
async function benchDenseOnly(dense: Page, bin: string | null | undefined, runs: number): Promise<Record<string, unknown>> {
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < runs; i++) {
    const ours = await service([], dense, 'tesseract-js', true);
    const cli = bin ? await nativeOcrOnly(bin, [], dense, 1, true) : undefined;
    const load = os.loadavg()[0]!;
    const row = {
      serviceMs: Math.round(ours.denseMs),
      cliMs: cli ? Math.round(cli.denseMs) : null,
      ratio: cli ? Math.round((ours.denseMs / cli.denseMs) * 100) / 100 : null,
      cerService: Number(ours.denseCer.toFixed(4)),
      cerCli: cli ? Number(cli.denseCer.toFixed(4)) : null,
      load1: Math.round(load * 10) / 10,
      stages: Object.fromEntries(Object.entries(ours.denseStages).map(([k, v]) => [k, r1(v)])),
    };
    console.error(JSON.stringify(row));
    rows.push(row);
  }
  const ratios = rows.map((r) => r.ratio).filter((r): r is number => typeof r === 'number');
  return { runs: rows, ratioMin: ratios.length ? Math.min(...ratios) : null, ratioMax: ratios.length ? Math.max(...ratios) : null };
}
