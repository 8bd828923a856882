import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { renderPickListPdf } from '../adapters/pdf/pick-list.pdf.js';
import { Invalid } from '../errors.js';
import type { DigitiseService } from '../services/digitise.service.js';
import type { AuditReport, InventoryService } from '../services/inventory.service.js';
import type { RequestsService } from '../services/requests.service.js';
import type { TrackingService } from '../services/tracking.service.js';
import { Reply, route } from './route.js';
import { DocumentSchema, IdParams, IsoDate, LocationRefSchema } from './schemas.js';
import { decodeFileName, multipartUpload, uploadedFiles } from './upload.js';
import type { RestrictionGuard } from '../services/restriction.guard.js';
import { seesRestricted } from '../domain/restriction.js';
import type { Principal } from '../domain/roles.js';

/** What a hand scanner types; parseBarcode copes with stray white space and lower case. */
export const ScannedCode = z.string().max(64).describe('A Dossierlink barcode as scanned, e.g. D0000000014');

const Party = z.object({ id: z.string(), name: z.string() });
const End = z.object({ kind: z.enum(['location', 'person']), id: z.string(), path: z.string() }).nullable();
const HistoryEntry = z
  .object({
    seq: z.number(),
    at: z.string(),
    kind: z.enum(['file', 'move', 'check-out', 'check-in', 'transfer', 'correction']),
    actor: Party,
    from: End,
    to: End,
    dueBackOn: z.string().nullable(),
    via: z.string().nullable().describe('set when the item moved because the box holding it moved'),
    requestId: z.string().nullable(),
    auditId: z.string().nullable(),
    note: z.string().nullable(),
  })
  .meta({ id: 'Movement' });
const ItemType = z.enum(['document', 'container', 'location']);

const ScanBody = z
  .object({
    barcode: ScannedCode,
    to: z.string().max(80).describe('a place code (L…/C…) or user:<id> to check out'),
    dueBackOn: IsoDate.optional().describe(`check-out only; default 14 days from today`),
    transfer: z.boolean().optional().describe('hand over paper that is checked out to someone else'),
    note: z.string().trim().max(500).optional(),
  })
  .strict();
const ScanResult = z
  .object({
    barcode: z.string(),
    type: ItemType,
    documentId: z.string().nullable(),
    containerId: z.string().nullable(),
    moved: z.boolean().describe('false when the item already was there (nothing written)'),
    kind: HistoryEntry.shape.kind.nullable(),
    location: LocationRefSchema.nullable(),
    movement: HistoryEntry.nullable(),
    carried: z.number().describe('documents and folders that moved along inside a box'),
    fulfilledRequests: z.array(z.string()),
  })
  .meta({ id: 'ScanResult' });

const RequestView = z
  .object({
    id: z.string(),
    documentId: z.string(),
    barcode: z.string().nullable(),
    title: z.string(),
    customerId: z.string().nullable(),
    requestedBy: Party,
    note: z.string().nullable(),
    neededBy: z.string().nullable(),
    status: z.enum(['open', 'fulfilled', 'cancelled']),
    createdAt: z.string(),
    closedAt: z.string().nullable(),
    closedBy: z.string().nullable(),
    location: LocationRefSchema.nullable(),
    restricted: z.boolean().optional().describe('a restricted customer\'s paper (GDPR art. 18): title, customer and note hidden from roles other than compliance and admin'),
  })
  .meta({ id: 'PaperRequest' });
const PickListSchema = z.object({
  generatedAt: z.string(),
  count: z.number(),
  items: z.array(
    z.object({
      requestId: z.string(),
      documentId: z.string(),
      barcode: z.string(),
      title: z.string(),
      type: z.string(),
      customerId: z.string().nullable(),
      customerName: z.string().nullable(),
      requestedBy: Party,
      requestedAt: z.string(),
      neededBy: z.string().nullable(),
      note: z.string().nullable(),
      location: LocationRefSchema.nullable(),
      available: z.boolean(),
    }),
  ),
});

const ReportItem = z.object({
  barcode: z.string(),
  type: z.enum(['document', 'container', 'unknown']),
  documentId: z.string().nullable(),
  containerId: z.string().nullable(),
  title: z.string().nullable(),
  restricted: z.boolean().optional().describe('a restricted customer\'s paper (GDPR art. 18): title hidden from roles other than compliance and admin'),
  recordedAt: z.string().nullable(),
  foundIn: z.string().nullable(),
  reason: z.string().optional(),
});
const AuditView = z
  .object({
    id: z.string(),
    status: z.enum(['open', 'finished']),
    location: z.object({ barcode: z.string(), name: z.string(), path: z.string() }),
    startedAt: z.string(),
    startedBy: z.string(),
    finishedAt: z.string().nullable(),
    finishedBy: z.string().nullable(),
    corrected: z.boolean(),
    scanned: z.number(),
    report: z
      .object({
        counts: z.record(z.string(), z.number()),
        present: z.array(z.string()),
        missing: z.array(ReportItem),
        misplaced: z.array(ReportItem),
        unexpected: z.array(ReportItem),
        unknown: z.array(ReportItem),
        corrections: z.array(z.object({ barcode: z.string(), to: z.string() })),
        notCorrected: z.array(z.object({ barcode: z.string(), reason: z.string() })),
      })
      .nullable(),
  })
  .meta({ id: 'InventoryAudit' });

const DigitiseFields = z.object({ reason: z.string().trim().max(500).optional() }).strict();

export function trackingRoutes(deps: {
  tracking: TrackingService;
  requests: RequestsService;
  inventory: InventoryService;
  digitise: DigitiseService;
  uploadTmpDir: string;
  maxUploadBytes: number;
  /** GDPR art. 18: who may look up a restricted customer's paper (the mailroom still stores it). */
  restriction?: RestrictionGuard;
}) {
  const { tracking, requests, inventory } = deps;
  // An audit report names missing and misplaced paper: a restricted customer's without title (GDPR art. 18).
  const redactAudit = async <A extends { report: AuditReport | null }>(a: A, principal: Principal): Promise<A> => {
    const r = deps.restriction;
    if (!a.report || !r) return a;
    const report = a.report;
    return {
      ...a,
      report: {
        ...report,
        missing: await r.redactPaper(principal, report.missing, null),
        misplaced: await r.redactPaper(principal, report.misplaced, null),
        unexpected: await r.redactPaper(principal, report.unexpected, null),
        unknown: await r.redactPaper(principal, report.unknown, null),
      },
    };
  };
  // A request shown back (cancelled) names its paper: a restricted customer's without title or customer.
  const redactRequest = async <R extends { documentId: string; title: string; customerId: string | null }>(req: R, principal: Principal): Promise<R & { restricted?: boolean }> =>
    (await deps.restriction?.hiddenDocuments(principal, [req.documentId]))?.has(req.documentId) ? { ...req, title: '', customerId: null, note: null, restricted: true } : req;
  const upload = multipartUpload(deps.uploadTmpDir, deps.maxUploadBytes);
  return [
    route({
      method: 'post',
      path: '/api/tracking/scan',
      access: ['mailroom'],
      tag: 'tracking',
      summary: 'Move paper or a box by scanning: to a place (file, move, check in) or to user:<id> (check out, transfer). A box carries what is inside it',
      body: ScanBody,
      response: { status: 200, schema: ScanResult },
      handler: async ({ body, principal }) => tracking.scan(body, principal),
    }),
    route({
      method: 'get',
      path: '/api/tracking/items/:barcode',
      access: 'any',
      tag: 'tracking',
      summary: 'Where a document or box is now and every movement it made (who, when, from, to, kind)',
      params: z.object({ barcode: ScannedCode }),
      response: {
        status: 200,
        schema: z.object({
          barcode: z.string(),
          type: ItemType,
          documentId: z.string().nullable(),
          containerId: z.string().nullable(),
          title: z.string(),
          customerId: z.string().nullable(),
          location: LocationRefSchema.nullable(),
          history: z.array(HistoryEntry),
          restricted: z.boolean().optional().describe('a restricted customer\'s paper (GDPR art. 18): title, customer and movement notes hidden from the mailroom; other roles but compliance and admin get 403 restricted'),
        }),
      },
      handler: async ({ params, principal }) => {
        const item = await tracking.item(params.barcode);
        await deps.restriction?.assertCustomer(principal, item.customerId, { storage: true });
        // The mailroom that stores restricted paper still finds where it is and moves it, but as on
        // its other paper lists without title, customer or movement notes (GDPR art. 18).
        if (await deps.restriction?.hidesCustomer(principal, item.customerId)) {
          return { ...item, title: '', customerId: null, history: item.history.map((m) => ({ ...m, note: null })), restricted: true };
        }
        return item;
      },
    }),
    route({
      method: 'get',
      path: '/api/tracking/overdue',
      access: ['mailroom', 'compliance'],
      tag: 'tracking',
      summary: 'Check-outs past their due date (documents and boxes), oldest due date first',
      query: z.object({ asOf: IsoDate.optional().describe('default today') }),
      response: {
        status: 200,
        schema: z.object({
          asOf: z.string(),
          items: z.array(
            z.object({
              barcode: z.string(),
              type: z.enum(['document', 'container']),
              documentId: z.string().nullable(),
              containerId: z.string().nullable(),
              title: z.string(),
              customerId: z.string().nullable(),
              holder: Party,
              dueBackOn: z.string(),
              daysOverdue: z.number(),
              restricted: z.boolean().optional().describe('a restricted customer\'s paper (GDPR art. 18): title and customer hidden from roles other than compliance and admin'),
              checkedOutAt: z.string().nullable(),
            }),
          ),
        }),
      },
      handler: async ({ query, principal }) => tracking.overdue(query.asOf, !seesRestricted(principal)),
    }),
    route({
      method: 'post',
      path: '/api/tracking/audits',
      access: ['mailroom'],
      tag: 'inventory',
      summary: 'Start an inventory audit of a shelf, box or any place: everything under it is expected',
      body: z.object({ location: ScannedCode }).strict(),
      response: { status: 201, schema: AuditView },
      handler: async ({ body, principal }) => new Reply(201, await inventory.start(body.location, principal)),
    }),
    route({
      method: 'get',
      path: '/api/tracking/audits/:id',
      access: ['mailroom', 'compliance'],
      tag: 'inventory',
      summary: 'An inventory audit: progress, and its report once finished',
      params: IdParams,
      response: { status: 200, schema: AuditView },
      handler: async ({ params, principal }) => redactAudit(await inventory.get(params.id), principal),
    }),
    route({
      method: 'post',
      path: '/api/tracking/audits/:id/scans',
      access: ['mailroom'],
      tag: 'inventory',
      summary: 'Codes scanned in order: a place or box code inside the audited place says where the next items are; other codes are items found there',
      params: IdParams,
      body: z.object({ barcodes: z.array(z.string().max(64)).min(1).max(2000), in: ScannedCode.optional() }).strict(),
      response: {
        status: 200,
        schema: z.object({
          auditId: z.string(),
          results: z.array(z.object({ barcode: z.string(), status: z.enum(['recorded', 'place', 'rejected']), foundIn: z.string().optional(), place: z.string().optional(), code: z.string().optional(), message: z.string().optional() })),
          scanned: z.number(),
          at: z.string().nullable(),
        }),
      },
      handler: async ({ params, body, principal }) => inventory.scan(params.id, body, principal),
    }),
    route({
      method: 'post',
      path: '/api/tracking/audits/:id/finish',
      access: ['mailroom'],
      tag: 'inventory',
      summary: 'Finish: report missing, misplaced, unexpected and unknown items; with correct=true move the records to where items were found',
      params: IdParams,
      body: z.object({ correct: z.boolean().default(false) }).strict(),
      response: { status: 200, schema: AuditView },
      handler: async ({ params, body, principal }) => redactAudit(await inventory.finish(params.id, body, principal), principal),
    }),
    route({
      method: 'post',
      path: '/api/documents/:id/requests',
      access: ['crm'],
      tag: 'requests',
      summary: 'Ask the mailroom for a paper document; asking again returns the open request (200)',
      params: IdParams,
      body: z.object({ note: z.string().trim().max(500).optional(), neededBy: IsoDate.optional() }).strict(),
      response: { status: 201, schema: RequestView, description: '201 when created, 200 when the same user already had it open' },
      reads: { document: 'id' },
      handler: async ({ params, body, principal }) => {
        const r = await requests.request(params.id, body, principal);
        return new Reply(r.created ? 201 : 200, r.request);
      },
    }),
    route({
      method: 'get',
      path: '/api/requests',
      access: ['crm', 'mailroom'],
      tag: 'requests',
      summary: 'Paper requests, newest first: a CRM user sees their own, the mailroom all',
      query: z.object({ status: z.enum(['open', 'fulfilled', 'cancelled']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      response: { status: 200, schema: z.object({ requests: z.array(RequestView) }) },
      handler: async ({ query, principal }) => requests.list(query, principal),
    }),
    route({
      method: 'post',
      path: '/api/requests/:id/cancel',
      access: ['crm', 'mailroom'],
      tag: 'requests',
      summary: 'Cancel an open request (the requester or the mailroom)',
      params: IdParams,
      response: { status: 200, schema: RequestView },
      handler: async ({ params, principal }) => redactRequest(await requests.cancel(params.id, principal), principal),
    }),
    route({
      method: 'get',
      path: '/api/requests/pick-list',
      access: ['mailroom'],
      tag: 'requests',
      summary: 'Open requests in walking order through the archive (by location path); then paper that is out, then unfiled',
      response: { status: 200, schema: PickListSchema },
      handler: async () => requests.pickList(),
    }),
    route({
      method: 'get',
      path: '/api/requests/pick-list.pdf',
      access: ['mailroom'],
      tag: 'requests',
      summary: 'The pick list as a printable A4 PDF with a tick box per document',
      response: { status: 200, contentType: 'application/pdf' },
      handler: async () => {
        const list = await requests.pickList();
        const pdf = await renderPickListPdf(
          list.items.map((i) => ({
            barcode: i.barcode,
            title: i.title,
            customer: [i.customerName, i.customerId].filter(Boolean).join(' · '),
            requestedBy: i.requestedBy.name,
            requestedAt: i.requestedAt,
            neededBy: i.neededBy,
            note: i.note,
            where: i.location ? `${i.location.path}${i.location.dueBackOn ? `, due back ${i.location.dueBackOn}` : ''}` : 'not filed',
            available: i.available,
          })),
          { generatedAt: list.generatedAt },
        );
        return new Reply(200, Buffer.from(pdf), { 'Content-Type': 'application/pdf', 'Content-Disposition': `inline; filename="pick-list-${list.generatedAt.slice(0, 10)}.pdf"` });
      },
    }),
    route({
      method: 'post',
      path: '/api/documents/:id/digitise',
      access: ['mailroom'],
      tag: 'paper',
      summary: 'Digitise static paper on demand: the scan (`file`) joins the ingest pipeline; the document keeps its barcode and history and becomes dynamic',
      params: IdParams,
      multipart: { files: ['file'], fields: DigitiseFields },
      response: { status: 202, schema: DocumentSchema },
      reads: { document: 'id' },
      handler: async ({ params, req, res, principal }) => {
        await new Promise<void>((resolve, reject) => upload(req as Request, res as Response, ((e?: unknown) => (e ? reject(e) : resolve())) as NextFunction));
        if (!req.is('multipart/form-data')) throw new Invalid('Send the scan as multipart/form-data with a `file` field', undefined, 'not_multipart');
        const files = uploadedFiles(req);
        if (files.length !== 1) throw new Invalid('Send exactly one scan in the field `file`', { files: files.length }, 'no_file');
        const fields = DigitiseFields.safeParse(req.body ?? {});
        if (!fields.success) throw new Invalid(`Invalid form fields: ${fields.error.issues.map((i) => `${i.path.join('.') || 'form'} ${i.message}`).join('; ')}`);
        const f = files[0]!;
        const doc = await deps.digitise.digitise(params.id, { path: f.path, originalName: decodeFileName(f.originalname), size: f.size }, fields.data.reason, principal);
        return new Reply(202, doc);
      },
    }),
  ];
}
