import scheme from '../../barcodes/scheme.json' with { type: 'json' };

export type BarcodeKind = keyof typeof scheme.kinds;
export const BARCODE_KINDS = Object.keys(scheme.kinds) as BarcodeKind[];

// Damm's quasigroup of order 10: catches every single-digit error and every adjacent transposition.
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/** Damm check digit of a digit string. */
export function dammDigit(digits: string): number {
  let interim = 0;
  for (const ch of digits) interim = DAMM[interim][ch.charCodeAt(0) - 48];
  return interim;
}

/**
 * The check digit covers a digit standing for the kind, then the body: a code read with the
 * wrong prefix letter fails the check. (ASCII codes of the letters would not do: D=68 and L=76
 * leave the Damm quasigroup in the same state, so D… and L… codes would share check digits.)
 */
function checkInput(kind: BarcodeKind, body: string): string {
  return String(scheme.kinds[kind].kindDigit) + body;
}

/**
 * Builds the barcode for the n-th item of a kind.
 *
 *     makeBarcode('document', 123) // 'D000000123' + check digit
 */
export function makeBarcode(kind: BarcodeKind, n: number): string {
  const k = scheme.kinds[kind];
  if (!Number.isSafeInteger(n) || n < 0 || n >= 10 ** k.digits) throw new RangeError(`barcode number out of range: ${n}`);
  const body = String(n).padStart(k.digits, '0');
  return `${k.prefix}${body}${dammDigit(checkInput(kind, body))}`;
}

export type ParsedBarcode = { kind: BarcodeKind; number: number; code: string };
export type BarcodeProblem = 'empty' | 'unknown_prefix' | 'bad_length' | 'not_digits' | 'bad_check_digit';

/**
 * Parses what a scanner typed. Tolerates surrounding white space and lower case (some keyboard-wedge
 * layouts), nothing else: a code that fails the check digit is refused, never guessed.
 */
export function parseBarcode(raw: string): { ok: true; value: ParsedBarcode } | { ok: false; problem: BarcodeProblem } {
  const code = raw.trim().toUpperCase();
  if (!code) return { ok: false, problem: 'empty' };
  const kind = BARCODE_KINDS.find((k) => scheme.kinds[k].prefix === code[0]);
  if (!kind) return { ok: false, problem: 'unknown_prefix' };
  const k = scheme.kinds[kind];
  const body = code.slice(1);
  if (body.length !== k.digits + 1) return { ok: false, problem: 'bad_length' };
  if (!/^\d+$/.test(body)) return { ok: false, problem: 'not_digits' };
  if (dammDigit(checkInput(kind, body)) !== 0) return { ok: false, problem: 'bad_check_digit' };
  return { ok: true, value: { kind, number: Number(body.slice(0, -1)), code } };
}

export const BARCODE_PROBLEM_TEXT: Record<BarcodeProblem, string> = {
  empty: 'no barcode given',
  unknown_prefix: 'the first character is not a Dossierlink barcode prefix',
  bad_length: 'the barcode has the wrong number of characters',
  not_digits: 'the barcode should be digits after its prefix',
  bad_check_digit: 'the check digit does not match: the code was mistyped or misread',
};
