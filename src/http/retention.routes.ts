import { z } from 'zod';
import type { DisposalService } from '../services/disposal.service.js';
import type { HoldsService } from '../services/holds.service.js';
import type { RetentionService } from '../services/retention.service.js';
import { DocumentType } from './documents.routes.js';
import { disposalRoutes } from './disposals.routes.js';
import { Reply, route } from './route.js';
import { DocumentSchema, IdParams, IsoDate, Person, Reason, SafeId } from './schemas.js';
import type { RestrictionGuard } from '../services/restriction.guard.js';

const CustomerNumber = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a customer number');

const HoldSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['customer', 'document', 'documents', 'query']),
    reason: z.string().nullable(),
    scope: z.string(),
    customerId: z.string().nullable(),
    query: z.object({ type: z.string().nullable(), from: z.string().nullable(), to: z.string().nullable(), text: z.string().nullable() }).nullable(),
    placedBy: Person,
    placedAt: z.string(),
    releasedBy: Person.nullable(),
    releasedAt: z.string().nullable(),
    releaseReason: z.string().nullable(),
    documents: z.number(),
  })
  .meta({ id: 'LegalHold' });

const PlaceHold = z
  .object({
    reason: Reason,
    customerId: CustomerNumber.optional(),
    documentIds: z.array(SafeId).min(1).max(10_000).optional(),
    query: z
      .object({ customerId: CustomerNumber.optional(), type: DocumentType.optional(), from: IsoDate.optional(), to: IsoDate.optional(), text: z.string().trim().min(1).max(500).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((b) => [b.customerId, b.documentIds, b.query].filter((x) => x !== undefined).length === 1, 'give exactly one of customerId, documentIds or query');

const RecomputeRun = z.object({
  running: z.boolean(),
  startedAt: z.string(),
  startedBy: z.string(),
  finishedAt: z.string().nullable(),
  total: z.number(),
  checked: z.number(),
  changed: z.number(),
  error: z.string().nullable(),
});

export function retentionRoutes(deps: { retention: RetentionService; holds: HoldsService; disposals: DisposalService; restriction?: RestrictionGuard }) {
  const { retention, holds } = deps;
  return [
    // ------------------------------------------------------------------ retention
    route({
      method: 'get',
      path: '/api/retention/schedules',
      access: 'any',
      tag: 'retention',
      summary: 'The retention schedules per document type (legal basis, trigger, period, disposition), as data',
      response: { status: 200, schema: z.object({ triggers: z.record(z.string(), z.string()), schedules: z.record(z.string(), z.record(z.string(), z.string())) }) },
      handler: async () => retention.schedules(),
    }),
    route({
      method: 'get',
      path: '/api/retention/due',
      access: ['compliance'],
      tag: 'retention',
      summary: 'Documents whose retention (with review extensions) ends before a date; held documents are listed apart under `held`',
      query: z.object({ before: IsoDate, limit: z.coerce.number().int().min(1).max(50_000).default(5000) }),
      response: {
        status: 200,
        schema: z.object({
          before: z.string(),
          count: z.number(),
          documents: z.array(DocumentSchema),
          held: z.array(DocumentSchema),
          truncated: z.boolean(),
          details: z.record(z.string(), z.object({ effectiveEnd: z.string(), extendedUntil: z.string().nullable(), disposalId: z.string().nullable() })),
        }),
      },
      handler: async ({ query }) => retention.due(query.before, query.limit),
    }),
    route({
      method: 'post',
      path: '/api/retention/recompute',
      access: ['compliance'],
      tag: 'retention',
      summary: 'Recompute retention: for one customer now (200), or for every document in the background (202; progress at GET)',
      body: z.object({ customerId: CustomerNumber.optional() }).strict(),
      response: { status: 200, description: '200 with the changes for a customer; 202 with the run for a full recompute' },
      handler: async ({ body, principal }) => {
        if (body.customerId) return retention.recomputeCustomer(body.customerId, principal);
        return new Reply(202, retention.startFullRecompute(principal).run);
      },
    }),
    route({
      method: 'get',
      path: '/api/retention/recompute',
      access: ['compliance'],
      tag: 'retention',
      summary: 'Progress of the last full retention recompute',
      response: { status: 200, schema: z.object({ run: RecomputeRun.nullable() }) },
      handler: async () => ({ run: retention.status() }),
    }),

    // ------------------------------------------------------------------ legal holds
    route({
      method: 'post',
      path: '/api/holds',
      access: ['compliance'],
      tag: 'holds',
      summary: 'Place a legal hold on a customer, a set of documents, or a query (customer/type/dates hold future documents too; a text query is frozen)',
      body: PlaceHold,
      response: { status: 201, schema: HoldSchema.extend({ documentIds: z.array(z.string()) }) },
      handler: async ({ body, principal }) => new Reply(201, await holds.place(body as Parameters<HoldsService['place']>[0], principal)),
    }),
    route({
      method: 'get',
      path: '/api/holds',
      access: ['compliance'],
      tag: 'holds',
      summary: 'Legal holds, newest first; ?active=true|false, ?customerId=',
      query: z.object({ active: z.enum(['true', 'false']).optional(), customerId: CustomerNumber.optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }),
      response: { status: 200, schema: z.object({ holds: z.array(HoldSchema) }) },
      handler: async ({ query }) => holds.list({ active: query.active === undefined ? undefined : query.active === 'true', customerId: query.customerId, limit: query.limit }),
    }),
    route({
      method: 'get',
      path: '/api/holds/:id',
      access: ['compliance'],
      tag: 'holds',
      summary: 'A legal hold and the documents it covers now',
      params: IdParams,
      response: {
        status: 200,
        schema: HoldSchema.extend({ covered: z.array(z.object({ id: z.string(), customerId: z.string().nullable(), type: z.string(), barcode: z.string().nullable(), title: z.string() })) }),
      },
      handler: async ({ params }) => holds.get(params.id),
    }),
    route({
      method: 'post',
      path: '/api/holds/:id/release',
      access: ['compliance'],
      tag: 'holds',
      summary: 'Release a legal hold, with a reason',
      params: IdParams,
      body: z.object({ reason: Reason }).strict(),
      response: { status: 200, schema: HoldSchema },
      handler: async ({ params, body, principal }) => holds.release(params.id, body.reason, principal),
    }),

    // Disposals (disposals.routes.ts): after retention and holds, as before.
    ...disposalRoutes(deps),
  ];
}
