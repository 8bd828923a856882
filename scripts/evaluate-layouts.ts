/**
 * Key points on real-looking layouts (test/helpers/labelled-layouts.ts), in Dutch, English,
 * German and French: born-digital through the PDF text layer, and as degraded scans (rendered,
 * skewed, speckled) through the real OCR engine. A field counts as right only when it is
 * accepted (confidence at or above the threshold) with the true value; an unsure field goes to
 * review and counts as not read, a wrongly accepted one is counted apart as well.
 */
import type { OcrEngine } from '../src/adapters/ocr/ocr-engine.js';
import { renderPdfPage } from '../src/adapters/pdf/pdf-render.js';
import { extractPdfText } from '../src/adapters/pdf/pdf-text.js';
import { detect } from '../src/domain/detection.js';
import { extractKeyPoints, KEY_POINT_ACCEPT, type KeyPointsFound } from '../src/domain/key-points.js';
import type { LayoutPage } from '../src/domain/layout.js';
import { addNoise, rotate } from '../test/helpers/degrade-image.js';
import { labelledLayouts, layoutPdf, type LabelledLayout } from '../test/helpers/labelled-layouts.js';
import { addSpeckle } from '../test/helpers/scan-samples.js';

export type LayoutVariant = 'born-digital' | 'degraded';
export type LayoutEvalRow = { variant: LayoutVariant; doc: LabelledLayout; type: string | null; found: KeyPointsFound };

/** How a degraded scan is made: 200 dpi, 1.5° skew, speckle and paper grain. */
export const DEGRADED = { dpi: 200, skewDeg: 1.5, speckle: 0.003, grain: 6 };

async function readDocument(doc: LabelledLayout, variant: LayoutVariant, ocr: OcrEngine | null): Promise<{ text: string; layout: LayoutPage[] }> {
  const pdf = await layoutPdf(doc);
  if (variant === 'born-digital') {
    const { pages } = await extractPdfText(pdf);
    return { text: pages.map((p) => p.text).join('\n\n'), layout: pages.map((p) => ({ pageNo: p.pageNo, width: p.width, height: p.height, words: p.words })) };
  }
  if (!ocr) throw new Error('degraded scans need an OCR engine');
  const seed = doc.id.length * 31 + doc.truth.docDate.charCodeAt(9);
  let img = await renderPdfPage(pdf, 1, DEGRADED.dpi);
  img = rotate(img, seed % 2 ? DEGRADED.skewDeg : -DEGRADED.skewDeg);
  img = addNoise(addSpeckle(img, DEGRADED.speckle, seed), { sigma: DEGRADED.grain, seed });
  const r = await ocr.recognize(img);
  return { text: r.text, layout: [{ pageNo: 1, width: img.width, height: img.height, words: (r.words ?? []).map((w) => ({ text: w.text, confidence: w.confidence, ...w.bbox })) }] };
}

export async function runLayoutEvaluation(opts: { perLanguage: number; variants: LayoutVariant[]; ocr?: OcrEngine | null; docs?: LabelledLayout[]; onProgress?: (done: number, total: number) => void }): Promise<LayoutEvalRow[]> {
  const docs = opts.docs ?? labelledLayouts(opts.perLanguage);
  const rows: LayoutEvalRow[] = [];
  const total = docs.length * opts.variants.length;
  let done = 0;
  for (const variant of opts.variants) {
    const results = await Promise.all(
      docs.map(async (doc) => {
        const { text, layout } = await readDocument(doc, variant, opts.ocr ?? null);
        const type = detect(text, /KL-\d{6}/).type?.value ?? null;
        const found = extractKeyPoints(layout, { type });
        opts.onProgress?.(++done, total);
        return { variant, doc, type, found };
      }),
    );
    rows.push(...results);
  }
  return rows;
}

type Check = { truth: (d: LabelledLayout) => string | number | null; got: (r: LayoutEvalRow) => { value: string | number; confidence: number } | null | undefined };
export const LAYOUT_FIELDS: Record<string, Check> = {
  number: { truth: (d) => d.truth.number, got: (r) => r.found.fields.number },
  date: { truth: (d) => d.truth.docDate, got: (r) => r.found.fields.docDate },
  total: { truth: (d) => d.truth.total, got: (r) => r.found.fields.total },
  currency: { truth: (d) => d.truth.currency, got: (r) => (r.doc.truth.total === null ? null : r.found.currency) },
  dueDate: { truth: (d) => d.truth.dueDate, got: (r) => r.found.fields.dueDate },
  vatNumber: { truth: (d) => d.truth.vatNumber, got: (r) => r.found.fields.vatNumber },
  iban: { truth: (d) => d.truth.iban, got: (r) => r.found.fields.iban },
  kvk: { truth: (d) => d.truth.kvk, got: (r) => r.found.fields.kvk },
  customerNumber: { truth: (d) => d.truth.customerNumber, got: (r) => r.found.fields.customerNumber },
};

export type FieldScore = { right: number; of: number; review: number; wrong: number };
/** Right: accepted with the true value, out of the documents that carry the field. Wrong: accepted with another value (any document). */
export function scoreField(rows: LayoutEvalRow[], field: string): FieldScore {
  const c = LAYOUT_FIELDS[field]!;
  const s: FieldScore = { right: 0, of: 0, review: 0, wrong: 0 };
  for (const r of rows) {
    const truth = c.truth(r.doc);
    const got = c.got(r);
    const accepted = got && got.confidence >= KEY_POINT_ACCEPT;
    if (truth !== null) s.of++;
    if (accepted && truth !== null && got.value === truth) s.right++;
    else if (accepted) s.wrong++;
    else if (got && truth !== null) s.review++;
  }
  return s;
}

const pct = (s: FieldScore) => (s.of ? `${((100 * s.right) / s.of).toFixed(0)}%` : '-');

/** Per field: accuracy per variant and language, then the share sent to review and the wrongly accepted. */
export function formatLayoutReport(rows: LayoutEvalRow[]): string {
  const variants = [...new Set(rows.map((r) => r.variant))];
  const langs = [...new Set(rows.map((r) => r.doc.lang))];
  const out: string[] = [];
  out.push(`key points on ${rows.length / variants.length} layouts per variant (${langs.join(', ')}); accepted at confidence >= ${KEY_POINT_ACCEPT}`);
  for (const v of variants) {
    const vr = rows.filter((r) => r.variant === v);
    out.push('');
    out.push(`${v.padEnd(15)}${'all'.padStart(7)}${langs.map((l) => l.padStart(7)).join('')}   to review   wrong`);
    for (const field of Object.keys(LAYOUT_FIELDS)) {
      const all = scoreField(vr, field);
      if (!all.of) continue;
      out.push(
        `${field.padEnd(15)}${pct(all).padStart(7)}${langs.map((l) => pct(scoreField(vr.filter((r) => r.doc.lang === l), field)).padStart(7)).join('')}   ${String(all.review).padStart(9)}   ${String(all.wrong).padStart(5)}`,
      );
    }
    const typeRight = vr.filter((r) => r.type === r.doc.truth.type).length;
    out.push(`${'type'.padEnd(15)}${`${((100 * typeRight) / vr.length).toFixed(0)}%`.padStart(7)}${langs.map((l) => { const lr = vr.filter((r) => r.doc.lang === l); return `${((100 * lr.filter((r) => r.type === r.doc.truth.type).length) / lr.length).toFixed(0)}%`.padStart(7); }).join('')}`);
  }
  return out.join('\n');
}

/** One line per field that was not read right, to see why. */
export function layoutMisses(rows: LayoutEvalRow[], fields = ['number', 'date', 'total']): string[] {
  const out: string[] = [];
  for (const r of rows) {
    for (const f of fields) {
      const c = LAYOUT_FIELDS[f]!;
      const truth = c.truth(r.doc);
      const got = c.got(r);
      const ok = got && got.confidence >= KEY_POINT_ACCEPT && got.value === truth;
      if (truth !== null && !ok) out.push(`${r.variant} ${r.doc.id} ${f}: want ${truth}, got ${got ? `${got.value} (${got.confidence}) ${(got as { evidence?: string }).evidence ?? ''}` : 'nothing'}`);
    }
  }
  return out;
}
