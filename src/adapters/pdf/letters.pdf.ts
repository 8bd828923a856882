/**
 * Mailing letters for a fulfilment house: one A4 page per letter with the address in the window
 * of a Dutch window envelope, the body from a template, and a detachable reply coupon carrying
 * the letter's barcode and tick boxes. Bars are drawn as vector rectangles (no image per letter),
 * the standard fonts are shared by every page, and the work yields to the event loop between
 * chunks, so 1,598 letters take seconds and other requests keep being served meanwhile.
 */
import bwipjs from 'bwip-js';
import { PDFDocument, PDFOperator, PDFOperatorNames, StandardFonts, fill, popGraphicsState, pushGraphicsState, rgb, setFillingGrayscaleColor } from 'pdf-lib';
import type { PDFEmbeddedPage, PDFFont, PDFPage } from 'pdf-lib';
import { COUPON_MODULE_MM, LETTER_LAYOUT, dutchDate, fill as fillTemplate, tickBoxMm, type LetterTemplate, type LetterVars } from '../../domain/mailing.js';
import { Invalid } from '../../errors.js';

const MM = 72 / 25.4;
const PAGE_W = LETTER_LAYOUT.page.width * MM;
const PAGE_H = LETTER_LAYOUT.page.height * MM;
/** Letters between two yields to the event loop (and between two progress reports). */
export const LETTER_CHUNK = 100;

export type LetterInput = {
  seq: number;
  barcode: string;
  customer: { id: string; name: string; address: string | null; postcode: string | null; city: string | null };
};

export type LettersPdfInput = {
  template: LetterTemplate;
  mailing: { id: string; name: string };
  /** Date printed on the letters, YYYY-MM-DD. */
  date: string;
  /** Letters in the whole mailing (for "brief 12 van 1598"), even when rendering a part. */
  total: number;
  letters: LetterInput[];
};

/** Widths of the Code 128 bars and spaces in modules, starting with a bar (quiet zones excluded). */
export function code128Modules(text: string): number[] {
  const [sym] = bwipjs.raw({ bcid: 'code128', text }) as { sbs?: number[] }[];
  if (!sym?.sbs?.length) throw new Invalid(`Cannot encode ${JSON.stringify(text)} as Code 128`, undefined, 'barcode_not_encodable');
  return sym.sbs;
}

/** Printed width of the bars of `text` at `moduleMm`, quiet zones excluded. */
export function barsWidthMm(text: string, moduleMm = COUPON_MODULE_MM): number {
  return code128Modules(text).reduce((a, b) => a + b, 0) * moduleMm;
}

/**
 * Draws Code 128 bars as filled rectangles with their top-left corner at (xMm, yMm) from the
 * page's top-left: a handful of operators, sharp at any resolution, nothing embedded.
 */
export function drawCode128(page: PDFPage, text: string, at: { xMm: number; yMm: number; heightMm: number; moduleMm?: number }): number {
  const module = (at.moduleMm ?? COUPON_MODULE_MM) * MM;
  const sbs = code128Modules(text);
  const top = PAGE_H - at.yMm * MM;
  const h = at.heightMm * MM;
  const ops = [pushGraphicsState(), setFillingGrayscaleColor(0)];
  let x = at.xMm * MM;
  // One pre-formatted argument per bar: pdf-lib's general number formatting was a third of the
  // time of a 1,598-letter mailing, and 0.001 pt is far below a printer dot.
  const y = (top - h).toFixed(3);
  const hs = h.toFixed(3);
  sbs.forEach((w, i) => {
    if (i % 2 === 0) ops.push(PDFOperator.of(PDFOperatorNames.AppendRectangle, [`${x.toFixed(3)} ${y} ${(w * module).toFixed(3)} ${hs}`]));
    x += w * module;
  });
  ops.push(fill(), popGraphicsState());
  page.pushOperators(...ops);
  return (x - at.xMm * MM) / MM;
}

type Fonts = { regular: PDFFont; bold: PDFFont; mono: PDFFont; charset: Set<number> };

/** Letters with a stroke rather than a combining accent: NFD leaves them alone. */
const STROKED: Record<string, string> = { Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', Ħ: 'H', ħ: 'h', ı: 'i', Ŧ: 'T', ŧ: 't' };

/**
 * Standard fonts speak WinAnsi only: other characters (a Polish ł, a Turkish ş in a CRM name)
 * would make pdf-lib throw halfway through a mailing. They lose their accent, or become '?'.
 */
function printable(text: string, fonts: Fonts): string {
  let out = '';
  for (const ch of text.replace(/[\r\n\t]+/g, ' ')) {
    const cp = ch.codePointAt(0)!;
    if (fonts.charset.has(cp)) out += ch;
    else {
      const base = (STROKED[ch] ?? ch).normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      out += base && [...base].every((c) => fonts.charset.has(c.codePointAt(0)!)) ? base : '?';
    }
  }
  return out;
}

/**
 * Breaks text into lines no wider than `widthMm`. Word widths are cached per font and size, and a
 * line's width is the sum of its words (kerning across a space is nil in the standard fonts), so
 * wrapping 1,598 letters is linear rather than re-measuring every growing line.
 */
function wrap(text: string, font: PDFFont, size: number, widthMm: number, cache: Map<string, number>): string[] {
  const max = widthMm * MM;
  const width = (w: string) => {
    const key = `${size}|${w}`;
    let v = cache.get(key);
    if (v === undefined) cache.set(key, (v = font.widthOfTextAtSize(w, size)));
    return v;
  };
  const space = width(' ');
  const lines: string[] = [];
  let line = '';
  let lineW = 0;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const w = width(word);
    if (line && lineW + space + w > max) {
      lines.push(line);
      line = word;
      lineW = w;
    } else {
      lineW = line ? lineW + space + w : w;
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Shortens `text` with an ellipsis to at most `widthMm` at `size`: a CRM name of 300 characters
 * must neither run off the envelope window nor wrap a letter's body past its coupon and so fail
 * the whole mailing. `text` must be printable already.
 */
function fit(text: string, font: PDFFont, size: number, widthMm: number): string {
  const max = widthMm * MM;
  if (font.widthOfTextAtSize(text, size) <= max) return text;
  const chars = [...text];
  const cut = (n: number) => `${chars.slice(0, n).join('').trimEnd()}…`;
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (font.widthOfTextAtSize(cut(mid), size) <= max) lo = mid;
    else hi = mid - 1;
  }
  return cut(lo);
}

/** Per-letter values as printed: names and address lines fit the envelope window (the narrowest place they go). */
function letterVars(ctx: Ctx, input: LettersPdfInput, letter: LetterInput): LetterVars {
  const vars = mailingVars(input, letter);
  const width = LETTER_LAYOUT.window.width - 4;
  for (const k of ['name', 'address', 'city'] as const) vars[k] = fit(printable(vars[k], ctx.fonts), ctx.fonts.bold, 11, width);
  return vars;
}

/** Placeholders that differ from letter to letter; the others are the same for the whole mailing. */
const PER_LETTER = /\{\{\s*(name|customerId|address|postcode|city|barcode|seq)\s*\}\}/;
const perLetter = (templateText: string) => PER_LETTER.test(templateText);

type Ctx = { input: LettersPdfInput; fonts: Fonts; widths: Map<PDFFont, Map<string, number>> };

/**
 * One drawing pass over a page. Every element says whether it changes per letter; the `shared`
 * pass draws the others once onto a scratch page that becomes a form XObject, which each letter
 * then references, and the per-letter pass draws only what is its own. Same layout code, so the
 * two can never drift apart.
 */
type Pass = { page: PDFPage; perLetter: boolean; ctx: Ctx; vars: LetterVars };

function put(p: Pass, dynamic: boolean, s: string, xMm: number, yMm: number, size: number, font?: PDFFont): void {
  if (dynamic !== p.perLetter) return;
  p.page.drawText(printable(s, p.ctx.fonts), { x: xMm * MM, y: PAGE_H - yMm * MM, size, font: font ?? p.ctx.fonts.regular });
}

/** A template text at a fixed place: shared unless it names a per-letter placeholder. */
function putTemplate(p: Pass, templateText: string, xMm: number, yMm: number, size: number, font?: PDFFont): void {
  const dynamic = perLetter(templateText);
  if (dynamic === p.perLetter) put(p, dynamic, fillTemplate(templateText, p.vars), xMm, yMm, size, font);
}

function wrapFor(ctx: Ctx, text: string, font: PDFFont, size: number, widthMm: number): string[] {
  let cache = ctx.widths.get(font);
  if (!cache) ctx.widths.set(font, (cache = new Map()));
  return wrap(printable(text, ctx.fonts), font, size, widthMm, cache);
}

function mailingVars(input: LettersPdfInput, letter: LetterInput | null): LetterVars {
  const c = letter?.customer;
  return {
    name: c?.name ?? '',
    customerId: c?.id ?? '',
    address: c?.address ?? '',
    postcode: c?.postcode ?? '',
    city: c?.city ?? '',
    mailing: input.mailing.name,
    date: dutchDate(input.date),
    barcode: letter?.barcode ?? '',
    seq: letter ? String(letter.seq) : '',
    total: String(input.total),
  };
}

type BodyBlock = { template: string; font: 'regular' | 'bold'; size: number; gap: number; form?: { embedded: PDFEmbeddedPage; lines: number } };

/** The body as blocks in reading order; blocks without per-letter placeholders are shared forms. */
function bodyBlocks(t: LetterTemplate): BodyBlock[] {
  const size = LETTER_LAYOUT.body.fontSize;
  return [
    { template: t.subject, font: 'bold' as const, size: 11, gap: 10 - LETTER_LAYOUT.body.lineHeight },
    { template: t.salutation, font: 'regular' as const, size, gap: 2.5 },
    ...t.paragraphs.map((x) => ({ template: x, font: 'regular' as const, size, gap: 2.5 })),
    { template: t.closing, font: 'regular' as const, size, gap: 8 },
    ...t.signature.map((x) => ({ template: x, font: 'regular' as const, size, gap: 0 })),
  ];
}

/** Baseline of a shared block's first line on its scratch page, and its box below the last line. */
const FORM_TOP_MM = 20;
const formBottomMm = (lines: number) => FORM_TOP_MM + (lines - 1) * LETTER_LAYOUT.body.lineHeight + 2.5;

/**
 * Renders the letters as one PDF. Everything that is the same on every letter (letterhead, shared
 * paragraphs, the coupon's printed form) is drawn once as form XObjects; each page adds only its
 * own address, numbers, variable paragraphs and bars. `onProgress` is called after every chunk of
 * LETTER_CHUNK letters. Throws `Invalid` 'template_too_long' when a body does not fit above the
 * coupon.
 *
 *     const pdf = await renderLettersPdf({ template, mailing, date: '2026-03-14', total: 2, letters });
 */
export async function renderLettersPdf(input: LettersPdfInput, opts: { onProgress?: (done: number, total: number) => void } = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`${input.mailing.name}: brieven`);
  doc.setProducer('Dossierlink');
  const fonts = await embedFonts(doc);
  const ctx: Ctx = { input, fonts, widths: new Map() };

  // Shared parts are drawn on a scratch document (with its own fonts) and embedded as forms.
  const scratch = await PDFDocument.create();
  const scratchCtx: Ctx = { input, fonts: await embedFonts(scratch), widths: new Map() };
  const shared = scratch.addPage([PAGE_W, PAGE_H]);
  drawFixed({ page: shared, perLetter: false, ctx: scratchCtx, vars: mailingVars(input, null) });
  const blocks = bodyBlocks(input.template);
  const sharedBlocks: { block: BodyBlock; page: PDFPage; box: { left: number; right: number; top: number; bottom: number }; lines: number }[] = [];
  for (const b of blocks) {
    if (perLetter(b.template)) continue;
    const page = scratch.addPage([PAGE_W, PAGE_H]);
    const font = scratchCtx.fonts[b.font];
    const lines = wrapFor(scratchCtx, fillTemplate(b.template, mailingVars(input, null)), font, b.size, LETTER_LAYOUT.right - LETTER_LAYOUT.left);
    lines.forEach((line, i) => page.drawText(line, { x: LETTER_LAYOUT.left * MM, y: PAGE_H - (FORM_TOP_MM + i * LETTER_LAYOUT.body.lineHeight) * MM, size: b.size, font }));
    const box = { left: 0, right: PAGE_W, top: PAGE_H - (FORM_TOP_MM - 6) * MM, bottom: PAGE_H - formBottomMm(Math.max(1, lines.length)) * MM };
    sharedBlocks.push({ block: b, page, box, lines: lines.length });
  }
  // pdf-lib writes fonts at flush time: without this the forms would point at fonts not yet there.
  await scratch.flush();
  for (const s of sharedBlocks) s.block.form = { embedded: await doc.embedPage(s.page, s.box), lines: s.lines };
  const background = await doc.embedPage(shared);

  for (let i = 0; i < input.letters.length; i++) {
    const letter = input.letters[i]!;
    const page = doc.addPage([PAGE_W, PAGE_H]);
    page.drawPage(background, { x: 0, y: 0 });
    const pass: Pass = { page, perLetter: true, ctx, vars: letterVars(ctx, input, letter) };
    drawFixed(pass, letter);
    drawBody(pass, blocks);
    if ((i + 1) % LETTER_CHUNK === 0 || i + 1 === input.letters.length) {
      opts.onProgress?.(i + 1, input.letters.length);
      await new Promise((r) => setImmediate(r));
    }
  }
  return doc.save({ useObjectStreams: true });
}

async function embedFonts(doc: PDFDocument): Promise<Fonts> {
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  return {
    regular,
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    mono: await doc.embedFont(StandardFonts.Courier),
    charset: new Set(regular.getCharacterSet()),
  };
}

function drawBody(p: Pass, blocks: BodyBlock[]): void {
  const b = LETTER_LAYOUT.body;
  let y = b.top;
  for (const block of blocks) {
    if (block.form) {
      const n = block.form.lines;
      if (n > 0) p.page.drawPage(block.form.embedded, { x: 0, y: PAGE_H - (y - FORM_TOP_MM + formBottomMm(n)) * MM });
      y += n * b.lineHeight + block.gap;
      continue;
    }
    const font = p.ctx.fonts[block.font];
    for (const line of wrapFor(p.ctx, fillTemplate(block.template, p.vars), font, block.size, LETTER_LAYOUT.right - LETTER_LAYOUT.left)) {
      p.page.drawText(line, { x: LETTER_LAYOUT.left * MM, y: PAGE_H - y * MM, size: block.size, font });
      y += b.lineHeight;
    }
    y += block.gap;
  }
  if (y - blocks[blocks.length - 1]!.gap > b.bottom) {
    const t = p.ctx.input.template;
    throw new Invalid(`The letter body of template ${t.id} does not fit above the coupon`, { template: t.id, endsAtMm: Math.round(y), limitMm: b.bottom }, 'template_too_long');
  }
}

/** Everything at a fixed place on the page: letterhead, window address, references, coupon. */
function drawFixed(p: Pass, letter: LetterInput | null = null): void {
  const L = LETTER_LAYOUT;
  const t = p.ctx.input.template;
  const f = p.ctx.fonts;
  const ink = rgb(0, 0, 0);
  const c = letter?.customer;

  // Sender, top right.
  putTemplate(p, t.sender.name, L.sender.x, L.sender.y, 11, f.bold);
  t.sender.lines.forEach((s, i) => putTemplate(p, s, L.sender.x, L.sender.y + 5 + i * 4, 8.5));

  // Address in the envelope window: a small return line, then the addressee.
  const w = L.window;
  putTemplate(p, t.sender.returnAddress, w.x + 2, w.y + 5, 6.5);
  if (!p.perLetter) {
    p.page.drawLine({ start: { x: (w.x + 2) * MM, y: PAGE_H - (w.y + 6) * MM }, end: { x: (w.x + w.width - 4) * MM, y: PAGE_H - (w.y + 6) * MM }, thickness: 0.3, color: ink });
  }
  if (c) {
    const postal = `${(c.postcode ?? '').toUpperCase()}  ${(c.city ?? '').toUpperCase()}`.trim();
    [c.name, c.address ?? '', postal].filter(Boolean).forEach((s, i) => put(p, true, fit(printable(s, f), f.regular, 10, w.width - 4), w.x + 2, w.y + 13 + i * 5, 10));
  }

  // Reference block beside the window.
  const r = L.reference;
  ['Datum', 'Klantnummer', 'Kenmerk', 'Brief'].forEach((k, i) => put(p, false, k, r.x, r.y + i * 5, 8.5, f.bold));
  put(p, false, p.vars.date, r.x + 25, r.y, 8.5);
  if (letter) {
    put(p, true, letter.customer.id, r.x + 25, r.y + 5, 8.5);
    put(p, true, letter.barcode, r.x + 25, r.y + 10, 8.5);
    put(p, true, `${letter.seq} van ${p.ctx.input.total}`, r.x + 25, r.y + 15, 8.5);
  }

  drawCoupon(p, letter);
}

function drawCoupon(p: Pass, letter: LetterInput | null): void {
  const L = LETTER_LAYOUT;
  const k = L.coupon;
  const t = p.ctx.input.template.coupon;
  const f = p.ctx.fonts;
  const ink = rgb(0, 0, 0);
  if (!p.perLetter) {
    const cutY = PAGE_H - L.cutLine * MM;
    p.page.drawLine({ start: { x: 8 * MM, y: cutY }, end: { x: (L.page.width - 8) * MM, y: cutY }, thickness: 0.6, color: ink, dashArray: [5, 3] });
    const hint = 'hier afknippen';
    const hintW = f.regular.widthOfTextAtSize(hint, 7);
    p.page.drawRectangle({ x: PAGE_W / 2 - hintW / 2 - 3, y: cutY - 4, width: hintW + 6, height: 8, color: rgb(1, 1, 1) });
    put(p, false, hint, L.page.width / 2 - hintW / 2 / MM, L.cutLine + 1, 7);
  }

  putTemplate(p, t.title, k.title.x, k.title.y, 14, f.bold);
  put(p, false, p.ctx.input.mailing.name, k.title.x, k.title.y + 5.5, 8.5);
  if (letter) {
    put(p, true, fit(printable(`Naam: ${letter.customer.name}`, f), f.regular, 10, k.barcode.x - k.title.x - 6), k.title.x, k.title.y + 13, 10);
    put(p, true, `Klantnummer: ${letter.customer.id}`, k.title.x, k.title.y + 18, 10);
  }
  if (perLetter(t.question) === p.perLetter) {
    wrapFor(p.ctx, fillTemplate(t.question, p.vars), f.bold, 10, k.barcode.x - k.title.x - 6).forEach((line, i) =>
      put(p, p.perLetter, line, k.title.x, k.title.y + 26 + i * 4.5, 10, f.bold),
    );
  }

  t.answers.forEach((a, i) => {
    const box = tickBoxMm(i);
    if (!p.perLetter) {
      p.page.drawRectangle({ x: box.x * MM, y: PAGE_H - (box.y + box.size) * MM, width: box.size * MM, height: box.size * MM, borderColor: ink, borderWidth: 0.9 });
    }
    if (perLetter(a.label) === p.perLetter) {
      wrapFor(p.ctx, fillTemplate(a.label, p.vars), f.regular, 10, k.barcode.x - box.x - box.size - 8).slice(0, 2).forEach((line, j) =>
        put(p, p.perLetter, line, box.x + box.size + 3, box.y + 4.3 + j * 4.2, 10),
      );
    }
  });
  const lastBox = tickBoxMm(t.answers.length - 1);
  put(p, false, 'Datum: ....................   Handtekening: ..............................', k.title.x, lastBox.y + lastBox.size + 12, 9);

  // The code: bars, then the same code in plain text for typing when a scanner fails.
  const bc = k.barcode;
  if (letter) {
    const widthMm = drawCode128(p.page, letter.barcode, { xMm: bc.x, yMm: bc.y, heightMm: bc.height });
    const codeW = f.mono.widthOfTextAtSize(letter.barcode, 11) / MM;
    put(p, true, letter.barcode, bc.x + widthMm / 2 - codeW / 2, bc.y + bc.height + 5.5, 11, f.mono);
    put(p, true, `Brief ${letter.seq} van ${p.ctx.input.total}`, bc.x, bc.y - 3, 7);
  }
  t.returnTo.forEach((s, i) => putTemplate(p, s, bc.x, bc.y + bc.height + 13 + i * 4, 8.5, i === 0 ? f.bold : f.regular));
  put(p, false, 'Een postzegel is niet nodig.', bc.x, bc.y + bc.height + 13 + t.returnTo.length * 4 + 1, 7.5);
}
