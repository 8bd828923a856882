import { z } from 'zod';
import type { HealthService } from '../services/health.service.js';
import { Reply, route } from './route.js';

const HealthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  role: z.enum(['all', 'api', 'worker']).optional(),
  database: z.object({ dialect: z.enum(['sqlite', 'postgres']), reachable: z.boolean(), error: z.string().optional() }).optional(),
  objectStore: z.object({ kind: z.enum(['local', 's3']), reachable: z.boolean(), error: z.string().optional() }).optional(),
  queue: z.object({ queued: z.number().int(), running: z.number().int(), failed: z.number().int() }).nullable().optional(),
  draining: z.boolean().optional(),
  activeJobs: z.number().int().optional(),
});

export function metaRoutes(version: string, health?: HealthService) {
  return [
    route({
      method: 'get',
      path: '/api/health',
      access: 'public',
      tag: 'meta',
      summary: 'Readiness: the service answers, with its role, database, object store and queue depth; 503 when a dependency is down or a worker drains',
      response: { status: 200, schema: HealthSchema },
      handler: async () => {
        if (!health) return { status: 'ok' as const, version };
        const h = await health.check();
        return h.status === 'ok' ? h : new Reply(503, h);
      },
    }),
  ];
}
