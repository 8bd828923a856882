import rules from '../../classifiers/document-types.json' with { type: 'json' };
import { isIsoDate } from './dates.js';

export type Detected<T> = { value: T; confidence: number; evidence: string } | null;
export type Detection = {
  type: Detected<string>;
  customerNumber: Detected<string>;
  number: Detected<string>;
  docDate: Detected<string>;
  total: Detected<number>;
  endsOn: Detected<string>;
};

type TypeRule = { keywords: Record<string, number>; titles: string[]; number: string | null };
const TYPES = rules.types as Record<string, TypeRule>;

/**
 * Undoes what OCR typically does to identifiers on poor scans: dashes of every width, a space
 * after a hyphen ("KL- 000124"), a dot read for a hyphen between digit groups ("OF- 2025. 3425").
 */
export function ocrNormalise(text: string): string {
  return text
    .replace(/[‐‑‒–—]/g, '-')
    .replace(/([A-Za-z0-9])[ \t]*-[ \t]*(?=[A-Za-z0-9])/g, '$1-')
    .replace(/(\d)\.[ \t]+(?=\d{3,})/g, '$1-');
}

/** Lower case, diacritics removed, white space folded: what keyword matching compares. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ');
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const keywordRes = new Map<string, { re: RegExp; literal: string }>();
function keyword(k: string): { re: RegExp; literal: string } {
  let kw = keywordRes.get(k);
  if (!kw) {
    const literal = fold(k);
    keywordRes.set(k, (kw = { re: new RegExp(`(?<![\\p{L}\\p{N}])${escapeRe(literal)}(?![\\p{L}\\p{N}])`, 'gu'), literal }));
  }
  return kw;
}

/**
 * Times a keyword stands as a word of its own in folded text, counted up to `max` (scores use at
 * most 3 hits: a long document's common words are not counted to their end). Text without the
 * letters is not given to the regex: V8 drops compiled regexps in major GCs, and recompiling every
 * keyword's (Unicode classes in look-arounds) cost tens of ms per page.
 */
function keywordHits(folded: string, k: string, max: number): number {
  const { re, literal } = keyword(k);
  if (!folded.includes(literal)) return 0;
  re.lastIndex = 0;
  let hits = 0;
  while (hits < max && re.exec(folded)) hits++;
  return hits;
}

const MONTHS: Record<string, number> = {
  jan: 1, januari: 1, january: 1, feb: 2, februari: 2, february: 2, mrt: 3, maart: 3, march: 3, apr: 4, april: 4,
  mei: 5, may: 5, jun: 6, juni: 6, june: 6, jul: 7, juli: 7, july: 7, aug: 8, augustus: 8, august: 8,
  sep: 9, sept: 9, september: 9, okt: 10, oktober: 10, oct: 10, october: 10, nov: 11, november: 11, dec: 12, december: 12,
};

/** A month name, also when OCR clipped or blurred its end ("maar" for maart, "januar"). */
function monthOf(word: string): number | undefined {
  if (MONTHS[word]) return MONTHS[word];
  if (word.length < 3) return undefined;
  const hits = new Set(Object.entries(MONTHS).filter(([name]) => name.startsWith(word.slice(0, Math.max(3, Math.min(word.length, name.length) - 1)))).map(([, n]) => n));
  return hits.size === 1 ? [...hits][0] : undefined;
}

/** Parses Dutch and English written dates (2 oktober 2026, 02-10-2026, 2/10/2026) to YYYY-MM-DD (day first). */
export function parseWrittenDate(s: string): string | null {
  // A stray letter glued to the day ("16j januari") is OCR noise.
  const m = /^(\d{1,2})[a-z]?\s*[-/. ]?\s*([a-z]+|\d{1,2})\s*[-/. ]\s*(\d{4})$|^(\d{1,2})\s*([a-z]+)\s*(\d{4})$/.exec(fold(s).trim());
  if (m && m[4]) return parseWrittenDate(`${m[4]} ${m[5]} ${m[6]}`);
  if (!m) return null;
  const month = /^\d+$/.test(m[2]) ? Number(m[2]) : monthOf(m[2]);
  if (!month) return null;
  const iso = `${m[3]}-${String(month).padStart(2, '0')}-${m[1].padStart(2, '0')}`;
  return isIsoDate(iso) ? iso : null;
}

/** Parses 4.850,00 (Dutch) and 4,850.00 (English) amounts. */
export function parseAmount(s: string): number | null {
  const t = s.trim();
  const dutch = /,\d{2}$/.test(t);
  const n = Number(dutch ? t.replace(/\./g, '').replace(',', '.') : t.replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
}

/** What review taught detection: extra type words, and letterhead phrases per customer. */
export type LearnedHints = {
  typeKeywords?: Record<string, Record<string, number>>;
  customerPhrases?: { customerId: string; phrase: string }[];
};

/** The first `n` non-empty lines, folded one by one (fold() joins lines); only as many lines as that takes are folded. */
function headLines(text: string, n: number): string[] {
  const head: string[] = [];
  for (let start = 0; start <= text.length && head.length < n; ) {
    const end = text.indexOf('\n', start);
    const line = fold(text.slice(start, end < 0 ? text.length : end)).trim();
    if (line) head.push(line);
    if (end < 0) break;
    start = end + 1;
  }
  return head;
}

function detectType(text: string, folded: string, learned?: LearnedHints): Detected<string> {
  const head = headLines(text, 8);
  const scores: { type: string; score: number; evidence: string[] }[] = [];
  for (const [type, r] of Object.entries(TYPES)) {
    let score = 0;
    const evidence: string[] = [];
    for (const [k, w] of Object.entries(r.keywords)) {
      const hits = keywordHits(folded, k, 3);
      if (hits) {
        score += w * hits;
        evidence.push(k);
      }
    }
    for (const t of r.titles) {
      if (head.some((line) => new RegExp(t, 'u').test(line))) {
        score += 6;
        evidence.push(`title /${t}/`);
      }
    }
    if (r.number && new RegExp(r.number, 'i').test(text)) {
      score += 3;
      evidence.push('number format');
    }
    for (const [word, weight] of Object.entries(learned?.typeKeywords?.[type] ?? {})) {
      if (keywordHits(folded, word, 1) > 0) {
        score += weight;
        evidence.push(`learned "${word}"`);
      }
    }
    scores.push({ type, score, evidence });
  }
  scores.sort((a, b) => b.score - a.score);
  const [best, second] = scores;
  if (!best || best.score === 0) return null;
  // Confidence: how far the winner is ahead, saturating with strong evidence.
  const margin = (best.score - (second?.score ?? 0)) / best.score;
  const strength = Math.min(1, best.score / 12);
  return { value: best.type, confidence: Math.round(Math.min(0.99, 0.35 + 0.4 * margin + 0.25 * strength) * 100) / 100, evidence: best.evidence.join(', ') };
}

/** The first pattern's match in already folded text. */
function firstMatch(patterns: string[], folded: string): { raw: string; line: string } | null {
  for (const p of patterns) {
    const m = new RegExp(p, 'iu').exec(folded);
    if (m) return { raw: m[1], line: m[0] };
  }
  return null;
}

/**
 * Reads a scanned page's text for the type, the customer number and key points, each with a
 * confidence and the evidence, so a person can see why (and correct it in review).
 *
 *     detect('OFFERTE OF-2026-0412\nKlantnummer: KL-000123', /KL-\d{6}/).type?.value // 'quote'
 */
export function detect(text: string, customerPattern: RegExp, learned?: LearnedHints): Detection {
  // Each fold of the whole text is done once: ~40 ms for 100 dense pages, and it was done five times.
  const folded = fold(text);
  const type = detectType(text, folded, learned);
  // Customer numbers: a labelled one ("Klantnummer: KL-000123") is near-certain; a bare match less so.
  // OCR often drops the hyphen or reads it as a dash, dot or space, so the pattern is matched
  // loosely and each match must then fit the configured pattern exactly once normalised.
  const normalised = ocrNormalise(text);
  const strict = new RegExp(`^(?:${customerPattern.source.replace(/^\^|\$$/g, '')})$`, 'i');
  const loose = customerPattern.source.replace(/^\^|\$$/g, '').replace(/\\?-/g, '[-\\s.]{0,3}');
  const canonical = (raw: string): string | null => {
    const up = raw.toUpperCase();
    const bare = up.replace(/[-\s.]+/g, '');
    for (const c of [up, up.replace(/[\s.]+/g, '-'), bare]) if (strict.test(c)) return c;
    // A dropped hyphen: put one back wherever that makes the number fit the pattern.
    for (let i = 1; i < bare.length; i++) {
      const c = `${bare.slice(0, i)}-${bare.slice(i)}`;
      if (strict.test(c)) return c;
    }
    return null;
  };
  const labelled = new RegExp(`(?:klantnummer|klantnr\\.?|customer (?:no\\.?|number)|debiteurnummer)\\s*[:.]?\\s*(${loose})`, 'iu').exec(normalised);
  let customerNumber: Detected<string> = null;
  const labelledValue = labelled ? canonical(labelled[1]) : null;
  // The label followed by a blurred prefix ("Klantnummer, kt 000126"): the digits are kept and the
  // pattern's literal prefix put back, with a confidence below auto-accept unless other evidence agrees.
  const prefix = /^[A-Za-z]+-?/.exec(customerPattern.source.replace(/^\^/, ''))?.[0] ?? '';
  const blurred = !labelledValue && prefix
    ? /(?:klantnummer|klantnr|customer (?:no|number)|debiteurnummer)[^\n\d]{0,8}?(\d{4,10})\b/iu.exec(normalised)
    : null;
  const blurredValue = blurred && strict.test(`${prefix}${blurred[1]}`) ? `${prefix.toUpperCase()}${blurred[1]}` : null;
  if (labelled && labelledValue) customerNumber = { value: labelledValue, confidence: 0.97, evidence: `"${labelled[0].trim()}"` };
  else if (blurred && blurredValue) customerNumber = { value: blurredValue, confidence: 0.75, evidence: `"${blurred[0].trim()}" (prefix unreadable)` };
  else {
    const bare = [...normalised.matchAll(new RegExp(`(?<![\\p{L}\\p{N}])(${loose})(?![\\p{N}])`, 'giu'))]
      .map((m) => canonical(m[1]))
      .filter((v): v is string => v !== null);
    if (bare.length) {
      const distinct = new Set(bare);
      customerNumber = { value: bare[0], confidence: distinct.size === 1 ? 0.85 : 0.5, evidence: `bare number${distinct.size > 1 ? `s (${[...distinct].join(', ')})` : ''}` };
    }
  }
  const numRule = type ? TYPES[type.value]?.number : null;
  const numMatch = numRule ? new RegExp(numRule, 'i').exec(normalised) : null;
  const foldedNormalised = fold(normalised);
  const date = firstMatch(rules.keyPoints.date, foldedNormalised);
  const total = firstMatch(rules.keyPoints.total, folded);
  const ends = firstMatch(rules.keyPoints.endsOn, foldedNormalised);
  const dateValue = date ? parseWrittenDate(date.raw) : null;
  const endsValue = ends ? parseWrittenDate(ends.raw) : null;
  const totalValue = total ? parseAmount(total.raw) : null;
  return {
    type,
    customerNumber,
    number: numMatch ? { value: numMatch[0].toUpperCase(), confidence: 0.9, evidence: 'number format' } : null,
    docDate: dateValue ? { value: dateValue, confidence: 0.85, evidence: `"${date!.line}"` } : null,
    total: totalValue !== null ? { value: totalValue, confidence: 0.8, evidence: `"${total!.line}"` } : null,
    endsOn: endsValue ? { value: endsValue, confidence: 0.8, evidence: `"${ends!.line}"` } : null,
  };
}

const STOP = new Set(['de', 'het', 'een', 'van', 'en', 'bv', 'b.v.', 'nv', 'n.v.', 'vof', 'the', 'and', 'zn', 'voor', 'met']);
const nameWords = (name: string) => fold(name).split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 3 && !STOP.has(w));

/** True when most distinctive words of a customer's name appear in the text: a second, independent clue. */
export function nameAppears(text: string, name: string): boolean {
  const words = nameWords(name);
  const folded = fold(text);
  return words.length > 0 && words.filter((w) => folded.includes(w)).length / words.length >= 0.6;
}

/** KvK numbers a document states ("KvK 30123456", "Kamer van Koophandel: …"). */
export function findKvkNumbers(text: string): string[] {
  return [...new Set([...text.matchAll(/(?:kvk|k\.v\.k\.|kamer van koophandel|coc)[^\d\n]{0,20}(\d{8})\b/gi)].map((m) => m[1]))];
}

/** Dutch postcodes (1234 AB) in a document, normalised without the space. */
export function findPostcodes(text: string): string[] {
  return [...new Set([...text.matchAll(/\b([1-9]\d{3})\s?([A-Z]{2})\b/g)].map((m) => `${m[1]}${m[2]}`))];
}

/**
 * A customer from other evidence than the customer number: a unique KvK match; a customer at a
 * postcode in the text whose name is in the text too; or a letterhead learned in review.
 */
export function matchCustomerByEvidence(
  text: string,
  evidence: { byKvk: { id: string; kvk: string }[]; byPostcode: { id: string; name: string; postcode: string }[]; learned?: LearnedHints },
): Detected<string> {
  const ids = new Set(evidence.byKvk.map((c) => c.id));
  if (ids.size === 1) return { value: evidence.byKvk[0].id, confidence: 0.95, evidence: `KvK ${evidence.byKvk[0].kvk}` };
  const named = evidence.byPostcode.filter((c) => nameAppears(text, c.name));
  if (named.length === 1) return { value: named[0].id, confidence: 0.92, evidence: `postcode ${named[0].postcode} and name "${named[0].name}"` };
  const head = fold(text.split('\n').slice(0, 10).join(' '));
  const phrases = (evidence.learned?.customerPhrases ?? []).filter((p) => head.includes(p.phrase));
  const phraseIds = new Set(phrases.map((p) => p.customerId));
  if (phraseIds.size === 1) return { value: phrases[0].customerId, confidence: 0.9, evidence: `learned letterhead "${phrases[0].phrase}"` };
  return null;
}

/** Distinctive words of a document's first lines (titles, headers): what a type correction teaches. */
export function headWords(text: string): string[] {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 5);
  const words = fold(lines.join(' ')).split(/[^\p{L}]+/u).filter((w) => w.length >= 4 && !STOP.has(w));
  return [...new Set(words)].slice(0, 12);
}

/** The first substantial line (the letterhead), folded: what a customer correction teaches. */
export function letterhead(text: string): string | null {
  const line = text.split('\n').map((l) => fold(l).trim()).find((l) => l.replace(/[^\p{L}]/gu, '').length >= 8);
  return line ? line.slice(0, 120) : null;
}
