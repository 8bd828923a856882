import { z } from 'zod';
import { DOCUMENT_TYPES } from '../domain/document.js';
import type { IntakeSplitService } from '../services/intake-split.service.js';
import type { MailIntakeService } from '../services/mail-intake.service.js';
import { contentDisposition } from './documents.routes.js';
import { Reply, route } from './route.js';
import { SafeId } from './schemas.js';

const CustomerNumber = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a customer number');

/** Barcodes in every intake (issue 18): cover sheets to print, and where a split stack's pages went. */
export function intakeRoutes(deps: { split: IntakeSplitService; mail: MailIntakeService }) {
  return [
    route({
      method: 'get',
      path: '/api/mail-intake',
      access: ['mailroom'],
      tag: 'jobs',
      summary:
        'E-mail intake: the mailbox read (no password), the last poll, counts and messages (newest first) with the documents their attachments became, attachments skipped and why, and failures with their job (retry it with POST /api/jobs/:id/retry)',
      query: z.object({
        status: z.enum(['queued', 'done', 'failed']).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      response: {
        status: 200,
        schema: z.object({
          enabled: z.boolean(),
          mailbox: z.unknown(),
          lastPoll: z.unknown(),
          lease: z
            .object({ holder: z.string(), thisProcess: z.boolean(), acquiredAt: z.string(), renewedAt: z.string(), expiresAt: z.string() })
            .nullable()
            .describe('which process reads the mailbox on schedule (host/pid/id; with several workers one at a time), null before the first scheduled read'),
          counts: z.record(z.string(), z.number()),
          messages: z
            .array(z.unknown())
            .describe(
              'a message about a restricted customer (GDPR art. 18) has `restricted: true` and, for roles other than compliance and admin, no sender, subject, Message-ID, customer, attachment names, error text or error details; a failed one\'s `job` gives its attempts and `lastErrorCode`/`lastErrorDetails` as GET /api/jobs does',
            ),
        }),
      },
      // GDPR art. 18: a restricted customer's message stays listed without what names it (see MailIntakeService.status).
      handler: async ({ query, principal }) => deps.mail.status(query, principal),
    }),
    route({
      method: 'post',
      path: '/api/mail-intake/poll',
      access: ['mailroom'],
      tag: 'jobs',
      summary: 'E-mail intake: read the mailbox now instead of at the next interval; answers with what the pass found (ok false with the reason when the mailbox could not be read or e-mail intake is not configured)',
      response: { status: 200, schema: z.object({ at: z.string(), ok: z.boolean(), error: z.string().nullable(), seen: z.number(), queued: z.number(), marked: z.number() }) },
      handler: async () => deps.mail.pollOnce(),
    }),
    route({
      method: 'get',
      path: '/api/cover-sheet.pdf',
      access: ['mailroom'],
      tag: 'documents',
      summary:
        'A printable cover sheet for any intake (upload, batch, scanner inbox, e-mail): its code carries the customer and type, which go to the pages after it; the sheet itself is dropped. Nothing is stored, print as many as needed',
      query: z.object({ customerId: CustomerNumber.optional(), type: z.enum(DOCUMENT_TYPES).optional(), copies: z.coerce.number().int().min(1).max(50).optional() }),
      response: { status: 200, contentType: 'application/pdf', description: 'Header X-Cover-Code: the text of the sheet\'s code' },
      handler: async ({ query }) => {
        const r = await deps.split.coverSheet(query);
        return new Reply(200, Buffer.from(r.pdf), {
          'Content-Type': 'application/pdf',
          'Content-Disposition': contentDisposition('inline', `voorblad-${query.customerId ?? 'klant'}-${query.type ?? 'document'}.pdf`),
          'X-Cover-Code': r.code,
        });
      },
    }),
    route({
      method: 'get',
      path: '/api/intake/splits/:id',
      access: ['mailroom'],
      tag: 'documents',
      summary: 'Where the pages of a stack taken in as document :id went: parts split by separator/cover sheets, scans of labelled paper, reply coupons (split: false while not split or without codes)',
      params: z.object({ id: SafeId }),
      response: {
        status: 200,
        schema: z.object({
          documentId: z.string(),
          split: z.boolean(),
          stack: z.object({ sha256: z.string(), mime: z.string(), pages: z.number(), sheets: z.number() }).nullable(),
          parts: z.array(
            z
              .object({
                partNo: z.number(),
                kind: z.string(),
                pages: z.array(z.number()),
                restricted: z.boolean().optional().describe('the part went to a restricted customer (GDPR art. 18): its customer and sheet code are hidden from roles other than compliance and admin'),
              })
              .passthrough(),
          ),
          createdAt: z.string().nullable(),
        }),
      },
      // GDPR art. 18: the stack of a restricted customer is refused; its other parts are shown without naming one.
      reads: { document: 'id' },
      handler: async ({ params, principal }) => deps.split.describe(params.id, principal),
    }),
  ];
}
