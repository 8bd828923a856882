import type { Queryable } from '../db/database.js';
import { customersRepository } from '../db/customers.repository.js';
import { digitisationsRepository } from '../db/digitisations.repository.js';
import type { NewDocument } from '../db/documents.repository.js';
import { classify } from '../domain/classification.js';
import type { DocumentClass, DocumentStatus, KeyPoints, TraceStep } from '../domain/document.js';
import { newId } from '../domain/ids.js';
import { computeRetention } from '../domain/retention.js';
import { UnknownReference } from '../errors.js';
import { nowIso, today, type Clock } from './clock.js';

export type DocumentDraft = {
  customerId: string | null;
  type: string;
  title?: string;
  docDate?: string | null;
  fields?: KeyPoints;
  status: DocumentStatus;
  source: string;
  createdBy: string | null;
  barcode?: string | null;
  /** Paper that is registered, not scanned, is static whatever the rules would say. */
  forceClass?: DocumentClass;
  original?: { sha256: string; mime: string; name: string | null; size: number };
};

/** Customer attributes that start retention periods (relationship end, consent withdrawn). */
async function retentionCustomer(q: Queryable, customerId: string | null) {
  if (!customerId) return null;
  const c = await customersRepository.get(q, customerId);
  if (!c) throw new UnknownReference(`customer ${JSON.stringify(customerId)} does not exist`, { customerId }, 'unknown_customer');
  return JSON.parse(c.attributes) as { relationshipEndedOn?: string; consentWithdrawnOn?: string };
}

export type Decision = Pick<
  NewDocument,
  | 'class'
  | 'classification'
  | 'retention_legal_basis'
  | 'retention_trigger'
  | 'retention_starts_on'
  | 'retention_period'
  | 'retention_ends_on'
  | 'retention_disposition'
>;

/**
 * Changed documents a pass over every document (the daily reclassification, a retention
 * recompute) writes per transaction, each read and decided again inside: writes take turns, and
 * 500 held the turn for 1.3-2.6 s on PostgreSQL under load, 50 for 150-450 ms, 20 for 60-180 ms
 * beside a burst of requests (a dossier waited 0.3-0.5 s behind them; with 5, 0.27 s). A disposal's
 * execution destroys as many per transaction.
 */
export const WRITE_BATCH = 5;

/**
 * Class (from the active scopes, with its trace) and retention (from the schedule) for a
 * document's current data. Every path that creates or changes a document goes through here, so
 * none of them can skip classification or retention.
 */
export async function decide(
  q: Queryable,
  d: {
    /** Known for existing documents: paper digitised on demand stays dynamic whatever the rules say. */
    documentId?: string;
    /** When the document was registered (its creation date); a missing docDate starts retention here, not today. */
    registeredOn?: string;
    customerId: string | null;
    type: string;
    docDate: string | null;
    fields: KeyPoints;
    forceClass?: DocumentClass;
    extraTrace?: TraceStep[];
    confidence?: number;
    by?: 'rule' | 'user';
  },
  scopes: string[],
  clock: Clock,
): Promise<Decision> {
  const customer = await retentionCustomer(q, d.customerId);
  const decided = classify({ type: d.type, fields: d.fields, docDate: d.docDate, scopes, today: today(clock) });
  let cls = decided.class;
  const trace: TraceStep[] = [...(d.extraTrace ?? []), ...decided.classification.trace];
  const digitised = d.documentId ? await digitisationsRepository.get(q, d.documentId) : undefined;
  if (digitised && cls !== 'dynamic') {
    trace.push({ rule: 'digitised on demand', evidence: `${digitised.reason}; the rules alone would make it ${cls}`, result: 'dynamic' });
    cls = 'dynamic';
  } else if (d.forceClass && d.forceClass !== cls) {
    trace.push({
      rule: 'registered as paper',
      evidence: `the rules would make it ${cls}; it stays ${d.forceClass} until it is digitised`,
      result: d.forceClass,
    });
    cls = d.forceClass;
  }
  const retention = computeRetention({ type: d.type, docDate: d.docDate, registeredOn: d.registeredOn ?? today(clock), fields: d.fields, customer, hold: false });
  return {
    class: cls,
    classification: JSON.stringify({ by: d.by ?? 'rule', confidence: d.confidence ?? decided.classification.confidence, trace }),
    retention_legal_basis: retention.legalBasis,
    retention_trigger: retention.trigger,
    retention_starts_on: retention.startsOn,
    retention_period: retention.period,
    retention_ends_on: retention.endsOn,
    retention_disposition: retention.disposition,
  };
}

/** Builds a complete document row from a draft; see `decide` for class and retention. */
export async function buildDocument(q: Queryable, draft: DocumentDraft, scopes: string[], clock: Clock): Promise<NewDocument> {
  const fields = draft.fields ?? {};
  const docDate = draft.docDate ?? null;
  const decision = await decide(q, { customerId: draft.customerId, type: draft.type, docDate, fields, forceClass: draft.forceClass }, scopes, clock);
  const now = nowIso(clock);
  return {
    id: newId('doc', clock.now().getTime()),
    customer_id: draft.customerId,
    type: draft.type,
    status: draft.status,
    barcode: draft.barcode ?? null,
    title: draft.title ?? defaultTitle(draft.type, fields),
    doc_date: docDate,
    fields: JSON.stringify(fields),
    ...decision,
    location_id: null,
    holder_user_id: null,
    due_back_on: null,
    original_sha256: draft.original?.sha256 ?? null,
    original_mime: draft.original?.mime ?? null,
    original_name: draft.original?.name ?? null,
    original_size: draft.original?.size ?? null,
    archive_sha256: null,
    page_count: null,
    error: null,
    source: draft.source,
    created_by: draft.createdBy,
    created_at: now,
    updated_at: now,
  };
}

const TYPE_TITLES: Record<string, string> = {
  quote: 'Offerte',
  order: 'Order',
  'service-contract': 'Servicecontract',
  sla: 'SLA',
  'service-call': 'Servicemelding',
  invoice: 'Factuur',
  'reply-coupon': 'Antwoordcoupon',
  letter: 'Brief',
};

export function defaultTitle(type: string, fields: KeyPoints): string {
  const base = TYPE_TITLES[type] ?? type;
  return fields.number ? `${base} ${fields.number}` : base;
}
