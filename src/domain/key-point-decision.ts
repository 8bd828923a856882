/**
 * What the pipeline does with key points read from a page: a sure one fills its field (never
 * over what a person entered), an unsure one is not guessed but named for review, and every
 * one leaves a trace step with its confidence and where it was found.
 */
import type { Detection } from './detection.js';
import type { KeyPoints, TraceStep } from './document.js';
import { KEY_POINT_ACCEPT, type KeyPoint, type KeyPointField, type KeyPointsFound } from './key-points.js';

/** The document field each key point fills; `docDate` is the document's own date column. */
const FIELD_OF: Record<Exclude<KeyPointField, 'docDate'>, keyof KeyPoints & string> = {
  number: 'number',
  total: 'total',
  endsOn: 'endsOn',
  dueDate: 'dueDate',
  deliveryDate: 'deliveryDate',
  vatNumber: 'vatNumber',
  iban: 'iban',
  kvk: 'kvk',
  customerNumber: 'customerNumber',
};
/** Unsure values of these hold a document for review; of the others they are just left out. */
const REVIEWED: KeyPointField[] = ['number', 'docDate', 'total', 'dueDate'];

export type KeyPointDecision = { fields: KeyPoints; docDate: string | null; trace: TraceStep[]; problems: string[] };

/**
 * Merges key points into a document's fields. `found` comes from the positions on the page;
 * where it found nothing, the older whole-text rules of `detect` (`fallback`) may still fill a gap.
 */
export function decideKeyPoints(input: { found: KeyPointsFound; fallback?: Pick<Detection, 'number' | 'docDate' | 'total' | 'endsOn'>; fields: KeyPoints; docDate: string | null; source?: string }): KeyPointDecision {
  const fields: KeyPoints = { ...input.fields };
  let docDate = input.docDate;
  const trace: TraceStep[] = [];
  const problems: string[] = [];
  const found: Partial<Record<KeyPointField, KeyPoint>> = { ...input.found.fields };
  const fb = input.fallback;
  if (fb) {
    if (!found.number && fb.number) found.number = fb.number;
    if (!found.docDate && fb.docDate) found.docDate = fb.docDate;
    if (!found.total && fb.total) found.total = fb.total;
    if (!found.endsOn && fb.endsOn) found.endsOn = fb.endsOn;
  }
  for (const [field, kp] of Object.entries(found) as [KeyPointField, KeyPoint][]) {
    const given = field === 'docDate' ? docDate !== null : fields[FIELD_OF[field]] !== undefined;
    if (given) continue;
    const sure = kp.confidence >= KEY_POINT_ACCEPT;
    trace.push({ rule: `key point ${field}`, evidence: kp.evidence, result: sure ? `${kp.value} (${kp.confidence})` : `unsure: ${kp.value}? (${kp.confidence})` });
    if (!sure) {
      if (REVIEWED.includes(field)) problems.push(`${field} unsure: ${kp.value}? (${kp.confidence})`);
      continue;
    }
    if (field === 'docDate') docDate = String(kp.value);
    else fields[FIELD_OF[field]] = kp.value;
    if (field === 'total' && fields.currency === undefined) {
      const currency = kp.currency ?? (input.found.currency && input.found.currency.confidence >= KEY_POINT_ACCEPT ? String(input.found.currency.value) : undefined);
      if (currency) fields.currency = currency;
    }
  }
  return { fields, docDate, trace, problems };
}
