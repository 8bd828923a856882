import { z } from 'zod';
import { DOCUMENT_STATUSES } from '../domain/document.js';
import { SAFE_ID } from '../domain/ids.js';
import { isIsoDate } from '../domain/dates.js';
import { ROLES } from '../domain/roles.js';

/** Shared schemas: inputs are validated with these and the OpenAPI document is generated from them. */
export const SafeId = z.string().regex(SAFE_ID, 'must be letters, digits, - or _ (at most 64)');
export const IsoDate = z.string().refine(isIsoDate, 'must be a calendar date YYYY-MM-DD');
export const IdParams = z.object({ id: SafeId });

export const ErrorBody = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .meta({ id: 'Error' });

export const KeyPointsSchema = z
  .object({
    number: z.string().max(100).optional(),
    total: z.number().finite().optional(),
    currency: z.string().length(3).optional(),
    startsOn: IsoDate.optional(),
    endsOn: IsoDate.optional(),
    validUntil: IsoDate.optional(),
    status: z.string().max(40).optional(),
  })
  .catchall(z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
  .meta({ id: 'KeyPoints', description: 'Key points of a document; named ones drive rules, others are kept as given.' });

export const RetentionSchema = z
  .object({
    legalBasis: z.string(),
    trigger: z.string(),
    startsOn: z.string().nullable(),
    period: z.string(),
    endsOn: z.string().nullable(),
    disposition: z.enum(['destroy', 'review', 'transfer']),
    hold: z.boolean(),
  })
  .meta({ id: 'Retention' });

export const LocationRefSchema = z
  .object({
    kind: z.enum(['location', 'person']),
    id: z.string(),
    barcode: z.string().optional(),
    name: z.string(),
    path: z.string(),
    dueBackOn: z.string().nullable().optional(),
  })
  .meta({ id: 'LocationRef' });

export const DocumentSchema = z
  .object({
    id: z.string(),
    customerId: z.string().nullable(),
    type: z.string(),
    class: z.enum(['dynamic', 'static']),
    status: z.enum(DOCUMENT_STATUSES),
    barcode: z.string().nullable(),
    title: z.string(),
    docDate: z.string().nullable(),
    fields: KeyPointsSchema,
    classification: z.object({
      by: z.enum(['rule', 'user']),
      confidence: z.number(),
      trace: z.array(
        z.object({ rule: z.string(), scope: z.string().optional(), evidence: z.string().optional(), result: z.string().optional() }),
      ),
    }),
    location: LocationRefSchema.nullable(),
    retention: RetentionSchema,
    pageCount: z.number().nullable(),
    original: z.object({ sha256: z.string(), mime: z.string(), name: z.string().nullable(), size: z.number() }).nullable(),
    hasArchive: z.boolean(),
    error: z.string().nullable(),
    errorCode: z.string().nullable(),
    errorDetails: z.record(z.string(), z.unknown()).nullable(),
    source: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Document' });

export const CustomerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kvk: z.string().nullable(),
    email: z.string().nullable(),
    address: z.string().nullable(),
    postcode: z.string().nullable(),
    city: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    restricted: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Customer' });

export const StatusVariableSchema = z
  .object({
    name: z.string(),
    value: z.string(),
    detail: z.record(z.string(), z.unknown()),
    setAt: z.string(),
    setBy: z.string().nullable(),
    source: z.string().nullable(),
    history: z.array(z.object({ value: z.string(), setAt: z.string(), detail: z.record(z.string(), z.unknown()) })),
  })
  .meta({ id: 'StatusVariable' });

export const RoleSchema = z.enum(ROLES);

/** A reason a person gives for a decision (a hold, a disposal, a cancellation): kept in the audit trail. */
export const Reason = z.string().trim().min(3).max(1000);

/** Who did something, as the retention and disposal records name them. */
export const Person = z.object({ id: z.string(), name: z.string() });
