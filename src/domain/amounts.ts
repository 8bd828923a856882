/**
 * Money as printed on invoices: 1.234,56 (Dutch, German), 1,234.56 (English), 1 234,56 (French),
 * 1'234.50 (Swiss), € 1.234,- (Dutch round amounts), with the currency before or after.
 */
export type FoundAmount = { value: number; currency: string | null; index: number; length: number; decimals: boolean };

const CURRENCIES: [RegExp, string][] = [
  [/^(?:€|eur|euro|euros)$/i, 'EUR'],
  [/^(?:\$|usd|us\$)$/i, 'USD'],
  [/^(?:£|gbp)$/i, 'GBP'],
  [/^(?:chf|sfr\.?|fr\.)$/i, 'CHF'],
];
export function currencyCode(mark: string): string | null {
  for (const [re, code] of CURRENCIES) if (re.test(mark.trim())) return code;
  return null;
}

const CUR = '€|eur(?:os?)?|usd|us\\$|\\$|£|gbp|chf|sfr\\.?';
const NUM = "\\d{1,3}(?:[.,'’\\u00a0\\u202f ]\\d{3})+(?:[.,]\\d{2}|,-)?|\\d+(?:[.,]\\d{2}|,-)";
const AMOUNT = new RegExp(
  `(?:(${CUR})\\s?)?(-\\s?)?(?<![\\d.,])(${NUM})(?![\\d%]|[.,]\\d)(?:\\s?(-))?(?:\\s?(${CUR})(?![a-z]))?`,
  'gi',
);

/** Reads one printed number: the separator followed by exactly two digits at the end is the decimal one. */
export function parseNumber(raw: string): { value: number; decimals: boolean } | null {
  const t = raw.replace(/[\s\u00a0\u202f'’]/g, '');
  if (/,-$/.test(t)) return parseNumber(t.slice(0, -2));
  const dec = /[.,](\d{2})$/.exec(t);
  const whole = (dec ? t.slice(0, dec.index) : t).replace(/[.,]/g, '');
  if (!/^\d+$/.test(whole)) return null;
  const value = Number(`${whole}.${dec ? dec[1] : '0'}`);
  return Number.isFinite(value) ? { value, decimals: Boolean(dec) } : null;
}

/**
 * Every amount in `text` with its currency where one is printed next to it. Percentages,
 * parts of dates and bare whole numbers without a currency are not amounts.
 *
 *     findAmounts('Totaal te betalen € 1.234,56')[0] // { value: 1234.56, currency: 'EUR', ... }
 */
export function findAmounts(text: string): FoundAmount[] {
  const out: FoundAmount[] = [];
  AMOUNT.lastIndex = 0;
  for (let m = AMOUNT.exec(text); m; m = AMOUNT.exec(text)) {
    const n = parseNumber(m[3]!);
    if (!n) continue;
    const mark = m[1] ?? m[5] ?? null;
    // A whole number with no currency is a quantity, a year or a house number, not money.
    if (!n.decimals && !mark && !/,-$/.test(m[3]!)) continue;
    // "19.04" inside a date is not money; the date reader sees the whole date.
    if (/^\d{1,2}[.-]\d{2}$/.test(m[3]!) && /^[.-]\d/.test(text.slice(m.index + m[0].length))) continue;
    const negative = Boolean(m[2] || m[4]);
    out.push({ value: negative ? -n.value : n.value, currency: mark ? currencyCode(mark) : null, index: m.index, length: m[0].length, decimals: n.decimals });
  }
  return out;
}
