import { z } from 'zod';
import { route } from './route.js';

export function metaRoutes(version: string) {
  return [
    route({
      method: 'get',
      path: '/api/health',
      access: 'public',
      tag: 'meta',
      summary: 'Liveness: the service answers',
      response: { status: 200, schema: z.object({ status: z.literal('ok'), version: z.string() }) },
      handler: async () => ({ status: 'ok' as const, version }),
    }),
  ];
}
