import { z } from 'zod';
import { LOCATION_KINDS } from '../domain/tracking.js';
import type { LabelsService } from '../services/labels.service.js';
import type { LocationsService } from '../services/locations.service.js';
import { Reply, route } from './route.js';
import { ScannedCode } from './tracking.routes.js';
import { LabelQuery, pdfReply } from './labels.routes.js';
import { seesRestricted } from '../domain/restriction.js';

const LocationView = z
  .object({
    id: z.string(),
    barcode: z.string(),
    kind: z.enum(LOCATION_KINDS),
    name: z.string(),
    container: z.boolean().describe('a box or folder: holds documents and moves as a whole (C code)'),
    parentBarcode: z.string().nullable(),
    path: z.string(),
    holder: z.object({ id: z.string(), name: z.string() }).nullable(),
    dueBackOn: z.string().nullable(),
  })
  .meta({ id: 'Location' });

type Node = Omit<z.infer<typeof LocationView>, 'path'> & { documents: number; children: Node[] };
const LocationNode: z.ZodType<Node> = z.lazy(() =>
  LocationView.omit({ path: true }).extend({ documents: z.number(), children: z.array(LocationNode) }),
);

const BarcodeParams = z.object({ barcode: ScannedCode });
const Name = z.string().trim().min(1).max(200);

export function locationsRoutes(locations: LocationsService, labels: LabelsService) {
  return [
    route({
      method: 'post',
      path: '/api/locations',
      access: ['mailroom'],
      tag: 'locations',
      summary: 'Create a place: site → room → cabinet/rack → shelf → box/folder. Boxes and folders get a C code, the rest an L code',
      body: z.object({ name: Name, kind: z.enum(LOCATION_KINDS), parent: ScannedCode.optional().describe('barcode of the place it is in; none for a site') }).strict(),
      response: { status: 201, schema: LocationView },
      handler: async ({ body, principal }) => new Reply(201, await locations.create(body, principal)),
    }),
    route({
      method: 'get',
      path: '/api/locations',
      access: ['mailroom', 'compliance'],
      tag: 'locations',
      summary: 'Every place as a tree with document counts; boxes that are checked out are roots with their holder',
      response: { status: 200, schema: z.object({ locations: z.array(LocationNode) }) },
      handler: async () => locations.tree(),
    }),
    route({
      method: 'get',
      path: '/api/locations/:barcode',
      access: ['mailroom', 'compliance'],
      tag: 'locations',
      summary: 'A place with its path, the places and documents directly in it, and how many documents are under it',
      params: BarcodeParams,
      response: {
        status: 200,
        schema: LocationView.extend({
          children: z.array(z.object({ id: z.string(), barcode: z.string(), kind: z.string(), name: z.string(), container: z.boolean() })),
          documents: z.array(z.object({ id: z.string(), barcode: z.string().nullable(), title: z.string(), type: z.string(), customerId: z.string().nullable(), docDate: z.string().nullable(), restricted: z.boolean().optional().describe('a restricted customer\'s paper (GDPR art. 18): title and customer hidden from roles other than compliance and admin') })),
          documentsUnder: z.number(),
        }),
      },
      handler: async ({ params, principal }) => locations.get(params.barcode, !seesRestricted(principal)),
    }),
    route({
      method: 'patch',
      path: '/api/locations/:barcode',
      access: ['mailroom'],
      tag: 'locations',
      summary: 'Rename a place and/or put it in another (a recorded move: everything inside follows)',
      params: BarcodeParams,
      body: z.object({ name: Name.optional(), parent: ScannedCode.optional(), note: z.string().trim().max(500).optional() }).strict(),
      response: { status: 200, schema: LocationView },
      handler: async ({ params, body, principal }) => locations.update(params.barcode, body, principal),
    }),
    route({
      method: 'get',
      path: '/api/locations/:barcode/label.pdf',
      access: ['mailroom'],
      tag: 'labels',
      summary: 'A printable label for a shelf, box or other place',
      params: BarcodeParams,
      query: LabelQuery,
      response: { status: 200, contentType: 'application/pdf' },
      handler: async ({ params, query, principal }) => {
        const { pdf, barcode } = await labels.placeLabel(params.barcode, query, principal);
        return pdfReply(pdf, `label-${barcode}.pdf`);
      },
    }),
  ];
}
