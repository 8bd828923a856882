import { randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { z } from 'zod';
import { mayAct, type Principal } from '../domain/roles.js';
import { AppError, Forbidden, Invalid, NotFound, ServiceUnavailable, TooManyRequests, Unauthorized, UnsupportedMediaType, toHttpError } from '../errors.js';
import { cookie } from './cookies.js';
import { buildOpenApi } from './openapi.js';
import { Reply, type RouteDef } from './route.js';

export type AppOptions = {
  routes: RouteDef[];
  authenticate: (token: string) => Promise<Principal | null>;
  /** Cookie sessions (issue #16): the principal of a `dl_session` cookie and its CSRF token. */
  authenticateSession?: (sessionId: string) => Promise<{ principal: Principal; csrfToken: string } | null>;
  logger: Logger;
  jsonLimitBytes: number;
  version: string;
  /** Static files for the web UI, served at `/`. */
  webRoot?: string;
  /** GDPR art. 18: checks a route's `reads` before its handler runs. */
  restriction?: { check(p: Principal, target: NonNullable<RouteDef['reads']>, params: Record<string, unknown>): Promise<void> };
};

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    principal?: Principal;
    log: Logger;
    /** Set when the request was authenticated by the session cookie. */
    session?: { id: string; csrfToken: string };
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Issues of a failed parse, in a form a client can act on. */
function issues(err: z.ZodError) {
  return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const r = schema.safeParse(value);
  if (!r.success) throw new Invalid(`Invalid ${where}: ${r.error.issues.map((i) => `${i.path.join('.') || where} ${i.message}`).join('; ')}`, issues(r.error));
  return r.data;
}

function bearer(req: Request): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : '';
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Browser security headers on every response (helmet). The web UI has no inline script or style
 * (api-docs included); PDFs and images arrive through `blob:` URLs fetched with the token, so
 * blob: is allowed for img, frame and object (Chromium's PDF viewer is a plugin: object-src).
 * No upgrade-insecure-requests and no HSTS: on-premise installs often run plain HTTP on the LAN,
 * and TLS with its HSTS policy belongs to the proxy in front. API answers are never cached: they
 * carry personal data and depend on the token.
 */
function securityHeaders() {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'blob:', 'data:'],
        frameSrc: ["'self'", 'blob:'],
        objectSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: false,
  });
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith('/api/') || req.path === '/api') res.setHeader('Cache-Control', 'no-store');
    headers(req, res, next);
  };
}

/**
 * Builds the express app from the route table. No I/O happens here: everything it needs is passed in.
 */
export function createApp(opts: AppOptions) {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  // Request id and one log line per request.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    req.id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.log = opts.logger.child({ reqId: req.id });
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      req.log.info({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms), user: req.principal?.id }, 'request');
    });
    next();
  });

  app.use(securityHeaders());

  const json = express.json({ limit: opts.jsonLimitBytes, strict: true });

  let openapi: Record<string, unknown> | undefined;
  const routes: RouteDef[] = [
    ...opts.routes,
    {
      method: 'get',
      path: '/api/openapi.json',
      access: 'any',
      tag: 'meta',
      summary: 'OpenAPI 3.1 description of every route',
      response: { status: 200, description: 'The OpenAPI document' },
      handler: async () => (openapi ??= buildOpenApi(routes, opts.version)),
    },
  ];

  for (const r of routes) {
    const handlers = [
      async (req: Request, _res: Response, next: NextFunction) => {
        if (r.access === 'public') return next();
        const token = bearer(req);
        const sessionId = token === null && opts.authenticateSession ? cookie(req, 'dl_session') : undefined;
        let principal: Principal | null;
        if (sessionId) {
          // Signed in with the session cookie: a state change must also prove it comes from our page (CSRF).
          const s = await opts.authenticateSession!(sessionId);
          if (!s) throw new Unauthorized('Your session has ended; sign in again');
          if (STATE_CHANGING.has(req.method) && !sameSecret(String(req.headers['x-csrf-token'] ?? ''), s.csrfToken)) {
            throw new AppError(403, 'csrf', 'Send the X-CSRF-Token header of your session with every change');
          }
          req.session = { id: sessionId, csrfToken: s.csrfToken };
          principal = s.principal;
        } else {
          if (token === null) throw new Unauthorized('Sign in, or send Authorization: Bearer <token>');
          principal = await opts.authenticate(token);
          if (!principal) throw new Unauthorized('The bearer token is not known, expired or revoked');
        }
        req.principal = principal;
        if (!mayAct(principal, r.access)) throw new Forbidden(`This needs one of the roles: ${[...r.access, 'admin'].join(', ')}`);
        next();
      },
      ...(r.before ?? []),
      (req: Request, res: Response, next: NextFunction) => {
        if (!r.body) return next();
        if (!req.is('application/json')) {
          throw new UnsupportedMediaType('Send the body as JSON with Content-Type: application/json');
        }
        json(req, res, next);
      },
      async (req: Request, res: Response) => {
        const params = parse(r.params, req.params, 'path');
        const query = parse(r.query, req.query ?? {}, 'query');
        const body = parse(r.body, req.body, 'body');
        if (r.reads) {
          if (!opts.restriction) throw new Error(`${r.method.toUpperCase()} ${r.path} declares what it reads but no restriction guard is configured`);
          await opts.restriction.check(req.principal!, r.reads, params as Record<string, unknown>);
        }
        const result = await r.handler({ params, query, body, principal: req.principal!, req, res });
        if (res.headersSent || res.writableEnded) return;
        if (result instanceof Reply) {
          for (const [k, v] of Object.entries(result.headers)) res.setHeader(k, v);
          res.status(result.status);
          if (Buffer.isBuffer(result.body) || result.body instanceof Uint8Array) res.send(Buffer.from(result.body as Uint8Array));
          else if (typeof result.body === 'string') res.send(result.body);
          else res.json(result.body);
          return;
        }
        res.status(r.response.status).json(result);
      },
    ];
    app[r.method](r.path, ...handlers);
  }

  if (opts.webRoot) app.use(express.static(opts.webRoot, { index: 'index.html', maxAge: '5m' }));

  app.use('/api', () => {
    throw new NotFound('route');
  });
  app.use((req: Request) => {
    throw new NotFound('page', req.path);
  });

  // The one place errors become HTTP responses.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = toHttpError(err);
    const log = req.log ?? opts.logger;
    if (status >= 500 && !(err instanceof ServiceUnavailable)) log.error({ err }, 'request failed');
    // A body nobody's client would send is worth a look (a broken scanner, a probe), not an alarm.
    else if (body.error.code === 'malformed_multipart' || err instanceof ServiceUnavailable) log.warn({ code: body.error.code, method: req.method, path: req.path }, body.error.message);
    else log.debug({ code: body.error.code }, body.error.message);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof TooManyRequests) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    if (err instanceof ServiceUnavailable) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    res.status(status).json(body);
  });

  return Object.assign(app, { routeTable: routes });
}
