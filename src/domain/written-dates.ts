import { isIsoDate, type IsoDate } from './dates.js';

/**
 * Month names and their usual abbreviations in Dutch, English, German and French, folded (lower
 * case, no diacritics) as the text they are compared with.
 */
const MONTHS: Record<string, number> = {
  januari: 1, january: 1, januar: 1, janvier: 1, jan: 1, janv: 1,
  februari: 2, february: 2, februar: 2, fevrier: 2, feb: 2, febr: 2, fev: 2, fevr: 2,
  maart: 3, march: 3, marz: 3, maerz: 3, mars: 3, mrt: 3, mar: 3,
  april: 4, avril: 4, apr: 4, avr: 4,
  mei: 5, may: 5, mai: 5,
  juni: 6, june: 6, juin: 6, jun: 6,
  juli: 7, july: 7, juillet: 7, jul: 7, juil: 7,
  augustus: 8, august: 8, aout: 8, aug: 8,
  september: 9, septembre: 9, sep: 9, sept: 9,
  oktober: 10, october: 10, octobre: 10, okt: 10, oct: 10,
  november: 11, novembre: 11, nov: 11,
  december: 12, dezember: 12, decembre: 12, dec: 12, dez: 12,
};

/** A month name, also when OCR clipped or blurred its end ("maar" for maart, "septembe"). */
export function monthNumber(word: string): number | undefined {
  const w = word.replace(/\.$/, '');
  if (MONTHS[w]) return MONTHS[w];
  if (w.length < 4) return undefined;
  // OCR keeps the start of a word better than its end: "januan", "septemtire", "noveniber".
  const common = (a: string, b: string) => {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    return i;
  };
  const hits = new Set(
    Object.entries(MONTHS)
      .filter(([name]) => name.length >= 4 && Math.abs(name.length - w.length) <= 3 && (name.startsWith(w) || w.startsWith(name) || common(name, w) >= 4))
      .map(([, n]) => n),
  );
  return hits.size === 1 ? [...hits][0] : undefined;
}

export type FoundDate = { iso: IsoDate; index: number; length: number; written: string };

const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const year4 = (y: string) => (y.length === 2 ? 2000 + Number(y) : Number(y));
function iso(y: number, m: number, d: number): IsoDate | null {
  const s = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return y >= 1950 && y <= 2100 && isIsoDate(s) ? s : null;
}

const ORDINAL = '(?:st|nd|rd|th|e|er|ste|de|ten)?';
const NAME = '([a-z]{3,10})\\.?';
// Order matters only for overlaps: the longest match at a position wins below.
const PATTERNS: { re: RegExp; read: (m: RegExpExecArray, monthFirst: boolean) => IsoDate | null }[] = [
  // 2014-04-19, 2014/04/19
  { re: /(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)/g, read: (m) => iso(Number(m[1]), Number(m[2]), Number(m[3])) },
  // 2014-04 19: a scan that lost the second hyphen
  { re: /(?<![\d.,])(\d{4})-(\d{2}) (\d{2})(?![\d.,])/g, read: (m) => iso(Number(m[1]), Number(m[2]), Number(m[3])) },
  // 19-04-2014, 19/04/2014, 19.04.2014, 19.04.14; month first only when the day cannot be a month (04/19/2014)
  {
    re: /(?<![\d.,])(\d{1,2})\s?([-/.])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})(?![\d,])/g,
    read: (m, monthFirst) => {
      const a = Number(m[1]);
      const b = Number(m[3]);
      const y = year4(m[4]!);
      if (b > 12 || (monthFirst && a <= 12)) return iso(y, a, b);
      return iso(y, b, a);
    },
  },
  // 08.01 2021, 1009.2016: a scan that lost one separator of a day-first date (year of four digits only)
  { re: /(?<![\d.,])(\d{1,2})([-/.])(\d{1,2}) (\d{4})(?![\d,])/g, read: (m) => iso(Number(m[4]), Number(m[3]), Number(m[1])) },
  { re: /(?<![\d.,])(\d{2})(\d{2})[./-](\d{4})(?![\d,])/g, read: (m) => iso(Number(m[3]), Number(m[2]), Number(m[1])) },
  // 19 april 2014, 19. April 2014, 1er mars 2014, 19-apr-2014, 19th of April, 2014
  {
    re: new RegExp(`(?<!\\d)(\\d{1,2})${ORDINAL}\\.?[\\s-]*(?:of\\s+)?${NAME}[\\s,-]*(\\d{4})(?!\\d)`, 'g'),
    read: (m) => {
      const month = monthNumber(m[2]!);
      return month ? iso(Number(m[3]), month, Number(m[1])) : null;
    },
  },
  // April 19, 2014; Apr 19 2014
  {
    re: new RegExp(`(?<![a-z])${NAME}\\s+(\\d{1,2})${ORDINAL}[,.]?\\s+(\\d{4})(?!\\d)`, 'g'),
    read: (m) => {
      const month = monthNumber(m[1]!);
      return month ? iso(Number(m[3]), month, Number(m[2])) : null;
    },
  },
];

/**
 * Every calendar date written in `text`, in the order they appear, in the common forms of
 * Dutch, English, German and French paperwork. Numeric dates are read day first, as in Europe,
 * unless the first number cannot be a day of that month (04/19/2014) or `monthFirst` is set.
 *
 *     findDates('Factuurdatum: 19 april 2014')[0].iso // '2014-04-19'
 */
export function findDates(text: string, opts: { monthFirst?: boolean } = {}): FoundDate[] {
  const folded = fold(text);
  const found: FoundDate[] = [];
  for (const p of PATTERNS) {
    p.re.lastIndex = 0;
    for (let m = p.re.exec(folded); m; m = p.re.exec(folded)) {
      const value = p.read(m, Boolean(opts.monthFirst));
      if (value) found.push({ iso: value, index: m.index, length: m[0].length, written: text.slice(m.index, m.index + m[0].length) });
    }
  }
  found.sort((a, b) => a.index - b.index || b.length - a.length);
  // Overlapping readings of the same characters: keep the longest (first after the sort).
  const out: FoundDate[] = [];
  for (const f of found) {
    const last = out[out.length - 1];
    if (last && f.index < last.index + last.length) continue;
    out.push(f);
  }
  return out;
}

/** The first date in `text`, or null. */
export function firstDate(text: string, opts: { monthFirst?: boolean } = {}): FoundDate | null {
  return findDates(text, opts)[0] ?? null;
}
