import { z } from 'zod';
import { listLabelLayouts } from '../adapters/pdf/labels.pdf.js';
import type { LabelsService } from '../services/labels.service.js';
import { Reply, route } from './route.js';
import { IdParams } from './schemas.js';

const Layout = z.string().max(64).describe('a layout id from GET /api/labels/layouts');
export const LabelQuery = z.object({
  layout: Layout.default('single-62x29'),
  startAt: z.coerce.number().int().min(1).optional().describe('first free label on a partly used sheet (1-based)'),
});

export function pdfReply(pdf: Uint8Array, name: string, headers: Record<string, string> = {}): Reply {
  return new Reply(200, Buffer.from(pdf), { 'Content-Type': 'application/pdf', 'Content-Disposition': `inline; filename="${name}"`, ...headers });
}

export function labelsRoutes(labels: LabelsService) {
  return [
    route({
      method: 'get',
      path: '/api/documents/:id/label.pdf',
      access: ['mailroom'],
      tag: 'labels',
      summary: "A printable label for a paper document's barcode (customer, type and date, title)",
      params: IdParams,
      query: LabelQuery,
      response: { status: 200, contentType: 'application/pdf' },
      reads: { document: 'id' },
      handler: async ({ params, query, principal }) => {
        const { pdf, barcode } = await labels.documentLabel(params.id, query, principal);
        return pdfReply(pdf, `label-${barcode}.pdf`);
      },
    }),
    route({
      method: 'get',
      path: '/api/labels/layouts',
      access: ['mailroom'],
      tag: 'labels',
      summary: 'Label stocks that can be printed on',
      response: {
        status: 200,
        schema: z.object({ layouts: z.array(z.object({ id: z.string(), description: z.string(), perSheet: z.number(), columns: z.number(), rows: z.number() })) }),
      },
      handler: async () => ({
        layouts: listLabelLayouts().map((l) => ({ id: l.id, description: l.description, perSheet: l.perSheet, columns: l.columns, rows: l.rows })),
      }),
    }),
    route({
      method: 'post',
      path: '/api/labels/sheet',
      access: ['mailroom'],
      tag: 'labels',
      summary: 'Labels for a batch of documents (by id) and/or registered codes (documents, boxes, places) on sheets of one layout',
      body: z
        .object({
          documentIds: z.array(z.string().max(64)).max(1000).optional(),
          barcodes: z.array(z.string().max(64)).max(1000).optional(),
          layout: Layout.default('a4-3x7-70x42.3'),
          startAt: z.number().int().min(1).optional(),
          outline: z.boolean().optional().describe('draw label edges, for a test print on plain paper'),
        })
        .strict(),
      response: { status: 200, contentType: 'application/pdf' },
      handler: async ({ body, principal }) => {
        const { pdf, count } = await labels.sheet(body, principal);
        return pdfReply(pdf, `labels-${count}.pdf`, { 'X-Label-Count': String(count) });
      },
    }),
    route({
      method: 'post',
      path: '/api/labels/blank',
      access: ['mailroom'],
      tag: 'labels',
      summary: 'Reserve `count` new document codes and print them without text, to stick on paper before registering it (each code is issued once)',
      body: z.object({ count: z.number().int().min(1).max(1000), layout: Layout.default('a4-3x8-70x37'), startAt: z.number().int().min(1).optional(), outline: z.boolean().optional() }).strict(),
      response: { status: 200, contentType: 'application/pdf', description: 'The PDF; X-Batch-Id, X-Barcode-First and X-Barcode-Last name the reserved codes' },
      handler: async ({ body, principal }) => {
        const { pdf, batchId, codes } = await labels.blank(body, principal);
        return pdfReply(pdf, `blank-codes-${codes[0]}.pdf`, { 'X-Batch-Id': batchId, 'X-Barcode-First': codes[0]!, 'X-Barcode-Last': codes[codes.length - 1]! });
      },
    }),
  ];
}
