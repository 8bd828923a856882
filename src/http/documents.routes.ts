import { z } from 'zod';
import { DOCUMENT_TYPES } from '../domain/document.js';
import type { DocumentsService } from '../services/documents.service.js';
import type { PaperService } from '../services/paper.service.js';
import type { DestructionService } from '../services/destruction.service.js';
import { Reply, route } from './route.js';
import { DocumentSchema, IdParams, IsoDate, KeyPointsSchema } from './schemas.js';

export const DocumentType = z.enum(DOCUMENT_TYPES);
const CustomerNumber = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a customer number');

export const PaperBody = z
  .object({
    customerId: CustomerNumber,
    type: DocumentType,
    title: z.string().trim().min(1).max(300).optional(),
    docDate: IsoDate.nullable().optional(),
    fields: KeyPointsSchema.optional(),
    barcode: z.string().max(64).optional().describe('a pre-printed blank code (POST /api/labels/blank) already on the paper'),
  })
  .strict();

/** RFC 6266 filename for a download; non-ASCII goes in filename*. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function documentsRoutes(documents: DocumentsService, paper: PaperService, destruction: DestructionService) {
  return [
    route({
      method: 'delete',
      path: '/api/documents/:id',
      access: ['admin'],
      tag: 'documents',
      summary: 'Destroy a document now (e.g. a mistaken upload): every copy, text and index entry goes; a tombstone and the audit trail remain. Refused under a legal hold',
      params: IdParams,
      query: z.object({ reason: z.string().trim().min(3).max(500) }),
      response: {
        status: 200,
        schema: z.object({ id: z.string(), destroyedAt: z.string(), removedObjects: z.array(z.string()), keptObjects: z.array(z.string()) }),
      },
      handler: async ({ params, query, principal }) => destruction.destroy(params.id, principal, query.reason),
    }),
    route({
      method: 'post',
      path: '/api/documents/paper',
      access: ['mailroom'],
      tag: 'paper',
      summary: 'Register static paper that is not scanned: key points + a barcode',
      body: PaperBody,
      response: { status: 201, schema: DocumentSchema },
      handler: async ({ body, principal }) => new Reply(201, await paper.register(body, principal)),
    }),
    route({
      method: 'get',
      path: '/api/documents/:id',
      access: 'any',
      tag: 'documents',
      summary: 'A document: metadata, class with its trace, location, retention (audited)',
      params: IdParams,
      response: { status: 200, schema: DocumentSchema },
      reads: { document: 'id' },
      handler: async ({ params, principal }) => documents.get(params.id, principal),
    }),
    route({
      method: 'get',
      path: '/api/documents/:id/text',
      access: ['crm', 'compliance'],
      tag: 'documents',
      summary: 'The extracted text, pages separated by form feeds (audited)',
      params: IdParams,
      response: { status: 200, contentType: 'text/plain' },
      reads: { document: 'id' },
      handler: async ({ params, principal }) =>
        new Reply(200, await documents.text(params.id, principal), { 'Content-Type': 'text/plain; charset=utf-8' }),
    }),
    route({
      method: 'get',
      path: '/api/documents/:id/file',
      // The mailroom checks scans in the review queue, so it may see a document's file while it waits there (and only then).
      access: ['crm', 'compliance', 'mailroom'],
      tag: 'documents',
      summary: 'The original bytes, with ?variant=archive the searchable PDF copy, with ?variant=e-invoice the structured invoice XML (audited). The mailroom only for documents waiting in review',
      params: IdParams,
      query: z.object({ variant: z.enum(['original', 'archive', 'e-invoice']).default('original'), download: z.enum(['0', '1']).default('0') }),
      response: { status: 200, contentType: 'application/octet-stream' },
      reads: { document: 'id' },
      handler: async ({ params, query, principal, res }) => {
        const f = await documents.file(params.id, principal, query.variant);
        res.setHeader('Content-Type', f.mime);
        if (f.size !== undefined) res.setHeader('Content-Length', String(f.size));
        res.setHeader('Content-Disposition', contentDisposition(query.download === '1' ? 'attachment' : 'inline', f.name));
        res.setHeader('X-Content-Type-Options', 'nosniff');
        await new Promise<void>((resolve, reject) => {
          f.stream.on('error', reject);
          res.on('close', resolve);
          f.stream.pipe(res);
        });
      },
    }),
    route({
      method: 'get',
      path: '/api/documents/:id/message',
      access: ['crm', 'compliance', 'mailroom'],
      tag: 'documents',
      summary: 'The e-mail (.eml, message/rfc822) the document came in with, as received (audited). Same rules as its file; 404 `no_message` when it did not come by e-mail or the e-mail was destroyed',
      params: IdParams,
      query: z.object({ download: z.enum(['0', '1']).default('0') }),
      response: { status: 200, contentType: 'message/rfc822' },
      reads: { document: 'id' },
      handler: async ({ params, query, principal, res }) => {
        const f = await documents.message(params.id, principal);
        res.setHeader('Content-Type', 'message/rfc822');
        res.setHeader('Content-Length', String(f.size));
        res.setHeader('Content-Disposition', contentDisposition(query.download === '1' ? 'attachment' : 'inline', f.name));
        res.setHeader('X-Content-Type-Options', 'nosniff');
        await new Promise<void>((resolve, reject) => {
          f.stream.on('error', reject);
          res.on('close', resolve);
          f.stream.pipe(res);
        });
      },
    }),
  ];
}
