import { z } from 'zod';
import type { AuditService } from '../services/audit.service.js';
import { route } from './route.js';
import { SafeId } from './schemas.js';

const AuditEvent = z.object({
  seq: z.number(),
  at: z.string(),
  actorId: z.string().nullable(),
  action: z.string(),
  subjectType: z.string(),
  subjectId: z.string().nullable(),
  customerId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export function auditRoutes(audit: AuditService) {
  return [
    route({
      method: 'get',
      path: '/api/audit/verify',
      access: ['compliance'],
      tag: 'audit',
      summary: 'Walk the hash chain of the audit log; reports the first edited or deleted event',
      response: {
        status: 200,
        schema: z.object({ ok: z.boolean(), checked: z.number(), firstBadEvent: z.object({ seq: z.number(), reason: z.string() }).optional() }),
      },
      handler: async () => audit.verify(),
    }),
    route({
      method: 'get',
      path: '/api/audit',
      access: ['compliance'],
      tag: 'audit',
      summary: 'Audit events by customer, user, subject, action and time, newest first',
      query: z.object({
        customerId: SafeId.optional(),
        actorId: z.string().max(64).optional(),
        subjectId: SafeId.optional(),
        action: z.string().max(64).optional(),
        from: z.iso.datetime().or(z.iso.date()).optional(),
        to: z.iso.datetime().or(z.iso.date()).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        before: z.coerce.number().int().positive().optional(),
      }),
      response: { status: 200, schema: z.object({ events: z.array(AuditEvent), next: z.number().nullable() }) },
      handler: async ({ query }) => {
        const events = await audit.query(query, query.limit, query.before);
        return { events, next: events.length === query.limit ? events[events.length - 1].seq : null };
      },
    }),
  ];
}
