/**
 * Why a document waits in review, as codes with parameters the web interface can say in the
 * user's language. The ingest step stores the reasons as one English sentence per problem
 * (documents.error, "; "-separated); this reads them back without changing what ingest writes.
 */
export type ReviewReason =
  | { code: 'type_unsure'; type: string; confidence: number }
  | { code: 'type_not_recognised' }
  | { code: 'no_customer_number' }
  | { code: 'customer_unknown'; customerId: string }
  | { code: 'customer_unsure'; customerId: string }
  | { code: 'poor_scan'; confidence: number }
  | { code: 'near_duplicate'; documentId: string }
  | { code: 'other'; text: string };

const PATTERNS: [RegExp, (m: RegExpExecArray) => ReviewReason][] = [
  [/^type unsure: (\S+?)\? \(([\d.]+)\)$/, (m) => ({ code: 'type_unsure', type: m[1]!, confidence: Number(m[2]) })],
  [/^type not recognised$/, () => ({ code: 'type_not_recognised' })],
  [/^no customer number found$/, () => ({ code: 'no_customer_number' })],
  [/^customer (\S+) is not known$/, (m) => ({ code: 'customer_unknown', customerId: m[1]! })],
  [/^customer unsure: (\S+?)\?$/, (m) => ({ code: 'customer_unsure', customerId: m[1]! })],
  [/^poor scan: OCR confidence (\d+)%$/, (m) => ({ code: 'poor_scan', confidence: Number(m[1]) })],
  [/^looks like a second scan of (\S+)$/, (m) => ({ code: 'near_duplicate', documentId: m[1]! })],
];

/**
 * @example parseReviewReasons('type unsure: quote? (0.55); no customer number found')
 *   // [{ code: 'type_unsure', type: 'quote', confidence: 0.55 }, { code: 'no_customer_number' }]
 */
export function parseReviewReasons(error: string | null): ReviewReason[] {
  if (!error) return [];
  return error
    .split('; ')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((text) => {
      for (const [re, make] of PATTERNS) {
        const m = re.exec(text);
        if (m) return make(m);
      }
      return { code: 'other', text };
    });
}

/** The type detection guessed but was not sure of: what review should offer first. */
export function suggestedType(reasons: readonly ReviewReason[]): string | null {
  const r = reasons.find((x) => x.code === 'type_unsure');
  return r && r.code === 'type_unsure' ? r.type : null;
}
