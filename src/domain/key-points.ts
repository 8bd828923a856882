/**
 * Key points from text with positions, as real paperwork prints them: a label ("Factuurnummer",
 * "Invoice date", "Rechnungsbetrag", "Net à payer") with its value right after it, in the next
 * cell to its right, or below it (label above the value, table headers). Labels are data
 * (classifiers/key-points.json); values are read by strict parsers (dates in four languages,
 * amounts in continental and English notation, IBAN with its mod-97 check, VAT and KvK
 * numbers). Each field gets a confidence from how strong its label is, where the value sat, how
 * sure the parser was and whether other candidates disagree; below `KEY_POINT_ACCEPT` the
 * pipeline asks a person instead of guessing.
 */
import rules from '../../classifiers/key-points.json' with { type: 'json' };
import typeRules from '../../classifiers/document-types.json' with { type: 'json' };
import { findAmounts } from './amounts.js';
import { findIbans, findVatNumbers, formatIban, normaliseKvk } from './business-ids.js';
import { ocrNormalise } from './detection.js';
import { documentLines, foldSameLength, type LayoutPage, type LayoutWord, type Line, type Segment } from './layout.js';
import { findDates } from './written-dates.js';

export const KEY_POINT_FIELDS = ['number', 'docDate', 'dueDate', 'endsOn', 'deliveryDate', 'total', 'vatNumber', 'iban', 'kvk', 'customerNumber'] as const;
export type KeyPointField = (typeof KEY_POINT_FIELDS)[number];
export type KeyPoint = { value: string | number; confidence: number; evidence: string; currency?: string };
export type KeyPointsFound = { fields: Partial<Record<KeyPointField, KeyPoint>>; currency: KeyPoint | null; language: string | null };

/** At or above this a key point is taken as read; below it (but found) it goes to review. */
export const KEY_POINT_ACCEPT: number = rules.accept;
/** Below this a candidate is noise and is not even offered for review. */
export const KEY_POINT_NOISE = 0.45;

type LabelRule = { t: string; lang: string; w: number; types?: string[]; title?: boolean; byType?: Record<string, number> };
type Parser = 'identifier' | 'date' | 'amount' | 'vat' | 'iban' | 'kvk';
type Label = LabelRule & { field: KeyPointField; parser: Parser; re: RegExp; needle: string };

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const LABELS: Label[] = Object.entries(rules.fields as Record<string, { parser: Parser; labels: LabelRule[] }>).flatMap(([field, f]) =>
  f.labels.map((l) => {
    // Printed labels vary in spacing, hyphens and dots: "KvK-nummer", "KvK nummer", "K.v.K.", "Rechnungs-Nr."
    const pattern = [...foldSameLength(l.t)]
      .map((ch) => (ch === ' ' ? '[\\s-]*' : ch === '-' ? '[-\\s]?' : ch === '.' ? '\\.?' : ch === '°' ? '[°o]?' : escapeRe(ch)))
      .join('');
    // The label's leading letters are matched literally: a text without them cannot match, and
    // skipping the regex then spares compiling it. V8 drops compiled regexps in major GCs, and
    // recompiling all ~230 of these (Unicode classes in look-arounds) cost 80-110 ms per page.
    const needle = /^[^\s.°-]*/u.exec(foldSameLength(l.t))![0];
    return { ...l, field: field as KeyPointField, parser: f.parser, re: new RegExp(`(?<![\\p{L}\\p{N}])${pattern}(?![\\p{L}])`, 'gu'), needle };
  }),
);
const PAYMENT_TERMS = rules.paymentTerms.map((p) => new RegExp(p, 'iu'));
const TYPE_NUMBER = Object.fromEntries(Object.entries(typeRules.types).map(([t, r]) => [t, (r as { number: string | null }).number]));

type Hit = { label: Label; line: Line; seg: Segment; segIndex: number; start: number; end: number; box: { x0: number; x1: number; y0: number; y1: number } };
type Candidate = { field: KeyPointField; value: string | number; currency?: string; score: number; evidence: string; where: string; key: string; page: number };

function wordsIn(seg: Segment, start: number, end: number): LayoutWord[] {
  return seg.words.filter((_, i) => seg.starts[i]! < end && seg.starts[i]! + seg.words[i]!.text.length > start);
}

/** Single words of labels long enough that one misread letter cannot make them another word. */
const LABEL_WORDS = new Set(LABELS.flatMap((l) => foldSameLength(l.t).split(/[\s-]+/)).filter((w) => w.length >= 7 && /^\p{L}+$/u.test(w)));
const LABEL_WORDS_BY_LENGTH = new Map<number, string[]>();
for (const w of LABEL_WORDS) LABEL_WORDS_BY_LENGTH.get(w.length)?.push(w) ?? LABEL_WORDS_BY_LENGTH.set(w.length, [w]);

/**
 * The folded text with OCR misreadings of label words put right ("factuurnt" for "factuurnr",
 * "rechnungsdaturn"): a word one letter (two, from 12 letters) away from exactly one label word
 * of the same length is read as that word. Lengths stay the same, so indexes still fit the text.
 */
function repairLabelWords(folded: string): { text: string; repaired: boolean } {
  let repaired = false;
  const text = folded.replace(/\p{L}{7,}/gu, (word) => {
    if (LABEL_WORDS.has(word)) return word;
    const allowed = word.length >= 12 ? 2 : 1;
    const near = (LABEL_WORDS_BY_LENGTH.get(word.length) ?? []).filter((l) => {
      let diff = 0;
      for (let i = 0; i < l.length && diff <= allowed; i++) if (l[i] !== word[i]) diff++;
      return diff <= allowed;
    });
    if (near.length !== 1) return word;
    repaired = true;
    return near[0]!;
  });
  return { text, repaired };
}

function findHits(lines: Line[]): Hit[] {
  const hits: Hit[] = [];
  for (const line of lines) {
    line.segments.forEach((seg, segIndex) => {
      const found: Hit[] = [];
      const { text: folded } = repairLabelWords(seg.folded);
      for (const label of LABELS) {
        if (!folded.includes(label.needle)) continue;
        label.re.lastIndex = 0;
        for (const m of folded.matchAll(label.re)) {
          const start = m.index!;
          const end = start + m[0].length;
          const ws = wordsIn(seg, start, end);
          if (!ws.length) continue;
          found.push({ label, line, seg, segIndex, start, end, box: { x0: Math.min(...ws.map((w) => w.x0)), x1: Math.max(...ws.map((w) => w.x1)), y0: Math.min(...ws.map((w) => w.y0)), y1: Math.max(...ws.map((w) => w.y1)) } });
        }
      }
      // The longest label at a place wins: "factuurdatum" over "factuur", "te betalen voor" over "te betalen".
      found.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
      const kept: Hit[] = [];
      for (const h of found) if (!kept.some((k) => h.start < k.end && k.start < h.end)) kept.push(h);
      hits.push(...kept.sort((a, b) => a.start - b.start));
    });
  }
  return hits;
}

type Parsed = { value: string | number; quality: number; currency?: string; shown: string };

const LEAD = /^[\s:#.\-–=|/)(]*(?:(?:nr|no|nummer|number|numero|n°)\b\.?[\s:#.]*)?/iu;
function parseValue(parser: Parser, raw: string, opts: { monthFirst: boolean }): Parsed | null {
  const text = raw.replace(LEAD, '');
  if (!text) return null;
  switch (parser) {
    case 'identifier': {
      const m = /^[A-Za-z0-9][A-Za-z0-9\-/._]*[A-Za-z0-9]/.exec(ocrNormalise(text));
      if (!m || !/\d/.test(m[0]) || m[0].length < 3 || m[0].length > 30) return null;
      if (findDates(m[0]).some((d) => d.length >= m[0].length - 1) || /^\d{1,3}([.,]\d{3})*[.,]\d{2}$/.test(m[0])) return null;
      return { value: m[0].toUpperCase(), quality: 1, shown: m[0] };
    }
    case 'date': {
      const d = findDates(text, opts)[0];
      if (!d) return null;
      return { value: d.iso, quality: d.index <= 2 ? 1 : 0.9, shown: d.written };
    }
    case 'amount': {
      const a = findAmounts(text)[0];
      if (!a) return null;
      const shown = text.slice(a.index, a.index + a.length).trim();
      // A total without cents is usually a scan that lost them ("EUR 1.010" for 1.010,87), unless written "€ 1.250,-".
      const whole = a.decimals ? 1 : /,-/.test(shown) ? 0.95 : 0.6;
      return { value: a.value, currency: a.currency ?? undefined, quality: whole * (a.index > 12 ? 0.95 : 1), shown };
    }
    case 'vat': {
      const v = findVatNumbers(text.toUpperCase())[0];
      return v && v.index <= 3 ? { value: v.vat, quality: v.checked ? 1 : 0.8, shown: v.vat } : null;
    }
    case 'iban': {
      const v = findIbans(text)[0];
      return v && v.index <= 3 ? { value: v.iban, quality: v.repaired ? 0.9 : 1, shown: formatIban(v.iban) } : null;
    }
    case 'kvk': {
      const v = normaliseKvk(text);
      return v ? { value: v, quality: 1, shown: v } : null;
    }
  }
}

const segmentHasLabelAtStart = (hits: Hit[], seg: Segment) => hits.some((h) => h.seg === seg && h.start <= 1);
const meanConfidence = (ws: LayoutWord[]) => {
  const cs = ws.map((w) => w.confidence).filter((c): c is number => typeof c === 'number');
  return cs.length ? cs.reduce((a, b) => a + b, 0) / cs.length : 100;
};

/** Where a label's value may be: after it in its cell, the next cell right, or below it. */
function candidatesFor(hit: Hit, hits: Hit[], lines: Line[], docType: string | null, opts: { monthFirst: boolean }): Candidate[] {
  const { label } = hit;
  let weight = (docType !== null ? label.byType?.[docType] : undefined) ?? label.w;
  // A label of another type counts less, and much less when the document also has its own type's label.
  const ownLabel = docType !== null && hits.some((h) => h.label.field === label.field && h.label.types?.includes(docType));
  if (label.types) weight *= docType === null ? 0.9 : label.types.includes(docType) ? 1 : ownLabel ? 0.6 : 0.9;
  if (hit.line.pageNo > 1) weight *= 0.95;
  const out: Candidate[] = [];
  const labelText = hit.seg.text.slice(hit.start, hit.end);
  const add = (raw: string, ws: LayoutWord[], pos: number, where: string) => {
    const p = parseValue(label.parser, raw, opts);
    if (!p) return;
    const ocr = meanConfidence(ws) < 50 ? 0.9 : 1;
    out.push({ field: label.field, value: p.value, currency: p.currency, score: weight * pos * p.quality * ocr, where, evidence: `"${labelText}" ${where}: "${p.shown}"`, key: `${hit.line.index}:${hit.segIndex}:${hit.start}`, page: hit.line.pageNo });
  };
  // In the same cell, up to the next label there.
  const next = hits.find((h) => h.seg === hit.seg && h.start >= hit.end);
  const restEnd = next ? next.start : hit.seg.text.length;
  const rest = hit.seg.text.slice(hit.end, restEnd);
  // Bank and VAT ids are printed in groups a scan may pull apart into cells: read on to the line's end.
  const onward = label.parser === 'iban' || label.parser === 'vat' ? hit.line.segments.slice(hit.segIndex + 1).filter((s) => !segmentHasLabelAtStart(hits, s)) : [];
  const restOnward = !next && onward.length ? `${rest} ${onward.map((s) => s.text).join(' ')}` : rest;
  if (rest.trim()) add(restOnward, wordsIn(hit.seg, hit.end, restEnd), 1, 'beside');
  // A document title takes its number only right beside it ("FACTUUR F-2026-001").
  if (label.title) {
    return hit.start <= 1 ? out : [];
  }
  // The next cell to the right on the same line, unless it is a label of its own.
  if (restEnd === hit.seg.text.length || !rest.trim()) {
    if (onward.length) add(onward.map((s) => s.text).join(' '), onward[0]!.words, 0.95, 'right');
    else {
      // The first cell to the right that reads as a value: "Totaal | 21% | € 1.234,56".
      for (let k = hit.segIndex + 1, step = 0; k < hit.line.segments.length && step < 3; k++, step++) {
        const right = hit.line.segments[k]!;
        if (segmentHasLabelAtStart(hits, right)) break;
        const before = out.length;
        add(right.text, right.words, 0.95 - 0.05 * step, 'right');
        if (out.length > before) break;
      }
    }
  }
  // Below: the next one or two lines, the cell under the label.
  const h = hit.line.height;
  const below = lines.filter((l) => l.pageNo === hit.line.pageNo && l.index > hit.line.index && l.y0 - hit.line.y1 < h * 3).slice(0, 2);
  below.forEach((l, i) => {
    const seg = l.segments.find((s) => s.x0 < hit.box.x1 + h && s.x1 > hit.box.x0 - h);
    if (!seg || segmentHasLabelAtStart(hits, seg)) return;
    // In a row of cells close together, start at the first word under the label.
    const first = seg.words.findIndex((w) => w.x1 > hit.box.x0 - h);
    const from = first > 0 ? seg.starts[first]! : 0;
    add(seg.text.slice(from), seg.words.slice(Math.max(0, first)), i === 0 ? 0.9 : 0.7, 'below');
  });
  return out;
}

function decide(field: KeyPointField, cands: Candidate[]): KeyPoint | null {
  if (!cands.length) return null;
  const sorted = [...cands].sort((a, b) => b.score - a.score || (field === 'total' ? Number(b.value) - Number(a.value) : 0));
  const best = sorted[0]!;
  let confidence = best.score;
  const same = new Set(sorted.filter((c) => c.value === best.value).map((c) => c.key));
  // Rivals on the same page only: a later page may be another document stapled behind (an order
  // confirmation behind its invoice), and the first page's header is what the document is.
  const rivals = sorted.filter((c) => c.value !== best.value && c.score >= best.score * 0.85 && c.page === best.page);
  // The payable total is the largest of the totals printed with equal emphasis.
  const rivalsMatter = field === 'total' ? rivals.some((r) => Number(r.value) > Number(best.value)) : rivals.length > 0;
  if (rivalsMatter) confidence *= 0.65;
  else if (same.size > 1) confidence += 0.05;
  return { value: best.value, confidence: Math.round(Math.min(0.99, confidence) * 100) / 100, evidence: best.evidence + (rivalsMatter ? `; also ${rivals.map((r) => `"${r.value}"`).join(', ')}` : ''), ...(best.currency ? { currency: best.currency } : {}) };
}

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Reads the key points of a document from its pages' words.
 *
 *     extractKeyPoints([layoutFromText('Factuurnummer: 993548900\nFactuurdatum: 19 april 2014')], { type: 'invoice' })
 *       .fields.number?.value // '993548900'
 */
export function extractKeyPoints(pages: LayoutPage[], opts: { type?: string | null } = {}): KeyPointsFound {
  const docType = opts.type && opts.type !== 'unclassified' ? opts.type : null;
  // Key points sit on the first pages (header) and the last (totals); a 500-page scan is not read whole.
  const sorted = [...pages].sort((a, b) => a.pageNo - b.pageNo);
  const lines = documentLines(sorted.length > 5 ? [...sorted.slice(0, 3), ...sorted.slice(-2)] : sorted);
  const hits = findHits(lines);
  const langScore: Record<string, number> = {};
  for (const h of hits) langScore[h.label.lang] = (langScore[h.label.lang] ?? 0) + h.label.w * (h.end - h.start);
  const language = Object.entries(langScore).sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const allText = lines.map((l) => l.segments.map((s) => s.text).join(' ')).join('\n');
  // US paperwork writes the month first; only then are numeric dates read that way.
  const monthFirst = language === 'en' && /\$|\bUSD\b/.test(allText) && !/[€£]|\bEUR\b/.test(allText);

  const byField = new Map<KeyPointField, Candidate[]>();
  for (const hit of hits) {
    for (const c of candidatesFor(hit, hits, lines, docType, { monthFirst })) {
      byField.get(c.field)?.push(c) ?? byField.set(c.field, [c]);
    }
  }
  const fields: Partial<Record<KeyPointField, KeyPoint>> = {};
  for (const f of KEY_POINT_FIELDS) {
    const kp = decide(f, byField.get(f) ?? []);
    if (kp && kp.confidence >= KEY_POINT_NOISE) fields[f] = kp;
  }

  // Without a label: the house number format of the type, checksummed bank and VAT ids, the one date on the page.
  const numberRule = docType ? TYPE_NUMBER[docType] : null;
  if (!fields.number && numberRule) {
    const m = new RegExp(numberRule, 'i').exec(ocrNormalise(allText));
    if (m) fields.number = { value: m[0].toUpperCase(), confidence: 0.8, evidence: `number format of a ${docType}: "${m[0]}"` };
  }
  if (!fields.iban) {
    const ibans = findIbans(allText);
    if (ibans.length) fields.iban = { value: ibans[0]!.iban, confidence: ibans.length === 1 ? 0.9 : 0.6, evidence: `valid IBAN "${formatIban(ibans[0]!.iban)}"` };
  }
  if (!fields.vatNumber) {
    const vats = findVatNumbers(allText.toUpperCase());
    if (vats.length) fields.vatNumber = { value: vats[0]!.vat, confidence: vats[0]!.checked && vats.length === 1 ? 0.85 : 0.55, evidence: `VAT number "${vats[0]!.vat}"` };
  }
  if (!fields.docDate) {
    const otherDates = new Set(['dueDate', 'endsOn', 'deliveryDate'].map((f) => fields[f as KeyPointField]?.value));
    const firstPage = lines.filter((l) => l.pageNo === lines[0]?.pageNo);
    // A date standing on its own ("Amsterdam, 19 april 2014"), not one in a sentence ("monteur ingepland op 14 november").
    const standalone = firstPage.flatMap((l) => l.segments).filter((s) => s.words.length <= 6);
    const dates = standalone.flatMap((s) => findDates(s.text, { monthFirst })).filter((d) => !otherDates.has(d.iso));
    const distinct = new Set(dates.map((d) => d.iso));
    // "Amsterdam, 19 april 2014" is how a letter dates itself, whatever other dates its text mentions.
    const placeDate = firstPage.some((l) => l.segments.some((s) => /^\p{Lu}[\p{L} .'-]{1,30},\s*(?:le\s+|den\s+)?\d/u.test(s.text) && findDates(s.text, { monthFirst })[0]?.iso === dates[0]?.iso));
    if (dates.length) fields.docDate = { value: dates[0]!.iso, confidence: distinct.size === 1 || placeDate ? 0.75 : 0.5, evidence: `the ${distinct.size === 1 ? 'only' : placeDate ? 'place and' : 'first'} date on the page: "${dates[0]!.written}"` };
  }
  if (!fields.dueDate && fields.docDate && fields.docDate.confidence >= KEY_POINT_ACCEPT) {
    for (const re of PAYMENT_TERMS) {
      const m = re.exec(foldSameLength(allText));
      if (m && Number(m[1]) > 0 && Number(m[1]) <= 365) {
        fields.dueDate = { value: addDays(String(fields.docDate.value), Number(m[1])), confidence: fields.docDate.confidence, evidence: `document date + payment term "${m[0].trim()}"` };
        break;
      }
    }
  }

  let currency: KeyPoint | null = null;
  if (fields.total?.currency) currency = { value: fields.total.currency, confidence: fields.total.confidence, evidence: 'printed with the total' };
  else {
    const marks = findAmounts(allText).map((a) => a.currency).filter((c): c is string => Boolean(c));
    if (marks.length) {
      const counts = new Map<string, number>();
      for (const c of marks) counts.set(c, (counts.get(c) ?? 0) + 1);
      const [top] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
      currency = { value: top![0], confidence: counts.size === 1 ? 0.9 : 0.6, evidence: 'the currency of the amounts on the page' };
    }
  }
  return { fields, currency, language };
}
