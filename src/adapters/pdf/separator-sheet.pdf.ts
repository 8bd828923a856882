/**
 * Separator and cover sheets for batch scanning: an A4 page with a large S code (twice, so a
 * sheet fed upside down or with a smudge still reads) that tells the batch processor where one
 * document ends and the next begins. A cover sheet also names the customer and document type of
 * the pages that follow; that assignment is stored with the code, the print is for people.
 */
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import { barsWidthMm, drawCode128 } from './letters.pdf.js';

const MM = 72 / 25.4;
const W = 210 * MM;
const H = 297 * MM;
/** 0.5 mm modules: reads from a quick, skewed feed at 150 dpi. */
const MODULE_MM = (6 / 300) * 25.4;

export type SeparatorSheetInput = {
  barcode: string;
  customer: { id: string; name: string } | null;
  type: string | null;
  copies: number;
};

/** Renders `copies` identical sheets. */
export async function renderSeparatorSheetPdf(input: SeparatorSheetInput): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`Scheidingsblad ${input.barcode}`);
  doc.setProducer('Dossierlink');
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const mono = await doc.embedFont(StandardFonts.Courier);
  const charset = new Set(regular.getCharacterSet());
  // Standard fonts speak WinAnsi: keep what it has (ó, ë), drop accents it lacks, else '?'.
  const safe = (s: string) =>
    [...s]
      .map((c) => (charset.has(c.codePointAt(0)!) ? c : c.normalize('NFD').replace(/[\u0300-\u036f]/g, '')))
      .map((c) => ([...c].every((x) => charset.has(x.codePointAt(0)!)) && c ? c : '?'))
      .join('');
  const cover = Boolean(input.customer || input.type);
  for (let i = 0; i < Math.max(1, input.copies); i++) {
    const page = doc.addPage([W, H]);
    const centred = (s: string, yMm: number, size: number, font = regular) =>
      page.drawText(safe(s), { x: (W - font.widthOfTextAtSize(safe(s), size)) / 2, y: H - yMm * MM, size, font });
    centred(cover ? 'VOORBLAD' : 'SCHEIDINGSBLAD', 35, 34, bold);
    centred('Leg dit blad vóór de pagina\'s die bij elkaar horen. Niet nieten.', 47, 11);
    for (const top of [70, 200]) {
      const x = (210 - barsWidthMm(input.barcode, MODULE_MM)) / 2;
      drawCode128(page, input.barcode, { xMm: x, yMm: top, heightMm: 25, moduleMm: MODULE_MM });
      centred(input.barcode, top + 33, 16, mono);
    }
    if (input.customer) centred(`Klant: ${input.customer.name} (${input.customer.id})`, 130, 16, bold);
    if (input.type) centred(`Documentsoort: ${input.type}`, 142, 14);
    page.drawRectangle({ x: 10 * MM, y: 10 * MM, width: W - 20 * MM, height: H - 20 * MM, borderColor: rgb(0, 0, 0), borderWidth: 3 });
  }
  return doc.save();
}
