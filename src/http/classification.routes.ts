import { z } from 'zod';
import { SCOPE_IDS } from '../domain/classification.js';
import type { ClassificationService } from '../services/classification.service.js';
import type { ReviewService } from '../services/review.service.js';
import type { ScopesService } from '../services/scopes.service.js';
import { DocumentType } from './documents.routes.js';
import { route } from './route.js';
import { DocumentSchema, IdParams, IsoDate, KeyPointsSchema } from './schemas.js';

const ScopeId = z.enum(SCOPE_IDS as [string, ...string[]]);
const Report = z.object({
  scopes: z.array(z.string()),
  dryRun: z.boolean(),
  checked: z.number(),
  changed: z.number(),
  toStatic: z.number(),
  toDynamic: z.number(),
  byType: z.record(z.string(), z.object({ toStatic: z.number(), toDynamic: z.number() })),
  examples: z.array(z.object({ id: z.string(), type: z.string(), title: z.string(), from: z.string(), to: z.string(), why: z.string() })),
  summary: z.string(),
});

export function classificationRoutes(deps: { scopes: ScopesService; classification: ClassificationService; review: ReviewService }) {
  return [
    route({
      method: 'get',
      path: '/api/scopes',
      access: 'any',
      tag: 'classification',
      summary: 'The CRM scopes: available ones and the active ones (ids sales, care, loyalty)',
      response: { status: 200, schema: z.object({ available: z.array(z.object({ id: z.string(), name: z.string() })), active: z.array(z.string()) }) },
      handler: async () => ({ available: deps.scopes.available(), active: await deps.scopes.active() }),
    }),
    route({
      method: 'put',
      path: '/api/scopes/active',
      access: ['admin'],
      tag: 'classification',
      summary: 'Change the active scopes and reclassify every document; with ?dryRun=true only report what would change',
      query: z.object({ dryRun: z.enum(['true', 'false']).default('false') }),
      body: z.object({ scopes: z.array(ScopeId).min(1) }).strict(),
      response: { status: 200, schema: Report },
      handler: async ({ body, query, principal }) => deps.classification.changeScopes(body.scopes, query.dryRun === 'true', principal),
    }),
    route({
      method: 'get',
      path: '/api/review',
      access: ['mailroom', 'crm'],
      tag: 'classification',
      summary: 'Documents waiting for a person: unsure type or customer, poor scans, near duplicates, with the reasons',
      query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), offset: z.coerce.number().int().min(0).default(0) }),
      response: {
        status: 200,
        schema: z.object({ total: z.number(), documents: z.array(
            DocumentSchema.extend({
              reasons: z.array(z.string()),
              problems: z.array(z.object({ code: z.string() }).passthrough()).describe('the reasons as codes with parameters, for translation'),
              suggestedType: z.string().nullable().describe('the type detection guessed but was not sure of'),
              nearDuplicateOf: z.string().nullable(),
            }),
          ),
        }),
      },
      handler: async ({ query, principal }) => deps.review.queue(query.limit, query.offset, principal),
    }),
    route({
      method: 'post',
      path: '/api/documents/:id/review',
      access: ['mailroom'],
      tag: 'classification',
      summary: 'Confirm or correct a document in review (type, customer, date, key points), or discard a flagged rescan; corrections teach detection',
      params: IdParams,
      body: z
        .object({
          type: DocumentType.optional(),
          customerId: z.string().min(1).max(64).optional(),
          docDate: IsoDate.nullable().optional(),
          title: z.string().trim().min(1).max(300).optional(),
          fields: KeyPointsSchema.optional(),
          duplicate: z.enum(['keep', 'discard']).optional(),
        })
        .strict(),
      response: { status: 200, schema: DocumentSchema.or(z.object({ discarded: z.literal(true), duplicateOf: z.string() })) },
      reads: { document: 'id' },
      handler: async ({ params, body, principal }) => deps.review.resolve(params.id, body, principal),
    }),
  ];
}
