/**
 * Identifiers printed in letterheads and footers: IBAN (ISO 13616, mod-97 check), VAT numbers
 * (EU VIES formats, with the Dutch and German check digits), Dutch KvK numbers. Readers accept
 * the spacing and dots people print, and repair what OCR typically confuses in positions that
 * must be digits (O/0, I/1, S/5, B/8), keeping only what then passes the check.
 */

/** Length and BBAN shape per country: n digits, a letters, c either. */
const IBAN_FORMATS: Record<string, string> = {
  NL: '4a10n', BE: '12n', DE: '18n', FR: '10n11c2n', LU: '3n13c', AT: '16n', CH: '5n12c', GB: '4a14n',
  IE: '4a14n', ES: '20n', IT: '1a10n12c', DK: '14n', SE: '20n', NO: '11n', FI: '14n', PT: '21n', PL: '24n',
};

function bbanPattern(format: string): { kinds: string; length: number } {
  let kinds = '';
  for (const [, n, k] of format.matchAll(/(\d+)([nac])/g)) kinds += k!.repeat(Number(n));
  return { kinds, length: kinds.length + 4 };
}

/** The ISO 7064 mod-97 check every IBAN carries. */
export function ibanChecksumOk(iban: string): boolean {
  const s = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of s) {
    const v = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const d of v) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest === 1;
}

const TO_DIGIT: Record<string, string> = { O: '0', D: '0', Q: '0', I: '1', L: '1', Z: '2', S: '5', G: '6', B: '8' };
const TO_LETTER: Record<string, string> = { '0': 'O', '1': 'I', '5': 'S', '8': 'B', '2': 'Z', '6': 'G' };

/** A valid IBAN from `raw` (spaces allowed), repairing OCR confusions only where the format is sure. */
export function normaliseIban(raw: string): { iban: string; repaired: boolean } | null {
  const s = raw.toUpperCase().replace(/[\s.\-]/g, '');
  const country = s.slice(0, 2).replace(/[0-9]/g, (d) => TO_LETTER[d] ?? d);
  const format = IBAN_FORMATS[country];
  if (!format) {
    return /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s) && ibanChecksumOk(s) ? { iban: s, repaired: false } : null;
  }
  const { kinds, length } = bbanPattern(format);
  if (s.length < length) return null;
  const cand = s.slice(0, length);
  let fixed = country + cand.slice(2, 4).replace(/[A-Z]/g, (c) => TO_DIGIT[c] ?? c);
  for (let i = 0; i < kinds.length; i++) {
    const ch = cand[4 + i]!;
    const k = kinds[i];
    fixed += k === 'n' ? (TO_DIGIT[ch] ?? ch) : k === 'a' ? (TO_LETTER[ch] ?? ch) : ch;
  }
  if (!new RegExp(`^[A-Z]{2}\\d{2}[A-Z0-9]{${kinds.length}}$`).test(fixed) || !ibanChecksumOk(fixed)) return null;
  return { iban: fixed, repaired: fixed !== cand };
}

/**
 * An IBAN with one character OCR could not read ("NL8? RABO …"): the mod-97 check catches every
 * single wrong character, so at most one digit fits and that one is taken.
 */
function repairOneUnknown(raw: string): { iban: string; repaired: boolean } | null {
  const s = raw.toUpperCase().replace(/[\s.\-]/g, '');
  const unknown = [...s].map((c, i) => (/[^A-Z0-9]/.test(c) ? i : -1)).filter((i) => i >= 0);
  if (unknown.length !== 1 || unknown[0]! < 2) return null;
  const fits = '0123456789'.split('').map((d) => normaliseIban(s.slice(0, unknown[0]) + d + s.slice(unknown[0]! + 1))).filter((v) => v !== null);
  return fits.length === 1 ? { iban: fits[0]!.iban, repaired: true } : null;
}

/** A misread country code ("ÖE90 …" for DE90): the countries one letter away whose length and check fit. */
function repairCountry(raw: string): { iban: string; repaired: boolean } | null {
  const s = raw.toUpperCase().replace(/[\s.\-]/g, '');
  if (IBAN_FORMATS[s.slice(0, 2)]) return null;
  const fits = Object.keys(IBAN_FORMATS)
    .filter((c) => c[0] === s[0] || c[1] === s[1])
    .map((c) => normaliseIban(c + s.slice(2)))
    .filter((v) => v !== null);
  return fits.length === 1 ? { iban: fits[0]!.iban, repaired: true } : null;
}

/** IBANs anywhere in a text, valid ones only, in order. */
export function findIbans(text: string): { iban: string; index: number; repaired: boolean }[] {
  const out: { iban: string; index: number; repaired: boolean }[] = [];
  const re = /(?<![\p{L}\p{N}])(\p{L}{2} ?[0-9OIlSBZG?][0-9OIlSBZG]{1}(?:[ .\-/]?[A-Za-z0-9?]{2,4}){3,8})/gu;
  for (const m of text.matchAll(re)) {
    const raw = m[1]!.replace(/\//g, '');
    const v = normaliseIban(raw) ?? repairOneUnknown(raw) ?? repairCountry(raw);
    if (v && !out.some((o) => o.iban === v.iban)) out.push({ ...v, index: m.index! });
  }
  return out;
}

/** Formats an IBAN in groups of four, as printed. */
export const formatIban = (iban: string) => iban.replace(/(.{4})(?=.)/g, '$1 ');

const VAT_FORMATS: Record<string, RegExp> = {
  NL: /^NL\d{9}B\d{2}$/, DE: /^DE\d{9}$/, BE: /^BE[01]\d{9}$/, FR: /^FR[0-9A-Z]{2}\d{9}$/, LU: /^LU\d{8}$/, AT: /^ATU\d{8}$/,
  GB: /^GB(?:\d{9}|\d{12})$/, ES: /^ES[0-9A-Z]\d{7}[0-9A-Z]$/, IT: /^IT\d{11}$/, DK: /^DK\d{8}$/, CH: /^CHE\d{9}(?:MWST|TVA|IVA)?$/,
};

function nlVatCheck(v: string): boolean {
  const d = v.slice(2, 11).split('').map(Number);
  const eleven = d.slice(0, 8).reduce((s, x, i) => s + x * (9 - i), 0) - d[8]!;
  // Since 2020 sole traders get numbers that pass the IBAN-style mod-97 check instead.
  return (eleven % 11 + 11) % 11 === 0 || mod97Vat(v);
}
function mod97Vat(v: string): boolean {
  const s = `${v.slice(2)}`.split('').map((c) => (/\d/.test(c) ? c : String(c.charCodeAt(0) - 55))).join('');
  let rest = 0;
  for (const d of `2321${s}`) rest = (rest * 10 + Number(d)) % 97;
  return rest === 1;
}
function deVatCheck(v: string): boolean {
  const d = v.slice(2).split('').map(Number);
  let product = 10;
  for (let i = 0; i < 8; i++) {
    let sum = (d[i]! + product) % 10;
    if (sum === 0) sum = 10;
    product = (2 * sum) % 11;
  }
  return (11 - product) % 10 === d[8];
}

/**
 * A VAT number in its compact form (NL123456789B01) with whether its check digit is known good;
 * null when it has no known VAT shape.
 */
export function normaliseVat(raw: string): { vat: string; checked: boolean } | null {
  let s = raw.toUpperCase().replace(/[\s.\-]/g, '');
  if (/^NL/.test(s) && s.length === 14) s = `NL${s.slice(2, 11).replace(/[A-Z]/g, (c) => TO_DIGIT[c] ?? c)}B${s.slice(12).replace(/[A-Z]/g, (c) => TO_DIGIT[c] ?? c)}`;
  const country = s.slice(0, 2);
  const format = VAT_FORMATS[country];
  if (!format || !format.test(s)) return null;
  const checked = country === 'NL' ? nlVatCheck(s) : country === 'DE' ? deVatCheck(s) : true;
  return { vat: s, checked };
}

/** VAT numbers anywhere in a text, in order. */
export function findVatNumbers(text: string): { vat: string; index: number; checked: boolean }[] {
  const out: { vat: string; index: number; checked: boolean }[] = [];
  // Printed groups ("NL 8123.45.678.B01") make the end unclear: try the longest reading, then the shortest.
  const shape = (lazy: string) => new RegExp(`(?<![A-Za-z0-9])((?:NL|DE|BE|FR|LU|ATU|GB|ES|IT|DK|CHE)[ .]?[0-9A-Z][0-9A-Z .]{6,16}${lazy}(?:B[ .]?\\d{2}|\\d)(?:\\s?(?:MWST|TVA|IVA))?)(?![A-Za-z0-9])`, 'y');
  const greedy = shape('');
  const lazy = shape('?');
  for (const m of text.matchAll(/(?<![A-Za-z0-9])(?=NL|DE|BE|FR|LU|ATU|GB|ES|IT|DK|CHE)/g)) {
    greedy.lastIndex = lazy.lastIndex = m.index!;
    const long = greedy.exec(text);
    const short = lazy.exec(text);
    const v = (long && normaliseVat(long[1]!)) || (short && normaliseVat(short[1]!));
    if (v && !out.some((o) => o.vat === v.vat)) out.push({ ...v, index: m.index! });
  }
  return out;
}

/** A Dutch chamber of commerce number: eight digits, printed with or without spaces or dots. */
export function normaliseKvk(raw: string): string | null {
  const m = /^\s*(\d{2}[ .]?\d{2}[ .]?\d{2}[ .]?\d{2})(?!\d)/.exec(raw.replace(/[OoIl]/g, (c) => (c === 'O' || c === 'o' ? '0' : '1')));
  return m ? m[1]!.replace(/[ .]/g, '') : null;
}
