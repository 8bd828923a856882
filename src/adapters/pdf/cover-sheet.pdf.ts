/**
 * A cover sheet for any intake (upload, batch, scanner inbox, e-mail): an A4 page whose QR code
 * carries the customer and document type itself (see coverCode), so printing one writes nothing
 * and any number of copies can be kept in the mailroom. Two codes, so a sheet fed upside down or
 * with a smudge still reads; the sheet is dropped from the scan, the pages after it get its
 * customer and type.
 */
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import { dotsToMm, drawBarcode, mmToPt, symbolModules } from '../barcode/barcode-render.js';
import { sanitizeForFont } from './labels.pdf.js';

const W = mmToPt(210);
const H = mmToPt(297);
/** Room for each QR code, quiet zone included: ~1.2 mm modules for the usual 33-character code. */
const QR_MM = 45;

export type CoverSheetInput = { code: string; customer: { id: string; name: string } | null; type: string | null; copies: number };

export async function renderCoverSheetPdf(input: CoverSheetInput): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`Voorblad ${input.customer?.id ?? ''} ${input.type ?? ''}`.trim());
  doc.setProducer('Dossierlink');
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  // Bigger modules than a label's: a cover sheet has room, and a fax or a 100 dpi scan must read it.
  const moduleDots = Math.min(20, Math.floor(QR_MM / dotsToMm(1) / symbolModules('qrcode', input.code).modules));
  for (let i = 0; i < Math.max(1, input.copies); i++) {
    const page = doc.addPage([W, H]);
    const centred = (s: string, yMm: number, size: number, font = regular) => {
      const text = sanitizeForFont(s, font);
      page.drawText(text, { x: (W - font.widthOfTextAtSize(text, size)) / 2, y: H - mmToPt(yMm), size, font });
    };
    centred('VOORBLAD', 35, 34, bold);
    centred('Leg dit blad vóór de pagina\'s van één document. Niet nieten.', 47, 11);
    for (const top of [60, 200]) {
      await drawBarcode(page, input.code, { x: (W - mmToPt(QR_MM)) / 2, y: H - mmToPt(top + QR_MM), width: mmToPt(QR_MM), height: mmToPt(QR_MM) }, { symbology: 'qrcode', moduleDots });
    }
    centred(input.customer ? `Klant: ${input.customer.name} (${input.customer.id})` : 'Klant: (herkennen uit de pagina\'s)', 125, 16, bold);
    centred(`Documentsoort: ${input.type ?? '(herkennen uit de pagina\'s)'}`, 137, 14);
    centred(input.code, 150, 9);
    page.drawRectangle({ x: mmToPt(10), y: mmToPt(10), width: W - mmToPt(20), height: H - mmToPt(20), borderColor: rgb(0, 0, 0), borderWidth: 3 });
  }
  return doc.save();
}
