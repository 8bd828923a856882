import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { DOCUMENT_TYPES } from '../domain/document.js';
import { Invalid } from '../errors.js';
import type { CouponsService } from '../services/coupons.service.js';
import { seesRestricted } from '../domain/restriction.js';
import { MAX_LETTERS, MAX_LETTERS_PER_PDF, DEFAULT_PART_SIZE, type MailingsService } from '../services/mailings.service.js';
import { contentDisposition } from './documents.routes.js';
import { Reply, route } from './route.js';
import { IdParams, IsoDate } from './schemas.js';
import { decodeFileName, multipartUpload, uploadedFiles } from './upload.js';

const CustomerNumber = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a customer number');
const StatusSpec = z.string().min(1).max(100).regex(/^[a-z0-9][a-z0-9-]*(=.{1,60})?$/, 'a status variable name, optionally name=value');
const LetterCode = z.string().min(1).max(64);
const AnswerId = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'an answer id from the letter template, e.g. yes or no');

const CreateMailing = z
  .object({
    name: z.string().trim().min(1).max(200),
    template: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/).optional().describe('templates/letters/<id>.json; default `default`'),
    customerIds: z.array(CustomerNumber).max(MAX_LETTERS).optional(),
    filter: z
      .object({
        city: z.string().trim().min(1).max(200).optional(),
        postcodePrefix: z.string().trim().min(1).max(10).optional(),
        hasStatus: StatusSpec.optional(),
        lacksStatus: StatusSpec.optional(),
      })
      .strict()
      .optional()
      .describe('Instead of customerIds: every customer matching all given criteria; customers who may not be mailed are left out and listed'),
  })
  .strict();

const Mailing = z.object({
  id: z.string(),
  name: z.string(),
  template: z.string(),
  letterCount: z.number(),
  selection: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  sentAt: z.string().nullable(),
  replies: z.object({ total: z.number(), byAnswer: z.record(z.string(), z.number()) }),
  withheld: z.number().describe('letters withheld when the mailing was marked as sent: their addressee was restricted (GDPR art. 18), so they were not sent and got no `letter-sent`'),
});
const Letter = z.object({ seq: z.number(), customerId: z.string(), barcode: z.string() });

const ReviewItem = z.object({
  id: z.string(),
  batchId: z.string().nullable().describe('null for a coupon held from a single scan'),
  pages: z.array(z.number()),
  reason: z.enum(['unreadable', 'unknown', 'duplicate', 'invalid', 'multiple', 'restricted']).describe('`restricted`: held because the customer\'s processing is restricted (GDPR art. 18); only compliance and admin see it'),
  code: z.string().nullable(),
  answer: z.string().nullable(),
  hintCustomerId: z.string().nullable(),
  status: z.enum(['open', 'resolved', 'discarded']),
  resolution: z.record(z.string(), z.unknown()).nullable(),
  resolvedBy: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  createdAt: z.string(),
});

const Resolve = z.discriminatedUnion('action', [
  z.object({ action: z.literal('code'), barcode: LetterCode, answer: AnswerId.optional() }).strict(),
  z.object({ action: z.literal('customer'), customerId: CustomerNumber, mailingId: z.string().max(64).optional(), answer: AnswerId.optional() }).strict(),
  z.object({ action: z.literal('discard'), note: z.string().max(500).optional() }).strict(),
]);

const Batch = z.object({
  id: z.string(),
  status: z.enum(['queued', 'processing', 'done', 'failed']),
  pageCount: z.number(),
  progress: z.object({ done: z.number(), total: z.number(), note: z.string().optional() }).nullable(),
  summary: z.record(z.string(), z.number()),
  pages: z.array(
    z
      .object({
        pageNo: z.number(),
        kind: z.string(),
        code: z.string().nullable(),
        answer: z.string().nullable(),
        outcome: z.string().nullable(),
        erased: z.boolean().optional().describe("true when an erasure (GDPR art. 17) blanked the page's readings: code and answer are null"),
      })
      .passthrough(),
  ),
  files: z
    .array(
      z
        .object({
          fileNo: z.number(),
          name: z.string().nullable(),
          mime: z.string(),
          pages: z.number(),
          redacted: z.boolean().describe("true once an erasure replaced pages of this file by placeholder pages in the file as kept (the upload's bytes are gone; the same upload is still refused as a duplicate)"),
        })
        .passthrough(),
    )
    .optional(),
  reviews: z.array(z.object({ id: z.string(), pages: z.array(z.number()), reason: z.string(), status: z.string() })),
}).passthrough();

const slug = (s: string) => s.normalize('NFD').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'mailing';

export function mailingsRoutes(deps: { mailings: MailingsService; coupons: CouponsService; uploadTmpDir: string; maxUploadBytes: number }) {
  const { mailings, coupons } = deps;
  const upload = multipartUpload(deps.uploadTmpDir, deps.maxUploadBytes);
  return [
    route({
      method: 'post',
      path: '/api/mailings',
      access: ['crm'],
      tag: 'mailings',
      summary: 'Create a numbered mailing: one letter with its own barcode per selected customer (by customerIds or filter)',
      body: CreateMailing,
      response: { status: 201, schema: Mailing.extend({ letters: z.array(Letter), excluded: z.array(z.object({ customerId: z.string(), reason: z.string() })) }) },
      handler: async ({ body, principal }) => new Reply(201, await mailings.create(body, principal)),
    }),
    route({
      method: 'get',
      path: '/api/mailings',
      access: ['crm', 'compliance', 'mailroom'],
      tag: 'mailings',
      summary: 'Mailings, newest first, with their reply counts',
      query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), offset: z.coerce.number().int().min(0).default(0) }),
      response: { status: 200, schema: z.object({ mailings: z.array(Mailing) }) },
      handler: async ({ query }) => ({ mailings: await mailings.list(query.limit, query.offset) }),
    }),
    route({
      method: 'get',
      path: '/api/mailings/templates',
      access: 'any',
      tag: 'mailings',
      summary: 'Letter templates (templates/letters/*.json) with their coupon answers',
      response: { status: 200, schema: z.object({ templates: z.array(z.object({ id: z.string(), description: z.string() }).passthrough()) }) },
      handler: async () => ({ templates: await mailings.templates() }),
    }),
    route({
      method: 'get',
      path: '/api/mailings/:id',
      access: ['crm', 'compliance', 'mailroom'],
      tag: 'mailings',
      summary: 'A mailing with its letters: code, customer, reply date and answer',
      params: IdParams,
      response: { status: 200, schema: Mailing.extend({ letters: z.array(Letter.extend({ repliedAt: z.string().nullable(), answer: z.string().nullable() }).passthrough()) }) },
      handler: async ({ params, principal }) => mailings.get(params.id, { letters: true, actor: principal }),
    }),
    route({
      method: 'get',
      path: '/api/mailings/:id/letters.pdf',
      access: ['crm', 'mailroom'],
      tag: 'mailings',
      summary: `Printable letters, one A4 page each (window-envelope address, body, reply coupon with barcode). Up to ${MAX_LETTERS_PER_PDF} letters in one file; larger mailings with ?part=1..n of partSize (default ${DEFAULT_PART_SIZE}). Audited`,
      params: IdParams,
      query: z.object({
        part: z.coerce.number().int().min(1).optional(),
        partSize: z.coerce.number().int().min(1).max(MAX_LETTERS_PER_PDF).default(DEFAULT_PART_SIZE),
      }),
      response: { status: 200, contentType: 'application/pdf', description: 'Headers X-Letters (from-to), X-Parts, and X-Letters-Restricted: letters of restricted customers (GDPR art. 18) left out for roles other than compliance and admin' },
      handler: async ({ params, query, principal }) => {
        const r = await mailings.lettersPdf(params.id, principal, { part: query.part, partSize: query.partSize });
        const name = `${slug(r.name)}-${query.part === undefined ? 'brieven' : `deel-${query.part}-van-${r.parts}`}.pdf`;
        return new Reply(200, Buffer.from(r.pdf), {
          'Content-Type': 'application/pdf',
          'Content-Disposition': contentDisposition('attachment', name),
          'X-Letters': `${r.range.from}-${r.range.to}`,
          'X-Parts': String(r.parts),
          'X-Letters-Restricted': String(r.restrictedLeftOut),
        });
      },
    }),
    route({
      method: 'get',
      path: '/api/mailings/:id/letters.csv',
      access: ['crm', 'mailroom'],
      tag: 'mailings',
      summary: 'The selection with its codes as CSV (UTF-8, comma-separated, for the fulfilment house). Audited',
      params: IdParams,
      response: { status: 200, contentType: 'text/csv' },
      handler: async ({ params, principal }) => {
        const r = await mailings.lettersCsv(params.id, principal);
        return new Reply(200, r.csv, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': contentDisposition('attachment', `${slug(r.name)}.csv`), 'X-Letters-Restricted': String(r.restrictedLeftOut) });
      },
    }),
    route({
      method: 'post',
      path: '/api/mailings/:id/sent',
      access: ['crm', 'mailroom'],
      tag: 'mailings',
      summary: 'Mark the mailing as sent: status `letter-sent` on every addressee (once; 409 after that). A letter whose addressee is restricted (GDPR art. 18) is withheld instead: not sent, no status, counted in `withheld`; audited',
      params: IdParams,
      query: z.object({ sentOn: IsoDate.optional() }),
      response: { status: 200, schema: Mailing },
      handler: async ({ params, query, principal }) => mailings.markSent(params.id, principal, query.sentOn),
    }),
    route({
      method: 'post',
      path: '/api/coupons/scan',
      access: ['mailroom'],
      tag: 'coupons',
      summary:
        'A keyboard-wedge scan of a reply coupon: sets `reply-received` and links the paper coupon. 400 invalid code, 422 unknown, 409 already received. ' +
        'A coupon of a restricted customer (GDPR art. 18) is held instead: `held: true, restricted: true` and the review item\'s id, no customer, answer or status; audited',
      body: z.object({ barcode: LetterCode, answer: AnswerId.optional() }).strict(),
      response: {
        status: 200,
        schema: z.object({
          barcode: z.string(),
          mailingId: z.string(),
          customerId: z.string().nullable(),
          answer: z.string().nullable(),
          documentId: z.string().nullable(),
          status: z.string().nullable(),
          held: z.literal(true).optional().describe('the coupon was held for compliance, nothing was recorded on the customer'),
          restricted: z.literal(true).optional(),
          reviewId: z.string().optional().describe('the held review item (only compliance and admin open it)'),
        }),
      },
      handler: async ({ body, principal }) => coupons.scan(body, principal),
    }),
    route({
      method: 'post',
      path: '/api/coupons/batches',
      access: ['mailroom'],
      tag: 'coupons',
      summary: 'Upload a scanned stack of returned coupons (one multi-page PDF/TIFF as `file`, or images as `files`) → 202; a job reads it page by page',
      multipart: { files: ['file', 'files'], fields: z.object({}), maxFiles: 100 },
      response: { status: 202, schema: Batch },
      handler: async ({ req, res, principal }) => {
        await new Promise<void>((resolve, reject) => upload(req as Request, res as Response, ((e?: unknown) => (e ? reject(e) : resolve())) as NextFunction));
        if (!req.is('multipart/form-data')) throw new Invalid('Send the scans as multipart/form-data with a `file` (or several `files`) field', undefined, 'not_multipart');
        const files = uploadedFiles(req).map((f) => ({ path: f.path, originalName: decodeFileName(f.originalname), size: f.size }));
        return new Reply(202, await coupons.acceptBatch(files, principal));
      },
    }),
    route({
      method: 'get',
      path: '/api/coupons/batches/:id',
      access: ['mailroom', 'crm', 'compliance'],
      tag: 'coupons',
      summary: 'A coupon batch: status, progress, what each page was, and its review items',
      params: IdParams,
      response: { status: 200, schema: Batch },
      handler: async ({ params, principal }) => coupons.batch(params.id, { hideRestricted: !seesRestricted(principal) }),
    }),
    route({
      method: 'get',
      path: '/api/coupons/review',
      access: ['mailroom', 'compliance'],
      tag: 'coupons',
      summary: 'Coupon pages waiting for a person: unreadable, unknown code, already received, invalid; and coupons held for compliance (restricted customer, shown to compliance and admin only)',
      query: z.object({
        status: z.enum(['open', 'resolved', 'discarded']).default('open'),
        batchId: z.string().max(64).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      response: { status: 200, schema: z.object({ items: z.array(ReviewItem) }) },
      handler: async ({ query, principal }) => ({ items: await coupons.reviews({ ...query, hideRestricted: !seesRestricted(principal) }) }),
    }),
    route({
      method: 'get',
      path: '/api/coupons/review/:id/image',
      access: ['mailroom', 'compliance'],
      tag: 'coupons',
      summary: 'The scanned page of a review item as PNG (audited)',
      params: IdParams,
      response: { status: 200, contentType: 'image/png' },
      handler: async ({ params, principal }) =>
        new Reply(200, await coupons.reviewImage(params.id, principal), { 'Content-Type': 'image/png', 'X-Content-Type-Options': 'nosniff' }),
    }),
    route({
      method: 'post',
      path: '/api/coupons/review/:id',
      access: ['mailroom', 'compliance'],
      tag: 'coupons',
      summary:
        'Resolve a review item: {action:"code", barcode} typed from the coupon, {action:"customer", customerId, mailingId?}, or {action:"discard", note?}. ' +
        'A reply for a restricted customer is not recorded (409 still_restricted) until the restriction is lifted; a held item is discarded or applied by compliance',
      params: IdParams,
      body: Resolve,
      response: { status: 200, schema: ReviewItem },
      handler: async ({ params, body, principal }) => coupons.resolve(params.id, body, principal),
    }),
    route({
      method: 'post',
      path: '/api/separator-sheets',
      access: ['mailroom'],
      tag: 'coupons',
      summary: 'A printable separator sheet (new S code) for batch scans; with customerId/type a cover sheet for the pages that follow',
      body: z.object({ customerId: CustomerNumber.optional(), type: z.enum(DOCUMENT_TYPES).optional(), copies: z.number().int().min(1).max(50).optional() }).strict(),
      response: { status: 201, contentType: 'application/pdf', description: 'Header X-Barcode: the sheet\'s code' },
      handler: async ({ body, principal }) => {
        const r = await coupons.separatorSheet(body, principal);
        return new Reply(201, Buffer.from(r.pdf), {
          'Content-Type': 'application/pdf',
          'Content-Disposition': contentDisposition('attachment', `scheidingsblad-${r.barcode}.pdf`),
          'X-Barcode': r.barcode,
        });
      },
    }),
  ];
}
