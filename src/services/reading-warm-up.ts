/**
 * Warms up page reading when a job process starts, so the first scan after a (re)start is read as
 * fast as the hundredth. Measured (issue 15): a dense A4 page took 1.3-1.7x the native CLI on a
 * fresh process and 1.0-1.3x once warm. The difference is start-up work the first page otherwise
 * pays on its own path: starting the OCR workers and loading traineddata, and the WebAssembly
 * compilers (tesseract's and ZXing's code runs on a baseline tier until it is hot, then is
 * recompiled) on the same two cores OCR needs.
 */
import type { Logger } from 'pino';
import type { OcrEngine } from '../adapters/ocr/ocr-engine.js';
import { renderPdfPages, type GreyImage } from '../adapters/pdf/pdf-render.js';
import { makeTextPdf } from '../adapters/pdf/text-pdf.js';
import type { ArchiveBuilder, IntakeCodesPort } from '../jobs/ingest.job.js';
import { OCR_DPI, uprightJpeg } from './extraction.js';

/** A short letter in both OCR languages: enough lines that every worker runs its recognisers hot. */
const WARM_UP_LINES = [
  'Dossierlink opwarmen van de tekstherkenning',
  'Geachte klant, hierbij ontvangt u de bevestiging.',
  'Factuurnummer 2024-0001, bedrag EUR 1.234,56',
  'Datum: 1 januari 2024, Postbus 1234, 1000 AB Amsterdam',
  'Dear customer, please find the quotation enclosed.',
  'Kind regards, the customer care team',
];

export type WarmUpReport = { ms: number; workers: number; ok: boolean };

/** The generated page, as a scan of it would arrive: grey pixels at the resolution OCR reads. */
async function warmUpPage(): Promise<GreyImage> {
  const pdf = await makeTextPdf([WARM_UP_LINES], { fontSize: 12 });
  for await (const { image } of renderPdfPages(pdf, { dpi: OCR_DPI })) return image;
  throw new Error('the warm-up page did not render');
}

/**
 * Reads one generated page on every OCR worker at once (which starts them all) and reads it for
 * codes through the single-page intake's own path (`IntakeCodesPort.readPage`), then builds its
 * archive copy (`buildArchive`: the build thread starts and loads pdf-lib, ~350 ms the first page
 * after a start otherwise paid). Never throws: a failure is logged and the first real page simply
 * pays the start-up, as it would without warming.
 * @example void warmUpReading({ ocr, codes: services.intakeSplit, buildArchive, logger });
 */
export async function warmUpReading(deps: { ocr: OcrEngine; codes: Pick<IntakeCodesPort, 'readPage'>; buildArchive?: ArchiveBuilder; logger?: Logger }): Promise<WarmUpReport> {
  const started = performance.now();
  const workers = Math.max(1, deps.ocr.workers);
  try {
    const page = await warmUpPage();
    const [results] = await Promise.all([Promise.all(Array.from({ length: workers }, () => deps.ocr.recognize(page))), deps.codes.readPage(1, page, OCR_DPI)]);
    if (deps.buildArchive) {
      // The page's archive image as ingest makes it (extraction.ts), then its archive copy.
      const shown = await uprightJpeg(page, results[0]!);
      await deps.buildArchive({ original: shown.jpeg, mime: 'image/jpeg', pageCount: 1, ocrPages: [{ pageNo: 1, ...shown, dpi: OCR_DPI, result: results[0]! }] });
    }
    const report = { ms: Math.round(performance.now() - started), workers, ok: true };
    deps.logger?.info(report, 'page reading warmed up');
    return report;
  } catch (err) {
    const report = { ms: Math.round(performance.now() - started), workers, ok: false };
    // Closing the instance while it warms up ends the warm-up: nothing is wrong then.
    if (/terminated/i.test(String(err))) deps.logger?.debug({ ...report }, 'page reading warm-up ended: the OCR engine stopped');
    else deps.logger?.warn({ ...report, err }, 'page reading could not be warmed up; the first page pays the start-up');
    return report;
  }
}
