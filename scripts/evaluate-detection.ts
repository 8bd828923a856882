/**
 * `npm run eval`: runs the detectors over a generated labelled set (every type, clean and poor
 * scans through the real OCR engine) and prints accuracy per field and the type confusion matrix.
 * Then key points on real-looking layouts in four languages (scripts/evaluate-layouts.ts).
 * Options: EVAL_PER_TYPE (default 4), EVAL_LAYOUTS (layouts per language, default 12),
 * EVAL_OCR=off (text and born-digital only, seconds instead of minutes), EVAL_MISSES=1 (list misses).
 */
import { createTesseractOcrEngine } from '../src/adapters/ocr/tesseract-ocr.engine.js';
import { detect, nameAppears } from '../src/domain/detection.js';
import { decideKeyPoints } from '../src/domain/key-point-decision.js';
import { extractKeyPoints } from '../src/domain/key-points.js';
import { layoutFromText, type LayoutPage } from '../src/domain/layout.js';
import { DOCUMENT_TYPES } from '../src/domain/document.js';
import { AUTO_ACCEPT } from '../src/jobs/ingest.job.js';
import { CUSTOMER_NAMES, labelledSet, type Labelled } from '../test/helpers/labelled-documents.js';
import { renderScan } from '../test/helpers/scan-samples.js';
import { formatLayoutReport, layoutMisses, runLayoutEvaluation } from './evaluate-layouts.js';

export type EvalRow = { variant: string; truth: Labelled; got: ReturnType<typeof detect>; nameOnPage: boolean };
type Variant = { name: string; scan?: { dpi: number; noise?: number; skewDeg?: number } };

export const VARIANTS: Variant[] = [
  { name: 'clean', scan: { dpi: 300 } },
  { name: 'poor', scan: { dpi: 150, noise: 0.004, skewDeg: 2 } },
];

export async function runEvaluation(opts: { perType: number; ocr: boolean; onProgress?: (done: number, total: number) => void }): Promise<EvalRow[]> {
  const set = labelledSet(opts.perType);
  const variants = opts.ocr ? VARIANTS : [{ name: 'text' }];
  const engine = opts.ocr ? createTesseractOcrEngine({}) : null;
  const rows: EvalRow[] = [];
  const total = set.length * variants.length;
  let done = 0;
  try {
    for (const v of variants) {
      const results = await Promise.all(
        set.map(async (truth) => {
          const image = engine && v.scan ? renderScan({ ...v.scan, lines: truth.lines, seed: truth.lines.length }) : null;
          const ocr = engine && image ? await engine.recognize(image) : null;
          const text = ocr ? ocr.text : truth.lines.join('\n');
          opts.onProgress?.(++done, total);
          const got = withKeyPoints(detect(text, /KL-\d{6}/), ocr && image ? [{ pageNo: 1, width: image.width, height: image.height, words: (ocr.words ?? []).map((w) => ({ text: w.text, confidence: w.confidence, ...w.bbox })) }] : [layoutFromText(text)]);
          const claimed = CUSTOMER_NAMES[got.customerNumber?.value ?? ''];
          return { variant: v.name, truth, got, nameOnPage: Boolean(claimed && nameAppears(text, claimed)) };
        }),
      );
      rows.push(...results);
    }
  } finally {
    await engine?.terminate();
  }
  return rows;
}

/** Number, date and total as the ingest pipeline fills them: read by position, accepted when sure, else the older rules. */
function withKeyPoints(d: ReturnType<typeof detect>, layout: LayoutPage[]): ReturnType<typeof detect> {
  const found = extractKeyPoints(layout, { type: d.type?.value ?? null });
  const decided = decideKeyPoints({ found, fallback: d, fields: {}, docDate: null });
  const pick = <T,>(value: T | undefined, field: 'number' | 'docDate' | 'total') => {
    const src = found.fields[field] ?? d[field];
    return value === undefined || value === null ? null : { value, confidence: src?.confidence ?? 0, evidence: src?.evidence ?? '' };
  };
  return { ...d, number: pick(decided.fields.number, 'number'), docDate: pick(decided.docDate ?? undefined, 'docDate'), total: pick(decided.fields.total, 'total') };
}

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '-');

/** The printed report: accuracy per field per variant, wrong customers above the threshold, confusion matrix. */
export function formatReport(rows: EvalRow[]): string {
  const variants = [...new Set(rows.map((r) => r.variant))];
  const fields: [string, (r: EvalRow) => boolean][] = [
    ['type', (r) => r.got.type?.value === r.truth.type],
    ['customer', (r) => r.got.customerNumber?.value === r.truth.customerId],
    ['number', (r) => (r.truth.number ? r.got.number?.value === r.truth.number : true)],
    ['date', (r) => r.got.docDate?.value === r.truth.docDate],
    ['total', (r) => (r.truth.total !== null ? r.got.total?.value === r.truth.total : true)],
  ];
  const out: string[] = [];
  out.push(`field      ${variants.map((v) => v.padStart(10)).join('')}`);
  for (const [name, ok] of fields) {
    out.push(`${name.padEnd(10)} ${variants.map((v) => pct(rows.filter((r) => r.variant === v && ok(r)).length, rows.filter((r) => r.variant === v).length).padStart(10)).join('')}`);
  }
  // What the pipeline would auto-accept: a sure number, or a doubtful one with the customer's name on the page.
  const wrongAccepted = rows.filter((r) => r.got.customerNumber && r.got.customerNumber.value !== r.truth.customerId && (r.got.customerNumber.confidence >= AUTO_ACCEPT.customer || r.nameOnPage));
  out.push(`wrong customer above the auto-accept threshold (${AUTO_ACCEPT.customer}): ${wrongAccepted.length}`);
  out.push('');
  out.push('type confusion (rows: truth, columns: detected; all variants)');
  const cols = [...DOCUMENT_TYPES, 'none'];
  const short = (t: string) => t.replace('service-', 's-').replace('reply-coupon', 'coupon').slice(0, 8);
  out.push(`${''.padEnd(17)}${cols.map((c) => short(c).padStart(9)).join('')}`);
  for (const t of DOCUMENT_TYPES) {
    const counts = cols.map((c) => rows.filter((r) => r.truth.type === t && (r.got.type?.value ?? 'none') === c).length);
    out.push(`${t.padEnd(17)}${counts.map((n) => String(n || '.').padStart(9)).join('')}`);
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const perType = Number(process.env.EVAL_PER_TYPE ?? 4);
  const ocr = process.env.EVAL_OCR !== 'off';
  const started = Date.now();
  const rows = await runEvaluation({ perType, ocr, onProgress: (d, t) => process.stderr.write(`\r${d}/${t} documents`) });
  process.stderr.write('\n');
  process.stdout.write(`${formatReport(rows)}\n\n${rows.length} documents in ${((Date.now() - started) / 1000).toFixed(1)} s\n\n`);
  // Key points on real-looking layouts, per field and language (EVAL_LAYOUTS per language, default 12).
  const layoutsStarted = Date.now();
  const engine = ocr ? createTesseractOcrEngine({}) : null;
  try {
    const layoutRows = await runLayoutEvaluation({
      perLanguage: Number(process.env.EVAL_LAYOUTS ?? 12),
      variants: ocr ? ['born-digital', 'degraded'] : ['born-digital'],
      ocr: engine,
      onProgress: (d, t) => process.stderr.write(`\r${d}/${t} layouts`),
    });
    process.stderr.write('\n');
    process.stdout.write(`${formatLayoutReport(layoutRows)}\n\n${layoutRows.length} layouts in ${((Date.now() - layoutsStarted) / 1000).toFixed(1)} s\n`);
    if (process.env.EVAL_MISSES) process.stdout.write(`\n${layoutMisses(layoutRows).join('\n')}\n`);
  } finally {
    await engine?.terminate();
  }
}
