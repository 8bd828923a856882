import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RateLimited } from '../errors.js';

/**
 * A per-user limit (express-rate-limit, in-memory window per process), keyed by the signed-in
 * user, not the address: users behind one office NAT do not share a budget. Mounted after
 * authentication (a route's `before`). A refused request gets 429 `rate_limited` with
 * `Retry-After` and the draft-7 `RateLimit` headers.
 *
 *     route({ …, before: [perUserRateLimit({ name: 'search', limit: 60, windowMs: 60_000 })] })
 */
export function perUserRateLimit(opts: { name: string; limit: number; windowMs: number }): RequestHandler {
  return rateLimit({
    windowMs: opts.windowMs,
    limit: opts.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `${opts.name}:${req.principal?.id ?? 'anonymous'}`,
    handler: (_req, res, next) =>
      next(
        new RateLimited(`Too many ${opts.name} requests: at most ${opts.limit} per ${Math.round(opts.windowMs / 1000)} s; try again in ${res.getHeader('Retry-After') ?? 'a few'} s`, {
          limit: opts.limit,
          windowSeconds: Math.round(opts.windowMs / 1000),
        }),
      ),
  });
}
