import { z } from 'zod';
import type { Request, Response, NextFunction } from 'express';
import { DOCUMENT_TYPES } from '../domain/document.js';
import { AppError, Invalid, toHttpError } from '../errors.js';
import type { JobQueuePort } from '../services/job-queue.port.js';
import type { IntakeService } from '../services/intake.service.js';
import type { SearchService } from '../services/search.service.js';
import { RETRY_ALL_MAX, type PipelineService } from '../services/pipeline.service.js';
import type { RestrictionGuard } from '../services/restriction.guard.js';
import type { Principal } from '../domain/roles.js';
import { Reply, route } from './route.js';
import { DocumentSchema, IsoDate, SafeId } from './schemas.js';
import { decodeFileName, multipartUpload, uploadedFiles } from './upload.js';
import { perUserRateLimit } from './rate-limit.js';

const UploadFields = z
  .object({
    customerId: z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a customer number').optional(),
    type: z.enum(DOCUMENT_TYPES).optional(),
  })
  .strict();

const BatchResult = z.object({
  documents: z.array(z.object({ file: z.string().nullable(), duplicate: z.boolean(), document: DocumentSchema })),
  rejected: z.array(z.object({ file: z.string().nullable(), status: z.number(), error: z.object({ code: z.string(), message: z.string() }) })),
});

const SearchHit = z.object({
  documentId: z.string(),
  customerId: z.string().nullable(),
  customerName: z.string().nullable().describe('the customer by name, null for a document without one'),
  type: z.string(),
  class: z.string(),
  title: z.string(),
  docDate: z.string().nullable(),
  score: z.number(),
  snippet: z.string().describe('HTML-escaped text with <mark> around the hits'),
});

const JobView = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  attempts: z.number(),
  maxAttempts: z.number(),
  runAfter: z.string(),
  lastError: z.string().nullable().describe('The last failure as the server wrote it: English, with its stack'),
  lastErrorCode: z.string().nullable().describe('The same failure as a code: an error code of this API (e.g. `corrupt_pdf`), `job_failed` for an unexpected error, `job_interrupted` when a shutdown or a stopped worker cut the run short'),
  lastErrorDetails: z.record(z.string(), z.unknown()).nullable().describe('The parameters of `lastErrorCode`, when it has any'),
  progress: z
    .object({
      done: z.number(),
      total: z.number(),
      note: z.string().optional(),
      noteCode: z.string().optional().describe('The note as a code for a translated text: `text_layer_read`, `ocr_started`, `page_read`, `page_codes`, `coupon_page`, `batch_read`, `split_into`'),
      noteParams: z.record(z.string(), z.union([z.string(), z.number()])).optional().describe('The parameters of `noteCode` (e.g. `page`, `confidence`)'),
    })
    .nullable(),
  payload: z.unknown(),
  restricted: z.boolean().optional().describe('The job works on a restricted customer\'s document (GDPR art. 18): error text, progress note and payload other than the document or message id are hidden; it can still be retried'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/**
 * Jobs on a restricted customer's document stay in the list, so the operator still sees a failure
 * and can retry it, but without what could name the customer or the document's content: the
 * error text and progress note are blanked and the payload is cut to the document id.
 */
async function redactRestrictedJobs<
  J extends { payload: unknown; lastError: string | null; lastErrorCode: string | null; lastErrorDetails: Record<string, unknown> | null; progress: { note?: string; noteCode?: string; noteParams?: Record<string, string | number> } | null },
>(
  jobs: J[],
  principal: Principal,
  restriction: RestrictionGuard | undefined,
): Promise<(J & { restricted?: boolean })[]> {
  if (!restriction) return jobs;
  // A job names its subject by a document id (ingest, split) or an e-mail message id (mail-message).
  const idOf = (j: J, key: 'documentId' | 'messageId') => {
    const id = (j.payload as Record<string, unknown> | null)?.[key];
    return typeof id === 'string' ? id : null;
  };
  const present = (id: string | null): id is string => id !== null;
  const hiddenDocs = await restriction.hiddenDocuments(principal, jobs.map((j) => idOf(j, 'documentId')).filter(present));
  const hiddenMail = await restriction.hiddenMailMessages(principal, jobs.map((j) => idOf(j, 'messageId')).filter(present));
  return jobs.map((j) => {
    const doc = idOf(j, 'documentId');
    const mail = idOf(j, 'messageId');
    const payload = doc && hiddenDocs.has(doc) ? { documentId: doc } : mail && hiddenMail.has(mail) ? { messageId: mail } : null;
    if (!payload) return j;
    const progress = j.progress ? { ...j.progress, note: undefined, noteCode: undefined, noteParams: undefined } : null;
    const hidden = j.lastError !== null || j.lastErrorCode !== null;
    return {
      ...j,
      payload,
      lastError: hidden ? 'hidden: the customer\'s processing is restricted (GDPR art. 18)' : null,
      lastErrorCode: hidden ? 'restricted_hidden' : null,
      lastErrorDetails: null,
      progress,
      restricted: true,
    };
  });
}

export function ingestRoutes(deps: {
  intake: IntakeService;
  search: SearchService;
  queue: JobQueuePort;
  /** GDPR art. 18: jobs on a restricted customer's document are shown without their details. */
  restriction?: RestrictionGuard;
  pipeline: PipelineService;
  uploadTmpDir: string;
  maxUploadBytes: number;
  /** Searches per user per minute; 0 or unset: no limit. */
  searchRatePerMinute?: number;
}) {
  const upload = multipartUpload(deps.uploadTmpDir, deps.maxUploadBytes);
  const searchLimit = deps.searchRatePerMinute ? [perUserRateLimit({ name: 'search', limit: deps.searchRatePerMinute, windowMs: 60_000 })] : [];
  return [
    route({
      method: 'post',
      path: '/api/documents',
      access: ['mailroom'],
      tag: 'documents',
      summary:
        'Upload a scan (PDF, PNG, JPEG, TIFF; checked by its bytes) for OCR and indexing, or a UBL 2.1 e-invoice XML (Invoice or CreditNote root, well-formed, at most 5 MiB, no DOCTYPE). One `file` → 202 Document (200 with the existing document for an exact duplicate); many `files` → 202 with per-file results',
      multipart: { files: ['file', 'files'], fields: UploadFields, maxFiles: 100 },
      response: { status: 202, schema: DocumentSchema.or(BatchResult) },
      handler: async ({ req, res, principal }) => {
        await new Promise<void>((resolve, reject) => upload(req as Request, res as Response, ((e?: unknown) => (e ? reject(e) : resolve())) as NextFunction));
        const files = uploadedFiles(req);
        if (!req.is('multipart/form-data')) throw new Invalid('Send the scan as multipart/form-data with a `file` (or several `files`) field', undefined, 'not_multipart');
        if (files.length === 0) throw new Invalid('No file was sent: use the field `file` (or `files` for several)', undefined, 'no_file');
        const parsed = UploadFields.safeParse(req.body ?? {});
        if (!parsed.success) {
          throw new Invalid(
            `Invalid form fields: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'form'} ${i.message}`).join('; ')}`,
            parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
          );
        }
        const single = (req.files as Record<string, unknown[]>).file !== undefined && files.length === 1;
        const results: { documents: { file: string | null; duplicate: boolean; document: unknown }[]; rejected: z.infer<typeof BatchResult>['rejected'] } = {
          documents: [],
          rejected: [],
        };
        for (const f of files) {
          const name = decodeFileName(f.originalname);
          try {
            const r = await deps.intake.accept({ path: f.path, originalName: name, size: f.size }, parsed.data, principal, 'upload');
            // An exact duplicate answers with the document taken in before: a restricted customer's is
            // not shown (403 restricted, audited), only that the file is known (GDPR art. 18).
            if (r.duplicate) await deps.restriction?.assertDocument(principal, r.document.id);
            if (single) return new Reply(r.duplicate ? 200 : 202, r.document, r.duplicate ? { 'X-Duplicate-Of': r.document.id } : {});
            results.documents.push({ file: name, duplicate: r.duplicate, document: r.document });
          } catch (err) {
            if (single || !(err instanceof AppError) || err.status >= 500) throw err;
            const { status, body } = toHttpError(err);
            results.rejected.push({ file: name, status, error: body.error });
          }
        }
        return new Reply(results.documents.length ? 202 : 400, results);
      },
    }),
    route({
      method: 'get',
      path: '/api/search',
      access: ['crm', 'compliance'],
      tag: 'search',
      summary: 'Full-text search: words, prefix*, "phrases", OR, -exclude; filters and paging; snippets highlighted. Ranked by bm25 (score, higher is better); within one customer (customerId) newest first, score 0. Bounded: a * needs 2 letters before it, at most 16 words and 5 prefixes (400 prefix_too_short, too_many_terms, too_many_prefixes); past its time budget 503 search_timeout; per-user rate limit 429 rate_limited with Retry-After. Restricted customers (GDPR art. 18) are left out except for compliance and admin',
      query: z.object({
        q: z.string().max(500),
        customerId: SafeId.optional(),
        type: z.string().max(40).optional(),
        class: z.enum(['dynamic', 'static']).optional(),
        from: IsoDate.optional(),
        to: IsoDate.optional(),
        limit: z.coerce.number().int().min(1).max(100).default(20),
        offset: z.coerce.number().int().min(0).max(10_000).default(0),
      }),
      response: { status: 200, schema: z.object({ total: z.number(), totalCapped: z.boolean().describe('true when there are more than `total` hits'), limit: z.number(), offset: z.number(), hits: z.array(SearchHit) }) },
      before: searchLimit,
      handler: async ({ query, principal, res }) => {
        // A client that goes away stops its query: nobody would read the answer.
        const gone = new AbortController();
        const onClose = () => {
          if (!res.writableFinished) gone.abort();
        };
        res.on('close', onClose);
        try {
          return await deps.search.search(query.q, { customerId: query.customerId, type: query.type, class: query.class, from: query.from, to: query.to }, query, principal, gone.signal);
        } finally {
          res.off('close', onClose);
        }
      },
    }),
    route({
      method: 'get',
      path: '/api/jobs',
      access: ['mailroom', 'compliance'],
      tag: 'jobs',
      summary: 'The processing queue: jobs with status, attempts, last error and progress, and counts',
      query: z.object({
        status: z.enum(['queued', 'running', 'done', 'failed']).optional(),
        kind: z.string().max(40).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      response: { status: 200, schema: z.object({ jobs: z.array(JobView), counts: z.unknown() }) },
      handler: async ({ query, principal }) => ({ jobs: await redactRestrictedJobs(await deps.queue.list(query), principal, deps.restriction), counts: await deps.queue.counts() }),
    }),
    route({
      method: 'post',
      path: '/api/jobs/:id/retry',
      access: ['mailroom'],
      tag: 'jobs',
      summary: 'Operator: put a failed job back in the queue with fresh attempts',
      params: z.object({ id: SafeId }),
      response: { status: 200, schema: JobView },
      // The job comes back as in GET /api/jobs: a restricted customer's without its details (GDPR art. 18).
      handler: async ({ params, principal }) => (await redactRestrictedJobs([await deps.pipeline.retry(params.id, principal)], principal, deps.restriction))[0],
    }),
    route({
      method: 'post',
      path: '/api/jobs/retry-failed',
      access: ['mailroom'],
      tag: 'jobs',
      summary: `Operator, after an outage: every failed job (optionally of one \`kind\`) back in the queue with fresh attempts, each as POST /api/jobs/:id/retry does it (its document queued again, audited); at most ${RETRY_ALL_MAX} a call, \`remaining\` says how many are still failed`,
      body: z.object({ kind: z.string().min(1).max(40).optional() }).strict(),
      response: { status: 200, schema: z.object({ retried: z.number(), remaining: z.number() }) },
      handler: ({ body, principal }) => deps.pipeline.retryAllFailed(principal, body),
    }),
  ];
}
