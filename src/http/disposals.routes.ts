import { z } from 'zod';
import { renderPickListPdf } from '../adapters/pdf/pick-list.pdf.js';
import { OUTPUT_LANGS } from '../domain/output-language.js';
import type { Principal } from '../domain/roles.js';
import type { DisposalService } from '../services/disposal.service.js';
import type { RestrictionGuard } from '../services/restriction.guard.js';
import { Reply, route } from './route.js';
import { IdParams, IsoDate, LocationRefSchema, Person, Reason, SafeId } from './schemas.js';

/** Disposals (retention ended, four eyes): propose, approve, execute, pick lists and certificates of destruction. */

const DisposalItemSchema = z.object({
  documentId: z.string(),
  barcode: z.string().nullable(),
  type: z.string(),
  customerId: z.string().nullable(),
  docDate: z.string().nullable(),
  medium: z.enum(['digital', 'paper']),
  disposition: z.enum(['destroy', 'review', 'transfer']),
  decision: z.enum(['destroy', 'extend']).nullable(),
  extendUntil: z.string().nullable(),
  decisionNote: z.string().nullable(),
  decidedBy: Person.nullable(),
  status: z.enum(['pending', 'destroyed', 'transferred', 'extended', 'skipped']),
  method: z.string().nullable(),
  objectsRemoved: z.number().nullable(),
  doneAt: z.string().nullable(),
  doneBy: Person.nullable(),
  note: z.string().nullable(),
  retention: z.object({ legalBasis: z.string(), period: z.string(), endsOn: z.string().nullable() }),
  locationPath: z.string().nullable(),
  title: z.string().nullable().optional().describe('the live document\'s title (null once destroyed)'),
  location: LocationRefSchema.nullable().optional().describe('where the paper is now: a place, or checked out to a person with dueBackOn'),
  restricted: z.boolean().optional().describe('a restricted customer\'s item (GDPR art. 18): title, customer and notes hidden from roles other than compliance and admin'),
});

const DisposalSummary = z.object({
  id: z.string(),
  kind: z.enum(['retention', 'erasure']),
  status: z.enum(['proposed', 'approved', 'executing', 'completed', 'cancelled']),
  reason: z.string(),
  dueBefore: z.string().nullable(),
  customerId: z.string().nullable(),
  proposedBy: Person,
  proposedAt: z.string(),
  approvedBy: Person.nullable(),
  approvedAt: z.string().nullable(),
  executedBy: Person.nullable(),
  executedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  cancelledBy: Person.nullable(),
  cancelledAt: z.string().nullable(),
  cancelReason: z.string().nullable(),
  progress: z.record(z.string(), z.unknown()),
  counts: z.object({ total: z.number(), pending: z.number(), destroyed: z.number(), transferred: z.number(), extended: z.number(), skipped: z.number(), paperPending: z.number(), reviewUndecided: z.number() }),
});
export const DisposalSchema = DisposalSummary.extend({ items: z.array(DisposalItemSchema) }).meta({ id: 'Disposal' });

const PickListSchema = z.object({
  disposalId: z.string(),
  status: z.string(),
  generatedAt: z.string(),
  count: z.number(),
  items: z.array(
    z.object({
      documentId: z.string(),
      barcode: z.string(),
      title: z.string(),
      type: z.string(),
      customerId: z.string().nullable(),
      customerName: z.string().nullable(),
      restricted: z.boolean().optional().describe('a restricted customer\'s paper (GDPR art. 18): title and customer hidden from roles other than compliance and admin'),
      action: z.enum(['shred', 'transfer']),
      endsOn: z.string().nullable(),
      location: z.unknown(),
      available: z.boolean(),
    }),
  ),
});

export function disposalRoutes(deps: { disposals: DisposalService; restriction?: RestrictionGuard }) {
  const { disposals } = deps;
  // The mailroom fetches a restricted customer's paper for disposal too, but sees no title or customer (GDPR art. 18).
  const pickList = async (id: string, principal: Principal) => {
    const list = await disposals.pickList(id);
    return deps.restriction ? { ...list, items: await deps.restriction.redactPaper(principal, list.items, '') } : list;
  };
  // The mailroom confirming a transfer gets the disposal back: a restricted customer's items without
  // title, customer or notes, and an erasure disposal of a restricted customer without its customer
  // and reason (GDPR art. 18). Compliance and admin see everything.
  const redactDisposal = async <D extends { customerId: string | null; reason: string; items: { documentId: string; title?: string | null; customerId: string | null; decisionNote: string | null; note: string | null }[] }>(
    d: D,
    principal: Principal,
  ): Promise<D> => {
    const r = deps.restriction;
    if (!r) return d;
    const hidden = await r.hiddenDocuments(principal, d.items.map((i) => i.documentId));
    const hideCustomer = await r.hidesCustomer(principal, d.customerId);
    if (hidden.size === 0 && !hideCustomer) return d;
    return {
      ...d,
      ...(hideCustomer ? { customerId: null, reason: '' } : {}),
      items: d.items.map((i) => (hidden.has(i.documentId) ? { ...i, title: null, customerId: null, decisionNote: null, note: null, restricted: true } : i)),
    };
  };
  return [
    // ------------------------------------------------------------------ disposals
    route({
      method: 'post',
      path: '/api/disposals',
      access: ['compliance'],
      tag: 'disposals',
      summary: 'Propose a disposal: documentIds, or dueBefore (everything due before that date, held and already proposed documents excluded)',
      body: z
        .object({ reason: Reason, documentIds: z.array(SafeId).min(1).max(50_000).optional(), dueBefore: IsoDate.optional() })
        .strict()
        .refine((b) => (b.documentIds === undefined) !== (b.dueBefore === undefined), 'give either documentIds or dueBefore'),
      response: { status: 201, schema: DisposalSchema },
      handler: async ({ body, principal }) => new Reply(201, await disposals.propose(body, principal)),
    }),
    route({
      method: 'get',
      path: '/api/disposals',
      access: ['compliance'],
      tag: 'disposals',
      summary: 'Disposals, newest first (without their items)',
      query: z.object({ status: z.enum(['proposed', 'approved', 'executing', 'completed', 'cancelled']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      response: { status: 200, schema: z.object({ disposals: z.array(DisposalSummary) }) },
      handler: async ({ query }) => disposals.list(query),
    }),
    route({
      method: 'get',
      path: '/api/disposals/:id',
      access: ['compliance'],
      tag: 'disposals',
      summary: 'A disposal with its items, their status and progress',
      params: IdParams,
      response: { status: 200, schema: DisposalSchema },
      handler: async ({ params }) => disposals.get(params.id),
    }),
    route({
      method: 'post',
      path: '/api/disposals/:id/review',
      access: ['compliance'],
      tag: 'disposals',
      summary: 'Decide a review item before approval: destroy it, or keep it until a date (extend)',
      params: IdParams,
      body: z.object({ documentId: SafeId, decision: z.enum(['destroy', 'extend']), until: IsoDate.optional(), note: Reason }).strict(),
      response: { status: 200, schema: DisposalSchema },
      handler: async ({ params, body, principal }) => disposals.review(params.id, body, principal),
    }),
    route({
      method: 'post',
      path: '/api/disposals/:id/approve',
      access: ['compliance'],
      tag: 'disposals',
      summary: 'Approve a proposed disposal; four eyes: the proposer cannot (403 four_eyes)',
      params: IdParams,
      body: z.object({ note: z.string().trim().max(1000).optional() }).strict(),
      response: { status: 200, schema: DisposalSchema },
      handler: async ({ params, body, principal }) => disposals.approve(params.id, body.note, principal),
    }),
    route({
      method: 'post',
      path: '/api/disposals/:id/cancel',
      access: ['compliance'],
      tag: 'disposals',
      summary: 'Cancel a proposed or approved disposal; an executing one is closed, its pending items recorded as not done',
      params: IdParams,
      body: z.object({ reason: Reason }).strict(),
      response: { status: 200, schema: DisposalSchema },
      handler: async ({ params, body, principal }) => disposals.cancel(params.id, body.reason, principal),
    }),
    route({
      method: 'post',
      path: '/api/disposals/:id/execute',
      access: ['compliance'],
      tag: 'disposals',
      summary: 'Execute an approved disposal: digital copies go now, paper goes on the pick list; run again for items whose retention had not ended',
      params: IdParams,
      response: {
        status: 200,
        schema: z.object({
          summary: z.object({
            destroyed: z.number(),
            extended: z.number(),
            skipped: z.number(),
            waiting: z.number(),
            awaitingShredding: z.number(),
            awaitingTransfer: z.number(),
            objectsRemoved: z.number(),
            couponReviewsRemoved: z.number().describe("an erasure's first run: the customer's coupon review items removed (their objects are in objectsRemoved)"),
            couponPagesErased: z.number().describe("an erasure's first run: the customer's coupon pages whose readings (code, answer, ticks) were blanked"),
            couponBatchFilesRedacted: z
              .number()
              .describe('an erasure: stored scans of returned stacks whose erased pages were replaced by placeholder pages (the uploads replaced are in objectsRemoved once nothing else keeps them)'),
            couponBatchFilesNotRedacted: z
              .number()
              .describe('an erasure: stored scans that still hold erased pages because they could not be rewritten (logged); executing the disposal again tries again'),
          }),
          disposal: DisposalSchema,
        }),
      },
      handler: async ({ params, principal }) => disposals.execute(params.id, principal),
    }),
    route({
      method: 'get',
      path: '/api/disposals/:id/pick-list',
      access: ['mailroom', 'compliance'],
      tag: 'disposals',
      summary: 'Paper to shred (or hand over) in walking order through the archive',
      params: IdParams,
      response: { status: 200, schema: PickListSchema },
      handler: async ({ params, principal }) => pickList(params.id, principal),
    }),
    route({
      method: 'get',
      path: '/api/disposals/:id/pick-list.pdf',
      access: ['mailroom', 'compliance'],
      tag: 'disposals',
      summary: 'The disposal pick list as a printable A4 PDF with a tick box per document',
      params: IdParams,
      response: { status: 200, contentType: 'application/pdf' },
      handler: async ({ params, principal }) => {
        const list = await pickList(params.id, principal);
        const pdf = await renderPickListPdf(
          list.items.map((i) => ({
            barcode: i.barcode,
            title: i.title,
            customer: [i.customerName, i.customerId].filter(Boolean).join(' · '),
            // The request pick list's columns, reused: what to do, and when retention ended.
            requestedBy: i.action === 'shred' ? 'Shred, then scan the barcode' : 'Hand over to the archive service',
            requestedAt: i.endsOn ?? '',
            neededBy: null,
            note: null,
            where: i.location ? `${i.location.path}${i.location.dueBackOn ? `, due back ${i.location.dueBackOn}` : ''}` : 'not filed',
            available: i.available,
          })),
          { generatedAt: list.generatedAt, title: `Disposal pick list ${list.disposalId}` },
        );
        return new Reply(200, Buffer.from(pdf), { 'Content-Type': 'application/pdf', 'Content-Disposition': `inline; filename="disposal-pick-list-${list.disposalId}.pdf"` });
      },
    }),
    route({
      method: 'post',
      path: '/api/disposals/:id/shred',
      access: ['mailroom', 'compliance'],
      tag: 'disposals',
      summary: "Confirm a paper item shredded by scanning its barcode (idempotent); a code not on the list is 409 not_in_disposal, an unknown one 404",
      params: IdParams,
      body: z.object({ barcode: z.string().trim().min(1).max(64) }).strict(),
      response: {
        status: 200,
        schema: z.object({ disposalId: z.string(), barcode: z.string(), documentId: z.string(), status: z.string(), already: z.boolean(), paperRemaining: z.number(), completed: z.boolean() }),
      },
      handler: async ({ params, body, principal }) => disposals.shred(params.id, body.barcode, principal),
    }),
    route({
      method: 'post',
      path: '/api/disposals/:id/transfer',
      access: ['mailroom', 'compliance'],
      tag: 'disposals',
      summary: 'Confirm a transfer item handed over (e.g. to an archive service) with the receipt; the local copies then go',
      params: IdParams,
      body: z.object({ documentId: SafeId, recipient: z.string().trim().min(2).max(300), reference: z.string().trim().min(1).max(300) }).strict(),
      response: { status: 200, schema: DisposalSchema },
      handler: async ({ params, body, principal }) => redactDisposal(await disposals.transfer(params.id, body, principal), principal),
    }),
    route({
      method: 'get',
      path: '/api/disposals/:id/certificate.pdf',
      access: ['compliance'],
      tag: 'disposals',
      summary: 'The certificate of destruction (interim while items are pending); Dutch unless ?lang=en',
      params: IdParams,
      query: z.object({ lang: z.enum(OUTPUT_LANGS).default('nl') }),
      response: { status: 200, contentType: 'application/pdf' },
      handler: async ({ params, query, principal }) => {
        const { pdf, final } = await disposals.certificate(params.id, principal, query.lang);
        return new Reply(200, Buffer.from(pdf), {
          'Content-Type': 'application/pdf',
          'Content-Disposition': `inline; filename="certificate-of-destruction-${params.id}${final ? '' : '-interim'}.pdf"`,
        });
      },
    }),
  ];
}
