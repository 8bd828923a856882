import { z } from 'zod';
import { DOCUMENT_TYPES } from '../domain/document.js';
import type { OverviewService } from '../services/overview.service.js';
import type { ThumbnailService } from '../services/thumbnail.service.js';
import { NotFound } from '../errors.js';
import { seesRestricted } from '../domain/restriction.js';
import { Reply, route } from './route.js';
import { DocumentSchema, IdParams, IsoDate, SafeId } from './schemas.js';

const Type = z.enum(DOCUMENT_TYPES);
const Status = z.enum(['queued', 'processing', 'ready', 'needs_review', 'failed']);
const Class = z.enum(['static', 'dynamic']);

/** The overview's filter; the same keys are what a saved view stores. */
const Filter = z
  .object({
    type: Type.optional(),
    customerId: SafeId.optional(),
    class: Class.optional(),
    status: Status.optional(),
    from: IsoDate.optional(),
    to: IsoDate.optional(),
    q: z.string().trim().min(1).max(200).optional().describe('title, barcode or file name contains; or a document id'),
  })
  .strict();

const Correction = z
  .object({
    type: Type.optional(),
    customerId: SafeId.optional(),
    title: z.string().trim().min(1).max(300).optional(),
    class: Class.optional().describe('override static/dynamic by hand; the trace records it'),
  })
  .strict()
  .refine((c) => Object.keys(c).length > 0, 'name at least one of type, customerId, title, class');

const View = z.object({ id: z.string(), name: z.string(), filter: z.record(z.string(), z.string()), createdAt: z.string() });
const CsvIds = z
  .string()
  .max(8000)
  .optional()
  .transform((s) => [...new Set((s ?? '').split(',').map((x) => x.trim()).filter(Boolean))].slice(0, 200));

export function overviewRoutes(overview: OverviewService, thumbnails: ThumbnailService) {
  return [
    route({
      method: 'get',
      path: '/api/documents',
      access: ['crm', 'compliance', 'mailroom'],
      tag: 'overview',
      summary: 'The document overview: documents newest first with filters and cursor paging (audited per page)',
      query: Filter.extend({ limit: z.coerce.number().int().min(1).max(200).default(50), cursor: z.string().max(500).optional() }),
      response: {
        status: 200,
        schema: z.object({ documents: z.array(DocumentSchema.extend({ customerName: z.string().nullable().describe('the customer by name') })), nextCursor: z.string().nullable() }),
      },
      handler: async ({ query, principal }) => {
        const { limit, cursor, ...filter } = query;
        return overview.list(filter, limit, cursor, principal);
      },
    }),
    route({
      method: 'get',
      path: '/api/documents/:id/thumbnail',
      access: ['crm', 'compliance', 'mailroom'],
      tag: 'overview',
      summary: 'A small image of the first page (image/webp), made once and kept; 404 no_thumbnail for paper that was not scanned',
      params: IdParams,
      reads: { document: 'id' },
      response: { status: 200, contentType: 'image/webp' },
      handler: async ({ params }) => {
        await overview.readable(params.id);
        const t = await thumbnails.ensure(params.id, { forRequest: true });
        if (!t) throw new NotFound('thumbnail of document', params.id);
        return new Reply(200, await thumbnails.bytes(t), { 'Content-Type': t.mime, 'Cache-Control': 'private, max-age=86400', 'X-Content-Type-Options': 'nosniff' });
      },
    }),
    route({
      method: 'post',
      path: '/api/thumbnails/backfill',
      access: ['admin'],
      tag: 'overview',
      summary: 'Make the missing thumbnails of documents from before thumbnails existed, up to `limit` per call',
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      response: { status: 200, schema: z.object({ made: z.number(), failed: z.number(), remaining: z.number() }) },
      handler: async ({ query }) => thumbnails.backfill(query.limit),
    }),
    route({
      method: 'patch',
      path: '/api/documents/:id',
      access: ['crm'],
      tag: 'overview',
      summary: 'Correct type, title, customer or class afterwards; class and retention follow (audited as document.correct)',
      params: IdParams,
      reads: { document: 'id' },
      body: Correction,
      response: { status: 200, schema: DocumentSchema },
      handler: async ({ params, body, principal }) => overview.correct(params.id, body, principal),
    }),
    route({
      method: 'post',
      path: '/api/documents/bulk',
      access: ['crm'],
      tag: 'overview',
      summary: 'The same correction for many documents: {ids, set:{type?, customerId?, title?, class?}} → {updated, failed:[{id, error}]}',
      body: z.object({ ids: z.array(SafeId).min(1).max(500), set: Correction }).strict(),
      response: { status: 200, schema: z.object({ updated: z.number(), failed: z.array(z.object({ id: z.string(), error: z.object({ code: z.string(), message: z.string() }) })) }) },
      handler: async ({ body, principal }) => overview.bulk(body.ids, body.set, principal),
    }),
    route({
      method: 'get',
      path: '/api/views',
      access: 'any',
      tag: 'overview',
      summary: 'The saved views (named filters of the overview) of the signed-in user',
      response: { status: 200, schema: z.object({ views: z.array(View) }) },
      handler: async ({ principal }) => ({ views: await overview.views(principal) }),
    }),
    route({
      method: 'post',
      path: '/api/views',
      access: 'any',
      tag: 'overview',
      summary: 'Save the overview filter under a name ({name, filter}); the same name again replaces it',
      body: z.object({ name: z.string().trim().min(1).max(100), filter: Filter }).strict(),
      response: { status: 201, schema: View },
      handler: async ({ body, principal }) => new Reply(201, await overview.saveView(body.name, body.filter as Record<string, string>, principal)),
    }),
    route({
      method: 'delete',
      path: '/api/views/:id',
      access: 'any',
      tag: 'overview',
      summary: 'Delete one of your saved views (idempotent: 204 also when it was not there)',
      params: IdParams,
      response: { status: 204 },
      handler: async ({ params, principal }) => {
        await overview.deleteView(params.id, principal);
        return new Reply(204, '');
      },
    }),
    route({
      method: 'get',
      path: '/api/names',
      access: ['compliance', 'mailroom'],
      tag: 'overview',
      summary:
        'Names for ids, for the audit log and the processing queue: users, customers, document titles and file names, mailings, locations, coupon batches (their files and upload time), disposals (kind, status, when proposed), webhooks (description, else the origin posted to), legal holds (what they cover and why; compliance and admin only), e-mail messages (subject, sender, when received; a destroyed one says so) and coupon review items (their stack and pages, or the code of a held single scan; their stacks come with `batches`; one about a restricted customer only for compliance and admin); comma-separated ids, at most 200 of each, unknown ids left out',
      query: z.object({ users: CsvIds, customers: CsvIds, documents: CsvIds, mailings: CsvIds, locations: CsvIds, batches: CsvIds, disposals: CsvIds, webhooks: CsvIds, holds: CsvIds, messages: CsvIds, reviews: CsvIds }),
      response: {
        status: 200,
        schema: z.object({
          users: z.array(z.object({ id: z.string(), name: z.string() })),
          customers: z.array(z.object({ id: z.string(), name: z.string() })),
          documents: z.array(z.object({ id: z.string(), title: z.string(), type: z.string(), customer_id: z.string().nullable(), file_name: z.string().nullable() })),
          mailings: z.array(z.object({ id: z.string(), name: z.string() })),
          locations: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string() })),
          batches: z.array(z.object({ id: z.string(), createdAt: z.string(), files: z.array(z.string()) })),
          disposals: z.array(z.object({ id: z.string(), kind: z.string(), status: z.string(), proposedAt: z.string() })),
          webhooks: z.array(z.object({ id: z.string(), name: z.string() })),
          holds: z.array(
            z.object({
              id: z.string(),
              kind: z.string(),
              reason: z.string(),
              customerId: z.string().nullable(),
              query: z.object({ type: z.string().nullable(), from: z.string().nullable(), to: z.string().nullable(), text: z.string().nullable() }).nullable(),
            }),
          ),
          messages: z.array(z.object({ id: z.string(), subject: z.string().nullable(), sender: z.string().nullable(), receivedAt: z.string(), destroyed: z.boolean() })),
          reviews: z.array(z.object({ id: z.string(), batchId: z.string().nullable(), pages: z.array(z.number()), code: z.string().nullable(), createdAt: z.string() })),
        }),
      },
      handler: async ({ query, principal }) => overview.names(query, !seesRestricted(principal)),
    }),
  ];
}
