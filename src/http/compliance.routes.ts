import { z } from 'zod';
import { OUTPUT_LANGS } from '../domain/output-language.js';
import type { ComplianceReportService } from '../services/compliance-report.service.js';
import type { SubjectRightsService } from '../services/subject-rights.service.js';
import { contentDisposition } from './documents.routes.js';
import { DisposalSchema } from './disposals.routes.js';
import { Reply, route } from './route.js';
import { CustomerSchema } from './schemas.js';

const CustomerParams = z.object({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a customer number') });
const Reason = z.string().trim().min(3).max(1000);

const RestrictionSchema = z.object({ action: z.string(), at: z.string(), by: z.string().nullable(), reason: z.string().nullable() }).nullable();

export function complianceRoutes(deps: { subjectRights: SubjectRightsService; report: ComplianceReportService }) {
  const { subjectRights, report } = deps;
  return [
    route({
      method: 'get',
      path: '/api/customers/:id/subject-access.zip',
      access: ['compliance'],
      tag: 'subject rights',
      summary: 'GDPR art. 15 export: a zip with an index (README.txt, index.html), originals, metadata, status variables, letters, paper with its location and the access log (audited). The index is Dutch unless ?lang=en',
      params: CustomerParams,
      query: z.object({ lang: z.enum(OUTPUT_LANGS).default('nl') }),
      response: { status: 200, contentType: 'application/zip' },
      handler: async ({ params, query, principal, res }) => {
        const { filename, zip } = await subjectRights.accessExport(params.id, principal, query.lang);
        res.setHeader('Content-Type', 'application/zip');
        res.setHeader('Content-Disposition', contentDisposition('attachment', filename));
        res.setHeader('Cache-Control', 'no-store');
        await new Promise<void>((resolve) => {
          // Headers are sent once bytes flow: a failing original then cuts the download short
          // (the client sees a broken zip), never a half-valid archive that looks complete.
          zip.on('error', () => {
            res.destroy();
            resolve();
          });
          zip.outputStream.on('error', () => res.destroy());
          res.on('close', resolve);
          zip.outputStream.pipe(res);
        });
      },
    }),
    route({
      method: 'post',
      path: '/api/customers/:id/erasure',
      access: ['compliance'],
      tag: 'subject rights',
      summary: 'GDPR art. 17: per document removed or kept (until when, which legal obligation); dryRun only reports, otherwise an erasure disposal is proposed for a second officer',
      params: CustomerParams,
      body: z.object({ dryRun: z.boolean().default(true), reason: Reason }).strict(),
      response: {
        status: 200,
        schema: z.object({
          customerId: z.string(),
          dryRun: z.boolean(),
          asOf: z.string(),
          summary: z.string(),
          documents: z.array(
            z.object({
              documentId: z.string(),
              type: z.string(),
              title: z.string(),
              barcode: z.string().nullable(),
              medium: z.enum(['digital', 'paper']),
              docDate: z.string().nullable(),
              action: z.enum(['remove', 'keep']),
              until: z.string().nullable(),
              basis: z.string().nullable(),
              why: z.string(),
              reason: z.object({ code: z.string() }).passthrough().describe('why, as a code with parameters'),
              how: z.string().nullable(),
            }),
          ),
          other: z.array(z.object({ code: z.string().optional(), what: z.string(), count: z.number().nullable(), action: z.enum(['remove', 'keep']), basis: z.string().nullable(), why: z.string() })),
          couponReviews: z
            .object({ remove: z.number(), keep: z.number() })
            .describe("the customer's coupon review items (scanned reply coupons): removed when the erasure is executed, kept while a legal hold covers them"),
          couponPages: z
            .object({ remove: z.number(), keep: z.number() })
            .describe("the readings (code, answer, ticks) of the customer's coupon pages in returned batches: blanked when the erasure is executed (the page stays in its batch, marked erased), kept while a legal hold covers them"),
          disposal: DisposalSchema.nullable(),
        }),
      },
      handler: async ({ params, body, principal }) => subjectRights.erasure(params.id, body, principal),
    }),
    route({
      method: 'post',
      path: '/api/customers/:id/restriction',
      access: ['compliance'],
      tag: 'subject rights',
      summary: 'GDPR art. 18: restrict (or lift the restriction on) processing of a customer; mailings then refuse the customer',
      params: CustomerParams,
      body: z.object({ restricted: z.boolean(), reason: Reason }).strict(),
      response: { status: 200, schema: z.object({ customer: CustomerSchema, restriction: RestrictionSchema }) },
      handler: async ({ params, body, principal }) => subjectRights.restrict(params.id, body, principal),
    }),
    route({
      method: 'get',
      path: '/api/compliance/report',
      access: ['compliance'],
      tag: 'compliance',
      summary: 'Compliance report: documents per type/class/schedule, overdue and due disposals, holds, disposals, paper not seen in an audit for a year, audit chain',
      response: { status: 200, description: 'The report' },
      handler: async ({ principal }) => report.report(principal),
    }),
    route({
      method: 'get',
      path: '/api/compliance/report.pdf',
      access: ['compliance'],
      tag: 'compliance',
      summary: 'The compliance report as a PDF',
      response: { status: 200, contentType: 'application/pdf' },
      handler: async ({ principal }) => {
        const { pdf, asOf } = await report.pdf(principal);
        return new Reply(200, Buffer.from(pdf), { 'Content-Type': 'application/pdf', 'Content-Disposition': `inline; filename="compliance-report-${asOf}.pdf"` });
      },
    }),
  ];
}
