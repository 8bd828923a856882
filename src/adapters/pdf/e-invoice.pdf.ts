/**
 * A human-readable PDF of a structured invoice (a bare UBL file has no picture of its own): it
 * becomes the document's archive copy and preview, and its text layer is what search indexes.
 * Dutch labels with the English beside them; amounts as in the XML, in its currency.
 */
import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import type { EInvoice, EInvoiceParty } from '../../domain/e-invoice.js';
import { winAnsiSafe } from './text-pdf.js';

const W = 595.28;
const H = 841.89;
const money = (n: number | null, cur: string | null) => (n === null ? '' : `${cur ?? ''} ${n.toFixed(2)}`.trim());

/** @example const pdf = await renderEInvoicePdf(parseEInvoice(xmlBytes)); */
export async function renderEInvoicePdf(inv: EInvoice): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  doc.setTitle(winAnsiSafe(`${inv.format === 'ubl-credit-note' || (inv.total ?? 0) < 0 ? 'Creditnota' : 'Factuur'} ${inv.number}`));
  doc.setProducer('Dossierlink');
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  let page: PDFPage = doc.addPage([W, H]);
  let y = 60;
  const text = (s: string, x: number, yy: number, size = 10, font: PDFFont = regular, right = false) => {
    const t = winAnsiSafe(s);
    page.drawText(t, { x: right ? x - font.widthOfTextAtSize(t, size) : x, y: H - yy - size * 0.8, size, font });
  };
  const party = (title: string, p: EInvoiceParty, x: number, top: number): number => {
    let yy = top;
    text(title, x, yy, 8, bold);
    yy += 13;
    for (const line of [p.name ?? '', ...p.address, p.vatNumber ? `Btw-nummer / VAT number: ${p.vatNumber}` : '', p.kvk ? `KvK: ${p.kvk}` : '', p.id ? `Klantnummer / Customer number: ${p.id}` : ''].filter(Boolean)) {
      text(line, x, yy, 9);
      yy += 12;
    }
    return yy;
  };
  const credit = inv.format === 'ubl-credit-note';
  text(credit ? 'CREDITNOTA / CREDIT NOTE' : 'FACTUUR / INVOICE', 50, y, 18, bold);
  y += 34;
  const after = Math.max(party('Leverancier / Seller', inv.seller, 50, y), party('Klant / Buyer', inv.buyer, 320, y));
  y = after + 14;
  const details: [string, string | null][] = [
    [credit ? 'Creditnotanummer / Credit note number' : 'Factuurnummer / Invoice number', inv.number],
    ['Factuurdatum / Invoice date', inv.issueDate],
    ['Vervaldatum / Due date', inv.dueDate],
    ['Betalingskenmerk / Payment reference', inv.paymentReference],
    ['IBAN', inv.iban],
  ];
  for (const [label, value] of details) {
    if (!value) continue;
    text(label, 50, y, 9, bold);
    text(value, 280, y, 9);
    y += 14;
  }
  y += 14;
  const header = () => {
    text('Omschrijving / Description', 50, y, 9, bold);
    text('Aantal / Qty', 330, y, 9, bold, true);
    text('Prijs / Price', 440, y, 9, bold, true);
    text('Bedrag / Amount', W - 50, y, 9, bold, true);
    y += 16;
  };
  header();
  for (const line of inv.lines) {
    if (y > H - 120) {
      page = doc.addPage([W, H]);
      y = 60;
      header();
    }
    text(line.description.slice(0, 55), 50, y, 9);
    text(line.quantity === null ? '' : String(line.quantity), 330, y, 9, regular, true);
    text(money(line.unitPrice, inv.currency), 440, y, 9, regular, true);
    text(money(line.amount, inv.currency), W - 50, y, 9, regular, true);
    y += 13;
  }
  y += 12;
  const totals: [string, number | null][] = [
    ['Totaal excl. btw / Total excl. VAT', inv.taxExclusive],
    ['Btw / VAT', inv.tax],
    ['Te betalen / Amount due', inv.total],
  ];
  for (const [label, value] of totals) {
    if (value === null) continue;
    text(label, 300, y, 10, label.startsWith('Te betalen') ? bold : regular);
    text(money(value, inv.currency), W - 50, y, 10, label.startsWith('Te betalen') ? bold : regular, true);
    y += 15;
  }
  for (const note of inv.notes.slice(0, 5)) {
    y += 6;
    text(note.slice(0, 100), 50, y, 8);
    y += 10;
  }
  text(`Gemaakt uit de e-factuur (${inv.format}${inv.specification ? `, ${inv.specification}` : ''}); de XML is het origineel.`.slice(0, 120), 50, H - 50, 7);
  return doc.save();
}
