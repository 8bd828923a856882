/**
 * Printable barcode labels: a single label for a label printer or whole A4 sheets, laid out from
 * `barcodes/label-layouts.json`. Each label carries a Code 128 barcode, the code in plain text
 * (what staff type when a scanner fails) and up to three short lines such as the customer name.
 */
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import type { PDFFont, PDFPage } from 'pdf-lib';
import { z } from 'zod';
import layoutsFile from '../../../barcodes/label-layouts.json' with { type: 'json' };
import { BARCODE_PROBLEM_TEXT, parseBarcode } from '../../domain/barcode.js';
import { Invalid } from '../../errors.js';
import { drawBarcode, mmToPt } from '../barcode/barcode-render.js';

/** More lines would squeeze the bars below what a hand scanner reads at a glance. */
export const MAX_LABEL_LINES = 3;
/** Shortest bars we accept from a layout; below this, skewed hand scans start to miss. */
const MIN_BAR_HEIGHT_MM = 6;
/** Taller bars only waste label; they do not scan better. */
const MAX_BAR_HEIGHT_MM = 15;
const GAP_MM = 1;

const size = z.object({ width: z.number().positive(), height: z.number().positive() });
const layoutSchema = z
  .object({
    description: z.string(),
    page: size,
    label: size,
    columns: z.number().int().positive(),
    rows: z.number().int().positive(),
    margin: z.object({ top: z.number().min(0), left: z.number().min(0) }),
    pitch: z.object({ x: z.number().positive(), y: z.number().positive() }),
    padding: z.object({ x: z.number().min(0), y: z.number().min(0) }),
    fontSize: z.number().positive(),
  })
  .refine((l) => l.pitch.x >= l.label.width && l.pitch.y >= l.label.height, 'labels overlap: pitch is smaller than the label')
  .refine(
    (l) =>
      l.margin.left + (l.columns - 1) * l.pitch.x + l.label.width <= l.page.width + 0.01 &&
      l.margin.top + (l.rows - 1) * l.pitch.y + l.label.height <= l.page.height + 0.01,
    'labels run off the page',
  );

/** A label stock from label-layouts.json; lengths in mm, font size in pt. */
export type LabelLayout = z.infer<typeof layoutSchema> & { id: string; perSheet: number };

let layouts: Map<string, LabelLayout> | undefined;

function loadLayouts(): Map<string, LabelLayout> {
  if (!layouts) {
    const parsed = z.record(z.string(), layoutSchema).safeParse(layoutsFile.layouts);
    // The file ships with the code, so a broken one is a bug, not a client error.
    if (!parsed.success) throw new Error(`barcodes/label-layouts.json is invalid: ${z.prettifyError(parsed.error)}`);
    layouts = new Map(
      Object.entries(parsed.data).map(([id, l]) => [id, { ...l, id, perSheet: l.columns * l.rows }] as const),
    );
  }
  return layouts;
}

/** All label stocks, in file order (for a picker in the UI). */
export function listLabelLayouts(): LabelLayout[] {
  return [...loadLayouts().values()];
}

/** One label stock by id; throws `Invalid` with code 'unknown_layout' listing the ids that exist. */
export function getLabelLayout(id: string): LabelLayout {
  const layout = loadLayouts().get(id);
  if (!layout) {
    const available = [...loadLayouts().keys()];
    throw new Invalid(`Unknown label layout ${JSON.stringify(id)}`, { layout: id, available }, 'unknown_layout');
  }
  return layout;
}

/**
 * Where label `index` (0-based, row by row from the top-left) sits on its sheet, in mm from the
 * page's top-left corner.
 *
 *     labelCell(getLabelLayout('a4-3x7-70x42.3'), 4) // { column: 1, row: 1, x: 70, y: 42.75, ... }
 */
export function labelCell(layout: LabelLayout, index: number): { column: number; row: number; x: number; y: number; width: number; height: number } {
  const slot = index % layout.perSheet;
  const column = slot % layout.columns;
  const row = Math.floor(slot / layout.columns);
  return {
    column,
    row,
    x: layout.margin.left + column * layout.pitch.x,
    y: layout.margin.top + row * layout.pitch.y,
    width: layout.label.width,
    height: layout.label.height,
  };
}

export type LabelContent = {
  /** A Dossierlink code ('D0000001234'); checked against the scheme, printed upper case. */
  barcode: string;
  /** Up to three short lines, e.g. customer name, document type and date, title; cut to fit. */
  lines: string[];
};

export type RenderLabelsOptions = {
  /** Id of a layout in label-layouts.json. */
  layout: string;
  /** First free label on a partly used sheet, 1-based, counted row by row from the top-left (default 1). */
  startAt?: number;
  /** Draw thin grey label outlines: for test prints on plain paper, never on label stock. */
  outline?: boolean;
  /** Called after each label; a sheet of 24 takes a few hundred ms. */
  onProgress?: (progress: { done: number; total: number }) => void;
};

/**
 * Lays out labels on as many sheets (pages) as needed.
 * Throws `Invalid`: 'unknown_layout', 'invalid_start_at', 'no_labels', 'too_many_lines', 'invalid_barcode'.
 *
 *     const pdf = await renderLabelsPdf([{ barcode: 'D0000001234', lines: ['Bakkerij Jansen', 'Contract'] }],
 *       { layout: 'a4-3x7-70x42.3', startAt: 5 });
 */
export async function renderLabelsPdf(labels: LabelContent[], opts: RenderLabelsOptions): Promise<Uint8Array> {
  const layout = getLabelLayout(opts.layout);
  const startAt = opts.startAt ?? 1;
  if (!Number.isInteger(startAt) || startAt < 1 || startAt > layout.perSheet) {
    throw new Invalid(`startAt must be a label number from 1 to ${layout.perSheet}`, { startAt }, 'invalid_start_at');
  }
  if (labels.length === 0) throw new Invalid('There are no labels to print', undefined, 'no_labels');
  const codes = labels.map((label, index) => {
    if (label.lines.length > MAX_LABEL_LINES) {
      throw new Invalid(`A label has at most ${MAX_LABEL_LINES} text lines`, { index, lines: label.lines.length }, 'too_many_lines');
    }
    const parsed = parseBarcode(label.barcode);
    if (!parsed.ok) {
      throw new Invalid(`Label ${index + 1}: ${BARCODE_PROBLEM_TEXT[parsed.problem]}`, { index, barcode: label.barcode, problem: parsed.problem }, 'invalid_barcode');
    }
    return parsed.value.code;
  });

  const doc = await PDFDocument.create();
  doc.setTitle(`Dossierlink labels (${layout.id})`);
  doc.setProducer('Dossierlink');
  const fonts = { regular: await doc.embedFont(StandardFonts.Helvetica), bold: await doc.embedFont(StandardFonts.HelveticaBold) };
  // One text block height for the whole batch, so bars line up across the sheet.
  const lineCount = Math.max(...labels.map((l) => l.lines.length));

  let page: PDFPage | undefined;
  for (let i = 0; i < labels.length; i++) {
    const slot = startAt - 1 + i;
    if (!page || slot % layout.perSheet === 0) {
      page = doc.addPage([mmToPt(layout.page.width), mmToPt(layout.page.height)]);
      if (opts.outline) drawOutlines(page, layout);
    }
    await drawLabel(page, layout, labelCell(layout, slot), codes[i]!, labels[i]!.lines, lineCount, fonts);
    opts.onProgress?.({ done: i + 1, total: labels.length });
  }
  return doc.save();
}

/**
 * A sheet of pre-printed codes with nothing else on them, to stick on paper before it is registered.
 *
 *     await renderBlankCodesSheet(codes, 'a4-3x8-70x37');
 */
export function renderBlankCodesSheet(codes: string[], layout: string, opts: Omit<RenderLabelsOptions, 'layout'> = {}): Promise<Uint8Array> {
  return renderLabelsPdf(
    codes.map((barcode) => ({ barcode, lines: [] })),
    { ...opts, layout },
  );
}

type Fonts = { regular: PDFFont; bold: PDFFont };
type Cell = ReturnType<typeof labelCell>;

async function drawLabel(page: PDFPage, layout: LabelLayout, cell: Cell, code: string, lines: string[], lineCount: number, fonts: Fonts): Promise<void> {
  const pageHeight = mmToPt(layout.page.height);
  const left = mmToPt(cell.x + layout.padding.x);
  const width = mmToPt(cell.width - 2 * layout.padding.x);
  const top = pageHeight - mmToPt(cell.y + layout.padding.y);
  const bottom = pageHeight - mmToPt(cell.y + cell.height - layout.padding.y);

  const fontSize = layout.fontSize;
  const lineHeight = fontSize * 1.15;
  lines.forEach((raw, i) => {
    // The first line names the customer: bold, so the right file is found at a glance.
    const font = i === 0 ? fonts.bold : fonts.regular;
    const text = fitText(sanitizeForFont(raw, font), font, fontSize, width);
    page.drawText(text, { x: left, y: top - fontSize * 0.78 - i * lineHeight, size: fontSize, font });
  });

  // The code under the bars, one point larger than the lines: it is what people type.
  const codeSize = fontSize + 1;
  const codeHeight = fonts.regular.heightAtSize(codeSize, { descender: false });
  const textBlock = lineCount > 0 ? lineCount * lineHeight + mmToPt(GAP_MM) : 0;
  const free = top - textBlock - bottom;
  const barHeight = Math.min(mmToPt(MAX_BAR_HEIGHT_MM), free - codeHeight - mmToPt(GAP_MM));
  if (barHeight < mmToPt(MIN_BAR_HEIGHT_MM)) {
    throw new Error(`label layout ${layout.id} leaves ${((barHeight / 72) * 25.4).toFixed(1)} mm for bars with ${lineCount} lines`);
  }
  // Centre bars + code in what the text leaves, so blank-code labels are not top-heavy.
  const group = barHeight + mmToPt(GAP_MM) + codeHeight;
  const groupTop = top - textBlock - (free - group) / 2;
  const bars = await drawBarcode(page, code, { x: left, y: groupTop - barHeight, width, height: barHeight });
  const codeWidth = fonts.regular.widthOfTextAtSize(code, codeSize);
  page.drawText(code, {
    x: bars.x + (bars.width - codeWidth) / 2,
    y: groupTop - barHeight - mmToPt(GAP_MM) - codeHeight,
    size: codeSize,
    font: fonts.regular,
  });
}

function drawOutlines(page: PDFPage, layout: LabelLayout): void {
  const pageHeight = mmToPt(layout.page.height);
  for (let i = 0; i < layout.perSheet; i++) {
    const c = labelCell(layout, i);
    page.drawRectangle({
      x: mmToPt(c.x),
      y: pageHeight - mmToPt(c.y + c.height),
      width: mmToPt(c.width),
      height: mmToPt(c.height),
      borderColor: rgb(0.75, 0.75, 0.75),
      borderWidth: 0.25,
    });
  }
}

/** Look-alikes for letters WinAnsi lacks and Unicode does not decompose (Polish ł, Croatian đ, ...). */
const FALLBACK: Record<string, string> = {
  'ł': 'l', 'Ł': 'L', 'đ': 'd', 'Đ': 'D', 'ı': 'i', 'ħ': 'h', 'Ħ': 'H', 'ŧ': 't', 'Ŧ': 'T',
  '‐': '-', '‑': '-', '‒': '-', '−': '-', '′': "'", '″': '"', '\u2028': ' ', '\u2029': ' ',
};
/** Emoji, flags, skin tones, joiners and stray combining marks: dropped when the font lacks them. */
const DECORATION = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|\p{M}|[\u200B-\u200D\uFE00-\uFE0F])$/u;
const charsets = new WeakMap<PDFFont, Set<number>>();

/**
 * Makes text encodable in a standard PDF font: pdf-lib's Helvetica is WinAnsi and throws on
 * anything else. Accents WinAnsi lacks are dropped (ő → o), a few letters get look-alikes, emoji
 * are left out, the rest becomes '?'; control characters and runs of white space become one space.
 *
 *     sanitizeForFont('Łódź Café Ősz 🍰', helvetica) // 'Lódz Café Osz'
 */
export function sanitizeForFont(text: string, font: PDFFont): string {
  let set = charsets.get(font);
  if (!set) charsets.set(font, (set = new Set(font.getCharacterSet())));
  const can = (s: string) => [...s].every((ch) => set.has(ch.codePointAt(0)!));
  let out = '';
  for (const ch of text.normalize('NFC').replace(/[\s\p{Cc}]+/gu, ' ')) {
    if (can(ch)) out += ch;
    else if (FALLBACK[ch] !== undefined) out += FALLBACK[ch];
    else if (DECORATION.test(ch)) continue; // an emoji carries no meaning worth a '?' on a file label
    else {
      const base = ch.normalize('NFKD').replace(/\p{M}/gu, '');
      out += base && can(base) ? base : '?';
    }
  }
  return out.replace(/ {2,}/g, ' ').trim();
}

/**
 * Cuts text to `maxWidth` points, ending in an ellipsis when something was cut.
 *
 *     fitText('Bakkerij Jansen en Zonen B.V.', helvetica, 8, 100) // 'Bakkerij Jansen en Zone…'
 */
export function fitText(text: string, font: PDFFont, fontSize: number, maxWidth: number): string {
  if (font.widthOfTextAtSize(text, fontSize) <= maxWidth) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  // Largest prefix that still fits with the ellipsis: widths grow with length, so bisect.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const candidate = chars.slice(0, mid).join('').trimEnd() + '…';
    if (font.widthOfTextAtSize(candidate, fontSize) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : chars.slice(0, lo).join('').trimEnd() + '…';
}
