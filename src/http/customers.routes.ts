import { z } from 'zod';
import type { CustomersService } from '../services/customers.service.js';
import { Reply, route } from './route.js';
import { CustomerSchema, DocumentSchema, StatusVariableSchema } from './schemas.js';

// Customer numbers come from the CRM; the configured pattern is checked in the service.
const CustomerParams = z.object({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a customer number') });
const CustomerBody = z
  .object({
    name: z.string().trim().min(1).max(300),
    kvk: z.string().regex(/^\d{8}$/, 'a KvK number has 8 digits').nullable().optional(),
    email: z.email().max(300).nullable().optional(),
    address: z.string().max(500).nullable().optional(),
    postcode: z.string().max(20).nullable().optional(),
    city: z.string().max(200).nullable().optional(),
    attributes: z.record(z.string(), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()])).optional(),
  })
  .strict();

export function customersRoutes(customers: CustomersService) {
  return [
    route({
      method: 'put',
      path: '/api/customers/:id',
      access: ['crm'],
      tag: 'customers',
      summary: 'Create or update a customer by CRM number (the CRM is leading)',
      params: CustomerParams,
      body: CustomerBody,
      response: { status: 200, schema: CustomerSchema, description: '200 when updated, 201 when created' },
      handler: async ({ params, body, principal }) => {
        const { customer, created } = await customers.upsert(params.id, body, principal);
        return new Reply(created ? 201 : 200, customer);
      },
    }),
    route({
      method: 'get',
      path: '/api/customers',
      access: 'any',
      tag: 'customers',
      summary: 'Find customers by number, name, KvK or postcode',
      query: z.object({ q: z.string().max(200).default(''), limit: z.coerce.number().int().min(1).max(100).default(20) }),
      response: { status: 200, schema: z.object({ customers: z.array(CustomerSchema) }) },
      handler: async ({ query }) => ({ customers: await customers.search(query.q, query.limit) }),
    }),
    route({
      method: 'get',
      path: '/api/customers/:id',
      access: 'any',
      tag: 'customers',
      summary: 'The customer',
      params: CustomerParams,
      response: { status: 200, schema: CustomerSchema },
      handler: async ({ params }) => customers.get(params.id),
    }),
    route({
      method: 'get',
      path: '/api/customers/:id/dossier',
      access: ['crm', 'compliance'],
      tag: 'customers',
      summary: 'The whole dossier: digital and paper documents newest first, and status variables (audited)',
      params: CustomerParams,
      response: {
        status: 200,
        schema: z.object({ customer: CustomerSchema, documents: z.array(DocumentSchema), statuses: z.array(StatusVariableSchema) }),
      },
      reads: { customer: 'id' },
      handler: async ({ params, principal }) => customers.dossier(params.id, principal),
    }),
  ];
}
