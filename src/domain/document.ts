export const DOCUMENT_TYPES = [
  'quote',
  'order',
  'service-contract',
  'sla',
  'service-call',
  'invoice',
  'reply-coupon',
  'letter',
] as const;
export type CanonicalType = (typeof DOCUMENT_TYPES)[number];

export const DOCUMENT_STATUSES = ['queued', 'processing', 'ready', 'needs_review', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];
export type DocumentClass = 'dynamic' | 'static';
export type Disposition = 'destroy' | 'review' | 'transfer';

/** Key points of a document; the named ones are understood by rules, others are kept as given. */
export type KeyPoints = {
  number?: string;
  total?: number;
  currency?: string;
  endsOn?: string;
  startsOn?: string;
  validUntil?: string;
  status?: string;
  [k: string]: unknown;
};

export type TraceStep = { rule: string; scope?: string; evidence?: string; result?: string };
export type Classification = { by: 'rule' | 'user'; confidence: number; trace: TraceStep[] };

export type Retention = {
  legalBasis: string;
  trigger: string;
  startsOn: string | null;
  period: string;
  endsOn: string | null;
  disposition: Disposition;
  hold: boolean;
};

export type LocationRef = {
  kind: 'location' | 'person';
  id: string;
  barcode?: string;
  name: string;
  path: string;
  dueBackOn?: string | null;
};

/** The Document of API.md. */
export type DocumentView = {
  id: string;
  customerId: string | null;
  type: string;
  class: DocumentClass;
  status: DocumentStatus;
  barcode: string | null;
  title: string;
  docDate: string | null;
  fields: KeyPoints;
  classification: Classification;
  location: LocationRef | null;
  retention: Retention;
  pageCount: number | null;
  original: { sha256: string; mime: string; name: string | null; size: number } | null;
  hasArchive: boolean;
  error: string | null;
  /** A failed document's reason as a code (`corrupt_pdf`, `processing_failed`, …) with its parameters, for texts in the user's language. */
  errorCode: string | null;
  errorDetails: Record<string, unknown> | null;
  source: string;
  createdAt: string;
  updatedAt: string;
};
