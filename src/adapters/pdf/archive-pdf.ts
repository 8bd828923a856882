import { PDFDocument } from 'pdf-lib';
import { Invalid } from '../../errors.js';
import { ThreadPool } from '../thread-pool.js';
import type { OcrPage } from '../../services/extraction.js';
import { addSearchablePage, embedOcrFont } from './searchable-pdf.js';

export type ArchiveInput = { original: Uint8Array; mime: string; pageCount: number; ocrPages: OcrPage[] };

/** Threads building archive copies, as many as the other helpers (helperThreads). */
const buildThreads = new ThreadPool(new URL('./pdf-build.worker.js', import.meta.url), { background: true });

/**
 * An archive copy pdf-lib has not finished in this long is stuck (a loop in a damaged original
 * it copies pages from): its thread is ended and the job fails. A 20-page scan takes ~0.15-0.35 s.
 */
export const ARCHIVE_TIMEOUT_MS = 10 * 60_000;

/**
 * The searchable archive copy of a document, kept beside the untouched original:
 * - a born-digital PDF (no page needed OCR) is its own archive copy: returns null;
 * - a PDF with scanned pages: its pages in order, the scanned ones replaced by image + text
 *   (a PDF whose every page was scanned is built from the scans alone, like an image);
 * - an image (PNG, JPEG, TIFF): one PDF page per image page.
 *
 * Built in a worker thread (pdf-build.worker.ts): pdf-lib writes a document in one block of
 * JavaScript, 7-18 ms a scanned page, which held every request of the process meanwhile (a
 * 100-page scan: 1-2 s). The pages' JPEGs and, where born-digital pages are copied, the original
 * are copied and moved there; the caller keeps its own.
 */
export async function buildArchivePdf(input: ArchiveInput): Promise<Uint8Array | null> {
  if (input.ocrPages.length === 0) return null;
  const own = (b: Uint8Array) => new Uint8Array(b);
  const original = copiesBornDigitalPages(input) ? own(input.original) : new Uint8Array(0);
  const ocrPages = input.ocrPages.map((p) => ({ ...p, jpeg: own(p.jpeg) }));
  const transfer = [original.buffer, ...ocrPages.map((p) => p.jpeg.buffer)];
  return buildThreads.run<Uint8Array>('archive', { ...input, original, ocrPages }, { transfer, timeoutMs: ARCHIVE_TIMEOUT_MS });
}

/** Only a PDF with born-digital pages among its scans needs its original. */
function copiesBornDigitalPages(input: ArchiveInput): boolean {
  return input.mime === 'application/pdf' && input.ocrPages.length < input.pageCount;
}

/** buildArchivePdf in the calling thread: what the build thread runs. */
export async function buildArchivePdfHere(input: ArchiveInput): Promise<Uint8Array | null> {
  if (input.ocrPages.length === 0) return null;
  const doc = await PDFDocument.create();
  const font = await embedOcrFont(doc);
  doc.setProducer('Dossierlink');
  doc.setCreator('Dossierlink OCR (tesseract.js)');
  // A fixed date keeps the bytes (and so the content hash) the same when a job is re-run.
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  const asArchivePage = (p: OcrPage) => ({ image: { jpeg: p.jpeg, width: p.width, height: p.height }, dpi: p.dpi, words: p.result.words ?? [] });
  const byPage = new Map(input.ocrPages.map((p) => [p.pageNo, p]));
  // Only a PDF with born-digital pages among its scans needs the original parsed to copy them;
  // a fully scanned one is built from its OCR'd pages alone, page by page, without holding the
  // original's object tree beside it.
  if (copiesBornDigitalPages(input)) {
    const src = await loadSource(input.original);
    for (let n = 1; n <= src.getPageCount(); n++) {
      const scanned = byPage.get(n);
      if (scanned) await addSearchablePage(doc, font, asArchivePage(scanned));
      else {
        const [copied] = await doc.copyPages(src, [n - 1]);
        doc.addPage(copied);
      }
    }
  } else {
    for (const p of input.ocrPages) await addSearchablePage(doc, font, asArchivePage(p));
  }
  return doc.save();
}

/**
 * Opens the original for copying its born-digital pages. pdf-lib cannot decrypt, and copying the
 * still-encrypted streams of a PDF locked with an owner password only (no password needed to
 * open it: bank and government statements) would give unreadable pages; so such a file is first
 * decrypted with the empty user password by @cantoo/pdf-lib (a maintained pdf-lib fork that can),
 * and the plain copy is what pages are taken from. The original in the store stays untouched.
 * Anything that cannot be opened is an `Invalid` the job queue does not retry.
 */
async function loadSource(bytes: Uint8Array): Promise<PDFDocument> {
  let doc: PDFDocument;
  try {
    // ignoreEncryption only to learn whether it is encrypted; such a document is never copied from.
    doc = await PDFDocument.load(bytes, { updateMetadata: false, ignoreEncryption: true });
    // pdf-lib loads a file without a page tree and fails only when asked for pages, as a TypeError.
    doc.getPageCount();
  } catch (err) {
    throw new Invalid('The PDF is damaged: its pages cannot be copied into the archive copy', { reason: String((err as Error)?.message ?? err).slice(0, 200) }, 'corrupt_pdf');
  }
  if (!doc.isEncrypted) return doc;
  // Loaded here, for the rare encrypted file: with its colour library it is ~350 modules that
  // every process start would otherwise read.
  const { PDFDocument: DecryptingPDFDocument, PDFDict, PDFInvalidObject, PDFName, PDFStream } = await import('@cantoo/pdf-lib');
  let plain: Uint8Array;
  try {
    const decrypted = await DecryptingPDFDocument.load(bytes, { password: '', updateMetadata: false });
    // What only served the encrypted file survives decryption as objects of its own: the security
    // handler's dictionary, the object streams and the cross-reference stream (unparsed, still
    // naming /Encrypt, so pdf-lib would take the result for encrypted again). Drop them all.
    for (const [ref, obj] of decrypted.context.enumerateIndirectObjects()) {
      const dict = obj instanceof PDFDict ? obj : obj instanceof PDFStream ? obj.dict : undefined;
      const type = dict?.get(PDFName.of('Type'));
      const leftover =
        obj instanceof PDFInvalidObject ||
        type === PDFName.of('XRef') ||
        type === PDFName.of('ObjStm') ||
        dict?.has(PDFName.of('Encrypt')) ||
        (dict?.has(PDFName.of('O')) && dict.has(PDFName.of('U')) && dict.has(PDFName.of('P')));
      if (leftover) decrypted.context.delete(ref);
    }
    // Object streams would carry the /Encrypt reference into the new cross-reference stream.
    plain = await decrypted.save({ useObjectStreams: false });
  } catch {
    throw new Invalid('The PDF is password-protected; upload it without a password', undefined, 'encrypted_pdf');
  }
  try {
    return await PDFDocument.load(plain, { updateMetadata: false });
  } catch (err) {
    throw new Invalid('The PDF is damaged: its pages cannot be copied into the archive copy', { reason: String((err as Error)?.message ?? err).slice(0, 200) }, 'corrupt_pdf');
  }
}
