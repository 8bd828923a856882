/**
 * Files that real senders produce and that broke the pipeline after acceptance (issue 14): PDFs
 * locked with an owner password only, with a user password, with thousands of pages, or damaged
 * after the header. All made at test time; nothing binary is committed.
 */
import { PDFDocument as EncryptingPDFDocument, StandardFonts } from '@cantoo/pdf-lib';
import { PDFDocument } from 'pdf-lib';
import { LETTER_LINES, renderScan, toJpeg } from './scan-samples.js';

/**
 * A two-page statement as banks send them: page 1 born-digital text, page 2 a scan (so OCR and
 * the archive copy both run), encrypted with an owner password only: any reader opens it
 * without a password, but pdf-lib refuses it unless told to ignore the encryption.
 */
export async function makeOwnerPasswordPdf(opts: { scannedPage?: boolean } = {}): Promise<Uint8Array> {
  const doc = await EncryptingPDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  LETTER_LINES.forEach((line, i) => page.drawText(line.replace('ë', 'e'), { x: 60, y: 760 - i * 20, size: 12, font }));
  if (opts.scannedPage ?? true) {
    const scan = renderScan({ dpi: 150, heightIn: 4, lines: ['Bijlage bij de offerte', 'Klantnummer: KL-000123'] });
    const jpg = await doc.embedJpg(await toJpeg(scan, 80, 150));
    const w = (scan.width / 150) * 72;
    const h = (scan.height / 150) * 72;
    doc.addPage([w, h]).drawImage(jpg, { x: 0, y: 0, width: w, height: h });
  }
  doc.encrypt({ userPassword: '', ownerPassword: 'bank-owner-secret', permissions: { printing: 'highResolution', modifying: false, copying: false } });
  return doc.save();
}

/** A PDF that needs a password to open at all. */
export async function makeUserPasswordPdf(): Promise<Uint8Array> {
  const doc = await EncryptingPDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595, 842]).drawText('Vertrouwelijk', { x: 60, y: 760, size: 12, font });
  doc.encrypt({ userPassword: 'geheim', ownerPassword: 'ook-geheim' });
  return doc.save();
}

/** An empty PDF of `pages` A4 pages: small on disk, large in page count. */
export async function makeManyPagePdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < pages; i++) doc.addPage([595, 842]);
  return doc.save();
}

/**
 * A PDF whose header, cross-reference table and page count are fine, so it passes the preflight,
 * but whose only page's content and resources are references to objects that do not exist:
 * the pages cannot be copied into the archive, and no retry will change that.
 */
export async function makeDamagedPagesPdf(variant = 1): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  // Another variant, other bytes: an upload of the same bytes is refused as a duplicate.
  if (variant !== 1) doc.setTitle(`variant ${variant}`);
  doc.addPage([595, 842]);
  const bytes = Buffer.from(await doc.save({ useObjectStreams: false })).toString('latin1');
  // The page tree names one kid; point it at an object number that is not in the file.
  const damaged = bytes.replace(/\/Kids \[ (\d+) 0 R \]/, '/Kids [ 999 0 R ]');
  if (damaged === bytes) throw new Error('makeDamagedPagesPdf: page tree not found');
  return Buffer.from(damaged, 'latin1');
}
