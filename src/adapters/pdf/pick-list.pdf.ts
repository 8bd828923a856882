/**
 * The mailroom's pick list as an A4 PDF: open requests grouped by location, in walking order,
 * with a tick box per document. What is with someone else or not filed comes last, so the
 * walk through the archive is one pass.
 */
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import type { PDFFont, PDFPage } from 'pdf-lib';
import { fitText, sanitizeForFont } from './labels.pdf.js';

export type PickListRow = {
  barcode: string;
  title: string;
  customer: string;
  requestedBy: string;
  requestedAt: string;
  neededBy: string | null;
  note: string | null;
  /** The location path, or where it is instead ("checked out to …", "not filed"). */
  where: string;
  available: boolean;
};

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 40;
const ROW = 30;
const COLS = { box: MARGIN, code: MARGIN + 18, doc: MARGIN + 100, who: MARGIN + 340 } as const;

/**
 *     await renderPickListPdf(rows, { generatedAt: '2026-11-20T09:00:00Z' });
 */
export async function renderPickListPdf(rows: PickListRow[], opts: { generatedAt: string; title?: string }): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(opts.title ?? 'Dossierlink pick list');
  doc.setProducer('Dossierlink');
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const width = A4.width - 2 * MARGIN;
  let page!: PDFPage;
  let y = 0;

  const text = (s: string, x: number, yy: number, size: number, font: PDFFont, maxWidth: number, grey = false) =>
    page.drawText(fitText(sanitizeForFont(s, font), font, size, maxWidth), { x, y: yy, size, font, color: grey ? rgb(0.35, 0.35, 0.35) : rgb(0, 0, 0) });

  const newPage = () => {
    page = doc.addPage([A4.width, A4.height]);
    y = A4.height - MARGIN;
    text(opts.title ?? 'Pick list', MARGIN, y - 14, 16, bold, width);
    text(`${rows.length} document${rows.length === 1 ? '' : 's'} requested · generated ${opts.generatedAt.slice(0, 16).replace('T', ' ')} UTC`, MARGIN, y - 30, 9, regular, width, true);
    y -= 48;
    text('Barcode', COLS.code, y, 8, bold, 80);
    text('Document · customer', COLS.doc, y, 8, bold, 230);
    text('Requested by', COLS.who, y, 8, bold, width - (COLS.who - MARGIN));
    page.drawLine({ start: { x: MARGIN, y: y - 4 }, end: { x: A4.width - MARGIN, y: y - 4 }, thickness: 0.5 });
    y -= 10;
  };
  const need = (h: number) => {
    if (y - h < MARGIN + 20) newPage();
  };

  newPage();
  if (rows.length === 0) text('No open requests.', MARGIN, y - 16, 11, regular, width);
  let group: string | null = null;
  for (const r of rows) {
    const heading = r.available ? r.where : r.where.startsWith('checked out') ? 'Not on the shelf: with someone' : 'Not filed';
    if (heading !== group) {
      need(ROW + 22);
      y -= 16;
      text(heading, MARGIN, y, 10, bold, width);
      y -= 6;
      group = heading;
    }
    const extra = (r.available || r.where === 'not filed' ? 0 : 10) + (r.note ? 10 : 0);
    need(ROW + extra);
    const top = y - 11;
    page.drawRectangle({ x: COLS.box, y: top - 1, width: 9, height: 9, borderColor: rgb(0, 0, 0), borderWidth: 0.7 });
    text(r.barcode, COLS.code, top, 9, bold, 80);
    text(r.title, COLS.doc, top, 9, regular, 230);
    text(r.customer, COLS.doc, top - 11, 8, regular, 230, true);
    const due = r.neededBy ? ` · needed by ${r.neededBy}` : '';
    text(r.requestedBy, COLS.who, top, 9, regular, width - (COLS.who - MARGIN));
    text(`${r.requestedAt.slice(0, 10)}${due}`, COLS.who, top - 11, 8, regular, width - (COLS.who - MARGIN), true);
    const whereLine = !r.available && r.where !== 'not filed';
    if (whereLine) text(r.where, COLS.code, top - 22, 8, regular, width - 18, true);
    if (r.note) text(`Note: ${r.note}`, COLS.doc, top - (whereLine ? 33 : 22), 8, regular, width - (COLS.doc - MARGIN), true);
    y -= ROW + extra;
    page.drawLine({ start: { x: MARGIN, y: y + 4 }, end: { x: A4.width - MARGIN, y: y + 4 }, thickness: 0.25, color: rgb(0.8, 0.8, 0.8) });
  }
  const pages = doc.getPages();
  pages.forEach((p, i) => p.drawText(`page ${i + 1} of ${pages.length}`, { x: A4.width - MARGIN - 60, y: MARGIN - 16, size: 8, font: regular, color: rgb(0.35, 0.35, 0.35) }));
  return doc.save();
}
