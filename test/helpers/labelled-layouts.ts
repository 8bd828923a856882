/**
 * A labelled set of real-looking business documents for measuring key-point reading: varied
 * templates of our own (letterhead left or right, labels left of or above their values, a
 * header table, two columns, line-item tables, footers with KvK / VAT / IBAN), in Dutch,
 * English, German and French, with label wording, date and amount notation varied per document.
 * Each document is a list of positioned text items (PDF points, origin top left) plus the
 * truth for every field; `layoutPdf` draws it as a born-digital PDF with a real text layer.
 * Generated at test time, never committed.
 */
import { PDFDocument, StandardFonts, type PDFFont } from 'pdf-lib';
import { ibanChecksumOk } from '../../src/domain/business-ids.js';
import { winAnsiSafe } from '../../src/adapters/pdf/text-pdf.js';
import { seeded } from './degrade-image.js';
import { COMPANIES, pad, WORDS, type Words } from './labelled-layout-words.js';

export const LANGUAGES = ['nl', 'en', 'de', 'fr'] as const;
export type Lang = (typeof LANGUAGES)[number];
export type Item = { text: string; x: number; y: number; size?: number; bold?: boolean; align?: 'left' | 'right' };
export type LayoutTruth = {
  type: string;
  number: string | null;
  docDate: string;
  total: number | null;
  currency: string | null;
  dueDate: string | null;
  vatNumber: string;
  iban: string;
  kvk: string | null;
  customerNumber: string | null;
};
/** `kerned`: text drawn in pieces of a few letters, as word processors with kerning write PDFs. */
export type LabelledLayout = { id: string; lang: Lang; template: string; truth: LayoutTruth; items: Item[]; kerned: boolean };

const W = 595.28;
const H = 841.89;

type Rand = () => number;
const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

// ---------------------------------------------------------------- valid identifiers

function ibanFor(country: string, r: Rand): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');
  const bban = country === 'NL' ? pick(r, ['ABNA', 'RABO', 'INGB', 'TRIO']) + digits(10)
    : country === 'GB' || country === 'IE' ? pick(r, ['NWBK', 'BARC', 'AIBK']) + digits(14)
    : country === 'DE' ? digits(18)
    : country === 'BE' ? digits(12)
    : digits(10) + digits(11) + digits(2);
  for (let check = 2; check < 99; check++) {
    const iban = `${country}${pad(check)}${bban}`;
    if (ibanChecksumOk(iban)) return iban;
  }
  throw new Error('no check digits');
}

function vatFor(country: string, r: Rand): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 10));
  if (country === 'NL') {
    for (;;) {
      const d = digits(8);
      const check = d.reduce((s, x, i) => s + x * (9 - i), 0) % 11;
      if (check < 10) return `NL${d.join('')}${check}B0${1 + Math.floor(r() * 3)}`;
    }
  }
  if (country === 'DE') {
    const d = digits(8);
    d[0] = 1 + Math.floor(r() * 9);
    let product = 10;
    for (const x of d) {
      let sum = (x + product) % 10;
      if (sum === 0) sum = 10;
      product = (2 * sum) % 11;
    }
    return `DE${d.join('')}${(11 - product) % 10}`;
  }
  if (country === 'FR') return `FR${pad(Math.floor(r() * 100))}${digits(9).join('')}`;
  if (country === 'BE') return `BE0${digits(9).join('')}`;
  return `${country === 'IE' ? 'GB' : country}${digits(9).join('')}`;
}

const spacedIban = (iban: string) => iban.replace(/(.{4})(?=.)/g, '$1 ');
const printedVat = (vat: string, r: Rand) => (vat.startsWith('NL') && r() < 0.3 ? `${vat.slice(0, 2)} ${vat.slice(2, 6)}.${vat.slice(6, 8)}.${vat.slice(8, 11)}.${vat.slice(11)}` : vat);

// ---------------------------------------------------------------- document data

type Data = {
  lang: Lang; type: string; w: Words; r: Rand;
  sender: { name: string; street: string; city: string }; recipient: { name: string; street: string; city: string };
  title: string; numberLabel: string; number: string | null; dateLabel: string; date: string; iso: string;
  dueLabel: string; due: string | null; dueIso: string | null; customerLabel: string; customer: string | null;
  totalLabel: string; cur: string; money: (n: number) => string; rows: { desc: string; qty: number; price: number; amount: number }[];
  subtotal: number; vatRate: number; vatAmount: number; total: number | null;
  vatLabel: string; vat: string; ibanLabel: string; iban: string; kvkLabel: string | null; kvk: string | null; place: string;
};

function makeData(lang: Lang, type: string, r: Rand, id: number): Data {
  const w = WORDS[lang];
  const d = 1 + Math.floor(r() * 28);
  const m = 1 + Math.floor(r() * 12);
  const y = 2013 + Math.floor(r() * 13);
  const form = pick(r, w.dateForms);
  const iso = `${y}-${pad(m)}-${pad(d)}`;
  const dueAt = new Date(Date.UTC(y, m - 1, d + pick(r, [14, 30])));
  const dueIso = dueAt.toISOString().slice(0, 10);
  const cur = pick(r, w.currencies);
  const moneyForm = pick(r, w.money);
  const rows = Array.from({ length: 2 + Math.floor(r() * 3) }, () => {
    const qty = 1 + Math.floor(r() * 5);
    const price = Math.round(r() * 90000) / 100 + 10;
    return { desc: pick(r, w.items), qty, price, amount: Math.round(qty * price * 100) / 100 };
  });
  const subtotal = Math.round(rows.reduce((s, x) => s + x.amount, 0) * 100) / 100;
  const vatRate = lang === 'nl' ? 21 : lang === 'de' ? 19 : lang === 'fr' ? 20 : 20;
  const vatAmount = Math.round(subtotal * vatRate) / 100;
  const country = pick(r, w.countries);
  const numberStyle = Math.floor(r() * 4);
  const prefix = { invoice: ['F', 'INV', 'RE', 'FA'], quote: ['OF', 'Q', 'AN', 'DV'], order: ['ORD', 'PO', 'AB', 'BC'], 'service-contract': ['SC', 'SC', 'WV', 'CM'], 'service-call': ['SM', 'TK', 'SM', 'IN'] }[type]?.[LANGUAGES.indexOf(lang)] ?? 'D';
  const seq = 100 + Math.floor(r() * 99000);
  const number = type === 'letter' ? null
    : numberStyle === 0 ? String(900000000 + Math.floor(r() * 99999999))
    : numberStyle === 1 ? `${prefix}-${y}-${String(seq).padStart(5, '0')}`
    : numberStyle === 2 ? `${prefix}${y}${String(seq).padStart(5, '0')}`
    : `${y}-${seq}`;
  const money = (n: number) => moneyForm(n, cur);
  const hasTotal = ['invoice', 'quote', 'order'].includes(type);
  const usDates = cur === 'USD' && hasTotal;
  const hasDue = type === 'invoice' && r() < 0.7;
  const companies = COMPANIES[lang];
  const sender = companies[id % companies.length]!;
  const recipient = companies[(id + 1) % companies.length]!;
  const customer = type === 'letter' && r() < 0.5 ? null : lang === 'nl' ? `KL-${String(100000 + Math.floor(r() * 900)).slice(1).padStart(6, '0')}` : `${pick(r, ['C', 'KD', 'CL', 'CU'])}-${10000 + Math.floor(r() * 89999)}`;
  return {
    lang, type, w, r, sender, recipient,
    title: pick(r, w.titles[type] ?? ['']),
    numberLabel: pick(r, w.number[type] ?? ['']),
    number,
    dateLabel: pick(r, w.date[type] ?? ['Datum']),
    // American paperwork writes numeric dates month first.
    date: usDates && /^\d\d\/\d\d\//.test(form(d, m, y, w.months)) ? `${pad(m)}/${pad(d)}/${y}` : form(d, m, y, w.months),
    iso,
    dueLabel: pick(r, w.due),
    due: !hasDue ? null : usDates && /^\d\d\/\d\d\//.test(form(d, m, y, w.months)) ? `${pad(dueAt.getUTCMonth() + 1)}/${pad(dueAt.getUTCDate())}/${dueAt.getUTCFullYear()}` : form(dueAt.getUTCDate(), dueAt.getUTCMonth() + 1, dueAt.getUTCFullYear(), w.months),
    dueIso: hasDue ? dueIso : null,
    customerLabel: pick(r, w.customer),
    customer,
    totalLabel: pick(r, w.total),
    cur, money, rows, subtotal, vatRate, vatAmount,
    total: hasTotal ? Math.round((subtotal + vatAmount) * 100) / 100 : null,
    vatLabel: pick(r, w.vatLabel),
    vat: vatFor(country, r),
    ibanLabel: pick(r, w.ibanLabel),
    iban: ibanFor(country, r),
    kvkLabel: w.kvkLabel.length ? pick(r, w.kvkLabel) : null,
    kvk: w.kvkLabel.length ? String(10000000 + Math.floor(r() * 89999999)) : null,
    place: pick(r, w.places),
  };
}

// ---------------------------------------------------------------- templates

const colon = (label: string, r: Rand) => (r() < 0.7 && !/[:.]$/.test(label) ? `${label}:` : label);

function letterhead(d: Data, right: boolean): Item[] {
  const x = right ? W - 50 : 50;
  const align = right ? 'right' : 'left';
  return [
    { text: d.sender.name, x, y: 50, size: 14, bold: true, align },
    { text: d.sender.street, x, y: 68, size: 9, align },
    { text: d.sender.city, x, y: 80, size: 9, align },
  ];
}
function address(d: Data, x: number, y: number): Item[] {
  return [
    { text: d.recipient.name, x, y, size: 10 },
    { text: d.recipient.street, x, y: y + 13, size: 10 },
    { text: d.recipient.city, x, y: y + 26, size: 10 },
  ];
}
function footer(d: Data, style: 'line' | 'columns'): Item[] {
  const parts = [d.kvk && d.kvkLabel ? `${d.kvkLabel} ${d.kvk}` : null, `${colon(d.vatLabel, d.r)} ${printedVat(d.vat, d.r)}`, `${colon(d.ibanLabel, d.r)} ${spacedIban(d.iban)}`].filter((p): p is string => Boolean(p));
  if (style === 'line') return [{ text: parts.join('   |   '), x: 50, y: H - 50, size: 8 }];
  return parts.map((p, i) => ({ text: p, x: 50 + i * 175, y: H - 50, size: 8 }));
}
/** Line items with a header row; the amount column is right-aligned. */
function itemTable(d: Data, y: number): { items: Item[]; y: number } {
  const [c1, c2, c3, c4] = d.w.table;
  const out: Item[] = [
    { text: c1, x: 50, y, size: 9, bold: true },
    { text: c2, x: 300, y, size: 9, bold: true },
    { text: c3, x: 420, y, size: 9, bold: true, align: 'right' },
    { text: c4, x: W - 50, y, size: 9, bold: true, align: 'right' },
  ];
  let yy = y + 18;
  for (const row of d.rows) {
    out.push({ text: row.desc, x: 50, y: yy, size: 9 }, { text: String(row.qty), x: 300, y: yy, size: 9 }, { text: d.money(row.price), x: 420, y: yy, size: 9, align: 'right' }, { text: d.money(row.amount), x: W - 50, y: yy, size: 9, align: 'right' });
    yy += 14;
  }
  return { items: out, y: yy + 10 };
}
function totals(d: Data, y: number): Item[] {
  if (d.total === null) return [];
  return [
    { text: d.w.subtotal, x: 340, y, size: 9 },
    { text: d.money(d.subtotal), x: W - 50, y, size: 9, align: 'right' },
    { text: d.w.vat(d.vatRate), x: 340, y: y + 14, size: 9 },
    { text: d.money(d.vatAmount), x: W - 50, y: y + 14, size: 9, align: 'right' },
    { text: d.totalLabel, x: 340, y: y + 32, size: 11, bold: true },
    { text: d.money(d.total), x: W - 50, y: y + 32, size: 11, bold: true, align: 'right' },
  ];
}
function body(d: Data, y: number): Item[] {
  return (d.w.body[d.type] ?? []).map((t, i) => ({ text: t, x: 50, y: y + i * 14, size: 10 }));
}
/** Label and value pairs in one block: label left with the value in a column beside it. */
function labelLeft(pairs: [string, string][], x: number, y: number, valueX: number, r: Rand): Item[] {
  return pairs.flatMap(([l, v], i) => [
    { text: colon(l, r), x, y: y + i * 14, size: 9 },
    { text: v, x: valueX, y: y + i * 14, size: 9 },
  ]);
}
function pairs(d: Data): [string, string][] {
  const p: [string, string][] = [];
  if (d.number) p.push([d.numberLabel, d.number]);
  p.push([d.dateLabel, d.date]);
  if (d.customer) p.push([d.customerLabel, d.customer]);
  if (d.due) p.push([d.dueLabel, d.due]);
  return p;
}

type Template = (d: Data) => Item[];
const TEMPLATES: Record<string, Template> = {
  /** Letterhead left, address block, details label-left on the right, items, totals, one-line footer. */
  'classic-label-left': (d) => {
    const t = itemTable(d, 330);
    return [...letterhead(d, false), ...address(d, 50, 150), { text: d.title, x: 50, y: 250, size: 18, bold: true },
      ...labelLeft(pairs(d), 330, 150, 440, d.r), ...body(d, 290), ...(d.total !== null ? [...t.items, ...totals(d, t.y)] : []), ...footer(d, 'line')];
  },
  /** Letterhead right, a header table: labels in a row, values in the row below. */
  'header-table': (d) => {
    const p = pairs(d);
    const colW = (W - 100) / p.length;
    const head = p.flatMap(([l, v], i) => [{ text: l, x: 50 + i * colW, y: 250, size: 8, bold: true }, { text: v, x: 50 + i * colW, y: 264, size: 10 }]);
    const t = itemTable(d, 310);
    return [...letterhead(d, true), ...address(d, 50, 140), { text: d.title, x: 50, y: 215, size: 16, bold: true }, ...head,
      ...body(d, 300), ...(d.total !== null ? [...t.items, ...totals(d, t.y)] : []), ...footer(d, 'columns')];
  },
  /** Two columns: sender details and identifiers left, document details right with labels above values. */
  'two-column-label-above': (d) => {
    const left: Item[] = [
      ...letterhead(d, false),
      { text: colon(d.ibanLabel, d.r), x: 50, y: 110, size: 8, bold: true }, { text: spacedIban(d.iban), x: 50, y: 121, size: 9 },
      { text: d.vatLabel, x: 50, y: 140, size: 8, bold: true }, { text: d.vat, x: 50, y: 151, size: 9 },
      ...(d.kvk && d.kvkLabel ? [{ text: d.kvkLabel, x: 50, y: 170, size: 8, bold: true }, { text: d.kvk, x: 50, y: 181, size: 9 }] : []),
    ];
    const right = pairs(d).flatMap(([l, v], i) => [{ text: l, x: 360, y: 110 + i * 30, size: 8, bold: true }, { text: v, x: 360, y: 121 + i * 30, size: 10 }]);
    const t = itemTable(d, 330);
    // Total in a box: the label above the amount.
    const tot: Item[] = d.total === null ? [] : [
      { text: d.w.subtotal, x: 340, y: t.y, size: 9 }, { text: d.money(d.subtotal), x: W - 50, y: t.y, size: 9, align: 'right' },
      { text: d.totalLabel, x: 400, y: t.y + 24, size: 9, bold: true }, { text: d.money(d.total), x: 400, y: t.y + 36, size: 13, bold: true },
    ];
    return [...left, ...right, ...address(d, 50, 220), { text: d.title, x: 360, y: 70, size: 18, bold: true }, ...body(d, 300), ...(d.total !== null ? t.items : []), ...tot];
  },
  /** Compact: title with number inline, details on one line in cells, totals as a small table. */
  'inline-cells': (d) => {
    const p = pairs(d).slice(1);
    const cells = p.map(([l, v], i) => ({ text: `${colon(l, d.r)} ${v}`, x: 50 + i * 180, y: 230, size: 9 }));
    const t = itemTable(d, 280);
    return [...letterhead(d, false), ...address(d, 330, 110), { text: d.number ? `${d.title} ${d.number}` : d.title, x: 50, y: 205, size: 15, bold: true }, ...cells,
      ...body(d, 260), ...(d.total !== null ? [...t.items, ...totals(d, t.y)] : []), ...footer(d, 'line')];
  },
  /** A letter: place and date, no labels. */
  letter: (d) => [...letterhead(d, d.r() < 0.5), ...address(d, 50, 150), { text: d.w.letterDate(d.place, d.date), x: 50, y: 230, size: 10 },
    ...(d.customer ? [{ text: `${colon(d.customerLabel, d.r)} ${d.customer}`, x: 50, y: 245, size: 10 }] : []), ...body(d, 280), ...footer(d, 'line')],
};
const DOC_TEMPLATES = ['classic-label-left', 'header-table', 'two-column-label-above', 'inline-cells'];
/** Invoices weigh most in real post; every canonical type with key points is present. */
const TYPES = ['invoice', 'invoice', 'quote', 'order', 'invoice', 'service-contract', 'service-call', 'letter'];

/**
 * `perLanguage` documents in each of Dutch, English, German and French, deterministic for a seed.
 *
 *     labelledLayouts(8).filter((d) => d.lang === 'de')
 */
export function labelledLayouts(perLanguage: number, seed = 18): LabelledLayout[] {
  const out: LabelledLayout[] = [];
  for (const lang of LANGUAGES) {
    const r = seeded(seed * 101 + LANGUAGES.indexOf(lang));
    for (let i = 0; i < perLanguage; i++) {
      const type = TYPES[i % TYPES.length]!;
      const template = type === 'letter' ? 'letter' : DOC_TEMPLATES[(i + LANGUAGES.indexOf(lang)) % DOC_TEMPLATES.length]!;
      const d = makeData(lang, type, r, i);
      out.push({
        id: `${lang}-${i}-${type}-${template}`,
        lang,
        template,
        items: TEMPLATES[template]!(d),
        kerned: i % 3 === 2,
        truth: { type, number: d.number, docDate: d.iso, total: d.total, currency: d.total === null ? null : d.cur, dueDate: d.dueIso, vatNumber: d.vat, iban: d.iban, kvk: d.kvk, customerNumber: d.customer },
      });
    }
  }
  return out;
}

/** Draws a labelled layout as a born-digital A4 PDF (Helvetica, a real text layer). */
export async function layoutPdf(doc: LabelledLayout): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const fonts: Record<string, PDFFont> = { regular: await pdf.embedFont(StandardFonts.Helvetica), bold: await pdf.embedFont(StandardFonts.HelveticaBold) };
  pdf.setProducer('Dossierlink test layouts');
  pdf.setCreationDate(new Date(0));
  pdf.setModificationDate(new Date(0));
  const page = pdf.addPage([W, H]);
  for (const it of doc.items) {
    const font = it.bold ? fonts.bold! : fonts.regular!;
    const size = it.size ?? 10;
    const text = winAnsiSafe(it.text);
    const x = it.align === 'right' ? it.x - font.widthOfTextAtSize(text, size) : it.x;
    if (!doc.kerned) {
      page.drawText(text, { x, y: H - it.y - size * 0.8, size, font });
      continue;
    }
    // Pieces of 1-4 letters, each placed where it falls in the whole: what a text layer with kerning holds.
    for (let at = 0, n = 0; at < text.length; at += n) {
      n = 1 + ((at * 7 + text.length) % 4);
      page.drawText(text.slice(at, at + n), { x: x + font.widthOfTextAtSize(text.slice(0, at), size), y: H - it.y - size * 0.8, size, font });
    }
  }
  return pdf.save();
}
