import { readFile } from 'node:fs/promises';
import type { NextFunction, Request } from 'express';
import { z } from 'zod';
import { Invalid, PayloadTooLarge } from '../errors.js';
import type { ChangesService } from '../services/changes.service.js';
import { ChangesService as Changes, parseCursor } from '../services/changes.service.js';
import { EVENT_TYPES, events } from '../services/events.service.js';
import type { ImportService } from '../services/import.service.js';
import type { MergeService } from '../services/merge.service.js';
import type { WebhooksService } from '../services/webhooks.service.js';
import type { Database } from '../db/database.js';
import { Reply, route } from './route.js';
import { IdParams } from './schemas.js';
import { decodeFileName, multipartUpload, uploadedFiles } from './upload.js';
import { safeFileName } from '../domain/file-names.js';

const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const RowErrorSchema = z.object({ row: z.number(), field: z.string().nullable(), message: z.string(), customerId: z.string().nullable().optional() });
const ImportSchema = z
  .object({
    id: z.string(),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    dryRun: z.boolean(),
    format: z.enum(['csv', 'ndjson']),
    file: z.object({ name: z.string().nullable(), sha256: z.string(), bytes: z.number() }),
    progress: z.object({ done: z.number(), total: z.number() }),
    totals: z.object({ rows: z.number(), created: z.number(), updated: z.number(), unchanged: z.number(), failed: z.number() }),
    summary: z.string(),
    errors: z.array(RowErrorSchema).describe('Per row: the row (line) number, the field and what is wrong; the first 1000'),
    errorsTruncated: z.boolean(),
    error: z.string().nullable(),
    jobId: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'CustomerImport' });

const EventSchema = z
  .object({
    id: z.string().describe('De-duplicate on this: delivery is at least once'),
    sequence: z.number(),
    type: z.enum(EVENT_TYPES),
    occurredAt: z.string(),
    customerId: z.string().nullable(),
    subject: z.object({ type: z.string(), id: z.string().nullable() }),
    actorId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Event' });

const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    secretHint: z.string(),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
    deliveries: z.object({ pending: z.number(), delivered: z.number(), dead: z.number() }),
  })
  .meta({ id: 'Webhook' });

const DeadLetterSchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  url: z.string(),
  webhookActive: z.boolean(),
  attempts: z.number(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  deadAt: z.string().nullable(),
  replays: z.number(),
  event: EventSchema,
});

const ChangeSchema = z.object({
  seq: z.string(),
  entity: z.enum(['customer', 'document', 'status']),
  id: z.string(),
  op: z.enum(['upsert', 'delete']),
  customerId: z.string().nullable(),
  data: z.unknown().optional().describe('Documents: metadata and key points; `content` (text + file link) only for dynamic documents'),
  mergedInto: z.string().optional(),
});

const CustomerNumber = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a customer number');

/** Reads a raw request body up to `limit` bytes. */
async function readBody(req: Request, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new PayloadTooLarge(`The body is larger than the limit of ${Math.round(limit / 1024 / 1024)} MiB`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** A JSON array of customers (or `{customers:[…]}`) becomes JSON lines, so both go through one reader. */
function jsonToNdjson(bytes: Buffer): Buffer {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Invalid('The body is not valid JSON', undefined, 'malformed_json');
  }
  const list = Array.isArray(v) ? v : (v as { customers?: unknown })?.customers;
  if (!Array.isArray(list)) throw new Invalid('Send a JSON array of customers, or {"customers": [...]}', undefined, 'invalid_body');
  return Buffer.from(list.map((c) => JSON.stringify(c)).join('\n'));
}

export function integrationRoutes(deps: {
  db: Database;
  imports: ImportService;
  merge: MergeService;
  webhooks: WebhooksService;
  changes: ChangesService;
  uploadTmpDir: string;
  maxUploadBytes: number;
}) {
  const upload = multipartUpload(deps.uploadTmpDir, deps.maxUploadBytes);
  return [
    route({
      method: 'post',
      path: '/api/imports/customers',
      access: ['crm'],
      tag: 'integration',
      summary:
        'Batch import of customer master data: text/csv (comma, semicolon or tab), application/x-ndjson, a JSON array, or a multipart `file`. Upsert by customer number; a report per row; good rows are kept. Up to 2000 rows answer 200 with the report; larger files (or `background=true`) answer 202 and run as a job (`GET /api/imports/:id`)',
      query: z.object({ dryRun: flag.describe('Only validate and report what would change'), background: flag.describe('Run as a job whatever the size') }),
      multipart: { files: ['file'], fields: z.object({}) },
      response: { status: 200, schema: ImportSchema, description: '200 with the report when done; 202 when queued as a job' },
      handler: async ({ req, res, query, principal }) => {
        let bytes: Buffer;
        let fileName: string | null = null;
        let contentType = req.headers['content-type'];
        if (req.is('multipart/form-data')) {
          await new Promise<void>((resolve, reject) => upload(req, res, ((e?: unknown) => (e ? reject(e) : resolve())) as NextFunction));
          const [file] = uploadedFiles(req);
          if (!file) throw new Invalid('No file was sent: use the field `file`', undefined, 'no_file');
          bytes = await readFile(file.path);
          fileName = safeFileName(decodeFileName(file.originalname));
          contentType = file.mimetype;
        } else {
          bytes = await readBody(req, deps.maxUploadBytes);
          if (req.is('application/json')) {
            bytes = jsonToNdjson(bytes);
            contentType = 'application/x-ndjson';
          }
        }
        const { report, queued } = await deps.imports.submit({ bytes, fileName, contentType, dryRun: query.dryRun, background: query.background || undefined }, principal);
        return queued ? new Reply(202, report, { Location: `/api/imports/${report.id}` }) : report;
      },
    }),
    route({
      method: 'get',
      path: '/api/imports',
      access: ['crm'],
      tag: 'integration',
      summary: 'Recent customer imports, newest first (without their row errors)',
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
      response: { status: 200, schema: z.object({ imports: z.array(ImportSchema.omit({ errors: true })) }) },
      handler: async ({ query }) => ({ imports: await deps.imports.list(query.limit) }),
    }),
    route({
      method: 'get',
      path: '/api/imports/:id',
      access: ['crm'],
      tag: 'integration',
      summary: 'An import: status, progress and the report per row',
      params: IdParams,
      response: { status: 200, schema: ImportSchema },
      handler: async ({ params }) => deps.imports.get(params.id),
    }),
    route({
      method: 'post',
      path: '/api/customers/:id/merge',
      access: ['crm'],
      tag: 'customers',
      summary:
        'Merge this duplicate customer into the surviving one: documents, paper, status variables, holds and letters move (audited); this number stays as a tombstone that resolves to the survivor',
      params: z.object({ id: CustomerNumber }),
      body: z.object({ into: CustomerNumber.describe('The surviving customer number') }).strict(),
      response: {
        status: 200,
        schema: z.object({
          merged: z.string(),
          into: z.string(),
          moved: z.record(z.string(), z.number()),
          statusConflicts: z.array(z.object({ name: z.string(), kept: z.string(), from: z.enum(['merged', 'into']) })),
        }),
      },
      handler: async ({ params, body, principal }) => deps.merge.merge(params.id, body.into, principal),
    }),
    route({
      method: 'post',
      path: '/api/webhooks',
      access: ['admin'],
      tag: 'integration',
      summary:
        'Register a webhook. Events are POSTed as JSON with X-Dossierlink-Signature: sha256=HMAC-SHA256(secret, "<X-Dossierlink-Timestamp>.<raw body>"); retried with backoff, then dead-lettered. The secret is shown once',
      body: z
        .object({
          url: z.url().max(2000),
          events: z.array(z.string().max(100)).max(50).optional().describe(`Event types (${EVENT_TYPES.join(', ')}), a prefix like document.*, or empty for all`),
          description: z.string().max(500).optional(),
          secret: z.string().min(16).max(200).optional().describe('Your own secret; one is generated when left out'),
        })
        .strict(),
      response: { status: 201, schema: WebhookSchema.extend({ secret: z.string() }) },
      handler: async ({ body, principal }) => deps.webhooks.create(body, principal),
    }),
    route({
      method: 'get',
      path: '/api/webhooks',
      access: ['admin'],
      tag: 'integration',
      summary: 'Registered webhooks with their delivery counts',
      response: { status: 200, schema: z.object({ webhooks: z.array(WebhookSchema) }) },
      handler: async () => ({ webhooks: await deps.webhooks.list() }),
    }),
    route({
      method: 'delete',
      path: '/api/webhooks/:id',
      access: ['admin'],
      tag: 'integration',
      summary: 'Remove a webhook; undelivered events to it are cancelled, its dead letters stay listed',
      params: IdParams,
      response: { status: 204, description: 'Removed' },
      handler: async ({ params, principal }) => {
        await deps.webhooks.remove(params.id, principal);
        return new Reply(204, '');
      },
    }),
    route({
      method: 'get',
      path: '/api/webhooks/dead-letters',
      access: ['admin'],
      tag: 'integration',
      summary: 'Deliveries that failed every attempt, newest first, with the event and the last error',
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), webhookId: z.string().max(64).optional() }),
      response: { status: 200, schema: z.object({ deadLetters: z.array(DeadLetterSchema) }) },
      handler: async ({ query }) => ({ deadLetters: await deps.webhooks.deadLetters(query.limit, query.webhookId) }),
    }),
    route({
      method: 'post',
      path: '/api/webhooks/dead-letters/:id/replay',
      access: ['admin'],
      tag: 'integration',
      summary: 'Send a dead letter again (due now, attempts from zero); audited',
      params: IdParams,
      response: { status: 202, schema: z.object({ id: z.string(), status: z.literal('pending') }) },
      handler: async ({ params, principal }) => new Reply(202, await deps.webhooks.replay(params.id, principal)),
    }),
    route({
      method: 'get',
      path: '/api/events',
      access: ['crm'],
      tag: 'integration',
      summary: 'The outbox as a feed, for systems that poll instead of receiving webhooks: events after a sequence number',
      query: z.object({
        after: z.string().max(20).optional().describe('The last `sequence` you processed; empty for the oldest'),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        types: z.string().max(500).optional().describe('Comma-separated event types'),
      }),
      response: { status: 200, schema: z.object({ events: z.array(EventSchema), next: z.string() }) },
      handler: async ({ query }) => {
        const after = parseCursor(query.after, 'after');
        const list = await events.list(deps.db, after, query.limit, query.types?.split(',').map((s) => s.trim()).filter(Boolean));
        return { events: list, next: String(list.length ? list[list.length - 1].sequence : after) };
      },
    }),
    route({
      method: 'get',
      path: '/api/changes',
      access: ['crm'],
      tag: 'integration',
      summary:
        'Delta feed for mobile/offline CRM clients: what changed after `since` (empty = full sync) in the dossiers you may see. Metadata and dynamic documents only: static paper comes as key points and location, never as content. Deletions are tombstones. Call again with `cursor` while `hasMore`',
      query: z.object({
        since: z.string().max(20).optional().describe('The cursor of the previous page; empty for a full sync'),
        limit: z.coerce.number().int().min(1).max(5000).default(500),
      }),
      response: { status: 200, schema: z.object({ cursor: z.string(), hasMore: z.boolean(), changes: z.array(ChangeSchema) }) },
      handler: async ({ query, principal }) => deps.changes.feed({ since: parseCursor(query.since), limit: query.limit, principal }),
    }),
    route({
      method: 'get',
      path: '/api/exports/key-points',
      access: ['crm'],
      tag: 'integration',
      summary:
        'Key points (number, date, amount, end date) and location of static documents and registered paper changed after `since` (a cursor, or a date for a first run), as JSON or CSV (cursor in X-Dossierlink-Cursor)',
      query: z.object({
        since: z.string().max(30).optional(),
        format: z.enum(['json', 'csv']).default('json'),
        limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
        customerId: z.string().max(64).optional(),
      }),
      response: {
        status: 200,
        schema: z.object({ cursor: z.string(), hasMore: z.boolean(), items: z.array(z.record(z.string(), z.unknown())) }),
        description: 'JSON, or text/csv with ?format=csv',
      },
      handler: async ({ query }) => {
        const out = await deps.changes.keyPoints({ since: query.since, limit: query.limit, customerId: query.customerId });
        if (query.format === 'json') return out;
        return new Reply(200, Changes.keyPointsCsv(out.items), {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': 'attachment; filename="key-points.csv"',
          'X-Dossierlink-Cursor': out.cursor,
          'X-Dossierlink-Has-More': String(out.hasMore),
        });
      },
    }),
  ];
}
