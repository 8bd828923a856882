/**
 * Mailing benchmark (issue #6): letters PDF generation for a 1,598-letter mailing through the real
 * service (SQLite, template, audit) with peak RSS, and reply-coupon decoding per page, plus the
 * whole batch job. Each figure comes with a reference measured in the same run: a bare pdf-lib
 * document with the same amount of text and no forms or bars, and a bare zxing decode of a clean
 * code (and of a clean full page). Importing this file runs nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createBarcodeReader } from '../src/adapters/barcode/barcode-reader.js';
import { renderBarcodePng } from '../src/adapters/barcode/barcode-render.js';
import { renderPdfPages, type GreyImage } from '../src/adapters/pdf/pdf-render.js';
import { loadConfig } from '../src/config.js';
import { customersRepository } from '../src/db/customers.repository.js';
import type { Role } from '../src/domain/roles.js';
import { openDossierlink } from '../src/dossierlink.js';
import { readCouponPage } from '../src/jobs/coupons.job.js';
import { addNoise, downsample, pngToGrey, rotate } from '../test/helpers/degrade-image.js';
import { toImagePdf } from '../test/helpers/scan-samples.js';

const LETTERS = 1_598;
const COUPON_PAGES = 24;
const actor = { id: 'bench', name: 'Bench', roles: ['admin'] as Role[] };

/** Peak RSS while `fn` runs, sampled every 10 ms and at every call of the returned `sample`. */
async function withPeakRss<T>(fn: (sample: () => void) => Promise<T>): Promise<{ value: T; ms: number; peakMiB: number; startMiB: number }> {
  global.gc?.();
  const startMiB = process.memoryUsage().rss / 2 ** 20;
  let peak = startMiB;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss / 2 ** 20));
  const timer = setInterval(sample, 10);
  const t0 = performance.now();
  try {
    const value = await fn(sample);
    sample();
    return { value, ms: performance.now() - t0, peakMiB: Math.round(peak), startMiB: Math.round(startMiB) };
  } finally {
    clearInterval(timer);
  }
}

/** The reference: what pdf-lib costs for the same pages drawn as plain text lines, nothing shared. */
async function bareTextPdf(pages: number, sample: () => void): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const line = 'U bent al geruime tijd klant bij ons, en daar zijn wij u dankbaar voor. Graag vertellen';
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage([595, 842]);
    // ~40 text runs: about what one letter has (letterhead, address, body, coupon).
    for (let l = 0; l < 40; l++) page.drawText(`${line} ${i}`.slice(0, 40 + (l % 50)), { x: 56, y: 800 - l * 18, size: 10, font });
    if (i % 100 === 0) {
      sample();
      await new Promise((r) => setImmediate(r));
    }
  }
  return doc.save();
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000 * 10) / 10;

export async function benchMailing(): Promise<Record<string, unknown>> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'dossierlink-bench-mailing-'));
  const dl = await openDossierlink(loadConfig({ DOSSIER_DATA_DIR: dataDir, DOSSIER_LOG_LEVEL: 'silent', DOSSIER_INBOX: 'off', DOSSIER_OCR_WORKERS: '1' }));
  const out: Record<string, unknown> = { letters: LETTERS };
  try {
    // --- customers and the mailing through the service
    const ids = Array.from({ length: LETTERS }, (_, i) => `KL-${String(100_000 + i).padStart(6, '0')}`);
    await dl.db.tx(async (q) => {
      const now = new Date().toISOString();
      for (const [i, id] of ids.entries()) {
        await customersRepository.upsert(q, id, { name: `Klant ${i} B.V.`, address: `Dorpsstraat ${i + 1}`, postcode: `${1000 + (i % 8999)} AB`, city: 'Utrecht' }, now);
      }
    });
    let t0 = performance.now();
    const mailing = await dl.services.mailings.create({ name: 'Benchmark mailing', customerIds: ids }, actor);
    out.createMailingMs = Math.round(performance.now() - t0);
    t0 = performance.now();
    await dl.services.mailings.markSent(mailing.id, actor);
    out.markSentMs = Math.round(performance.now() - t0);

    // --- letters PDF: ours (whole mailing, one file) and the bare reference, each with peak RSS
    await dl.services.mailings.lettersPdf(mailing.id, actor, { part: 1, partSize: 20 }); // warm-up: templates, fonts, JIT
    // Interleaved, best of two each: on a shared machine the load moves between runs.
    type Run = Awaited<ReturnType<typeof withPeakRss<unknown>>>;
    const oursRuns: Run[] = [];
    const bareRuns: Run[] = [];
    let pdfBytes = 0;
    for (let i = 0; i < 2; i++) {
      oursRuns.push(await withPeakRss(async () => (pdfBytes = (await dl.services.mailings.lettersPdf(mailing.id, actor)).pdf.byteLength)));
      bareRuns.push(await withPeakRss((sample) => bareTextPdf(LETTERS, sample)));
    }
    const best = (runs: Run[]) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
    const ours = best(oursRuns);
    const bare = best(bareRuns);
    out.pdfLettersPerSec = rate(LETTERS, ours.ms);
    out.pdfSeconds = Math.round(ours.ms / 100) / 10;
    out.pdfMiB = Math.round((pdfBytes / 2 ** 20) * 10) / 10;
    out.pdfPeakRssMiB = Math.max(...oursRuns.map((r) => r.peakMiB));
    out.pdfRssAboveStartMiB = Math.max(...oursRuns.map((r) => r.peakMiB - r.startMiB));
    const part = await withPeakRss(() => dl.services.mailings.lettersPdf(mailing.id, actor, { part: 1, partSize: 500 }));
    out.pdfPart500Seconds = Math.round(part.ms / 100) / 10;
    out.pdfPart500RssAboveStartMiB = part.peakMiB - part.startMiB;
    out.refBarePdfLibTextPagesPerSec = rate(LETTERS, bare.ms);
    out.refBarePdfLibRssAboveStartMiB = Math.max(...bareRuns.map((r) => r.peakMiB - r.startMiB));
    out.pdfTimeVsBareRef = Math.round((ours.ms / bare.ms) * 100) / 100;

    // --- coupon decoding: pages as a scanner returns them (200 dpi; a quarter each skewed, dusty, or at 100 dpi)
    const sample = await dl.services.mailings.lettersPdf(mailing.id, actor, { part: 1, partSize: COUPON_PAGES });
    const pages: GreyImage[] = [];
    for await (const { pageNo, image } of renderPdfPages(sample.pdf, { dpi: 200 })) {
      const k = pageNo % 4;
      pages.push(k === 0 ? image : k === 1 ? rotate(image, 3) : k === 2 ? addNoise(rotate(image, -2), { speckle: 0.005, sigma: 12, seed: pageNo }) : downsample(image, 2));
    }
    const reader = createBarcodeReader();
    const answersOf = (code: string) => dl.services.coupons.answersOf(code);
    await readCouponPage(reader, pages[0]!, answersOf); // warm-up: wasm
    t0 = performance.now();
    let decoded = 0;
    for (const p of pages) if ((await readCouponPage(reader, p, answersOf)).kind === 'letter') decoded++;
    const decodeMs = performance.now() - t0;
    out.couponPages = pages.length;
    out.couponsDecoded = decoded;
    out.couponDecodePerSec = rate(pages.length, decodeMs);

    const clean = await pngToGrey((await renderBarcodePng(mailing.letters[0]!.barcode, { moduleDots: 5 })).png);
    t0 = performance.now();
    for (let i = 0; i < 50; i++) await reader.read(clean, { formats: ['Code128'], retry: false });
    out.refZxingCleanCodePerSec = rate(50, performance.now() - t0);
    const cleanPage = (await renderPdfPages(sample.pdf, { dpi: 200, pages: [1] }).next()).value!.image;
    t0 = performance.now();
    for (let i = 0; i < 10; i++) await reader.read(cleanPage, { formats: ['Code128'], retry: false });
    out.refZxingCleanA4PagePerSec = rate(10, performance.now() - t0);

    // --- the whole batch job: upload as one image PDF, render, read, link, with the queue
    const scanPdf = await toImagePdf(pages, { dpi: 200 });
    const file = path.join(dataDir, 'stack.pdf');
    await writeFile(file, scanPdf);
    await dl.startWorkers();
    t0 = performance.now();
    const batch = await dl.services.coupons.acceptBatch([{ path: file, originalName: 'stack.pdf', size: scanPdf.byteLength }], actor);
    let view = batch;
    while (view.status !== 'done' && view.status !== 'failed') {
      await new Promise((r) => setTimeout(r, 100));
      view = await dl.services.coupons.batch(batch.id);
    }
    out.batchJobCouponsPerSec = rate(pages.length, performance.now() - t0);
    out.batchJobSummary = view.summary;
  } finally {
    await dl.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return out;
}
