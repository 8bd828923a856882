/**
 * Text comparison for OCR quality: how far recognised text is from the text we know is on the page.
 */

/** Collapses all whitespace runs (line breaks, tabs, double spaces) to one space, NFC-normalised. */
export function normalizeWhitespace(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}

/**
 * Character error rate: Levenshtein distance between the whitespace-normalised texts divided by
 * the expected length (so it can exceed 1 when the actual text is much longer). Counts Unicode
 * code points, so 'ë' is one character.
 * @example computeCer('Klantnummer KL-000123', 'Klantnummer KL-0O0123') // 1/21 ≈ 0.048
 */
export function computeCer(expected: string, actual: string): number {
  const a = Array.from(normalizeWhitespace(expected));
  const b = Array.from(normalizeWhitespace(actual));
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  return levenshtein(a, b) / a.length;
}

/** Edit distance with two rolling rows: O(|a|·|b|) time, O(|b|) memory. */
export function levenshtein(a: readonly string[], b: readonly string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, substitution);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}
