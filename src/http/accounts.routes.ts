import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { ApiTokensService } from '../services/api-tokens.service.js';
import type { OidcService } from '../services/oidc.service.js';
import { SESSION_COOKIE, type SessionsService } from '../services/sessions.service.js';
import type { SignInService } from '../services/sign-in.service.js';
import { cookie } from './cookies.js';
import { Reply, route } from './route.js';
import { RoleSchema, SafeId } from './schemas.js';

const SignIn = z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1024) }).strict();
const User = z.object({ id: z.string(), name: z.string(), roles: z.array(RoleSchema) });
const NewToken = z.object({ name: z.string().trim().min(1).max(200), roles: z.array(RoleSchema).min(1), expiresInDays: z.number().int().min(1).max(3650).optional() }).strict();
const Token = z.object({
  id: z.string(),
  name: z.string(),
  roles: z.array(RoleSchema),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});
const OIDC_STATE_COOKIE = 'dl_oidc';
const CALLBACK = '/api/auth/oidc/callback';

export type AccountsDeps = {
  signIn: SignInService;
  sessions: SessionsService;
  apiTokens: ApiTokensService;
  oidc?: OidcService;
  cookieSecure: Config['accounts']['cookieSecure'];
};

/** Sign-in with a password or single sign-on, sign-out, and API tokens (issue #16). */
export function accountsRoutes(d: AccountsDeps) {
  const secure = (req: Request) => (d.cookieSecure === 'auto' ? req.secure : d.cookieSecure === 'on');
  const setSession = (req: Request, res: Response, sessionId: string, expiresAt: string) =>
    res.cookie(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'strict', secure: secure(req), path: '/', expires: new Date(expiresAt) });
  const clearSession = (req: Request, res: Response) => res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: secure(req), path: '/' });
  const address = (req: Request) => req.ip ?? req.socket.remoteAddress ?? null;

  return [
    route({
      method: 'post',
      path: '/api/session',
      access: 'public',
      tag: 'accounts',
      summary: 'Sign in with username and password: sets the HttpOnly session cookie and returns the CSRF token',
      body: SignIn,
      response: { status: 200, schema: z.object({ user: User, csrfToken: z.string() }) },
      handler: async ({ body, req, res }) => {
        const s = await d.signIn.signIn(body, address(req));
        setSession(req, res, s.sessionId, s.expiresAt);
        return { user: { id: s.principal.id, name: s.principal.name, roles: s.principal.roles }, csrfToken: s.csrfToken };
      },
    }),
    route({
      method: 'delete',
      path: '/api/session',
      access: 'any',
      tag: 'accounts',
      summary: 'Sign out: the session ends on the server and the cookie is cleared',
      response: { status: 204 },
      handler: async ({ req, res, principal }) => {
        if (req.session) await d.sessions.revoke(req.session.id, principal);
        clearSession(req, res);
        return new Reply(204, '');
      },
    }),
    route({
      method: 'delete',
      path: '/api/sessions',
      access: 'any',
      tag: 'accounts',
      summary: 'Sign out everywhere: every session of the signed-in user ends',
      response: { status: 200, schema: z.object({ revoked: z.number() }) },
      handler: async ({ req, res, principal }) => {
        const revoked = await d.sessions.revokeAllOf(principal.id, principal);
        if (req.session) clearSession(req, res);
        return { revoked };
      },
    }),
    route({
      method: 'get',
      path: '/api/auth/config',
      access: 'public',
      tag: 'accounts',
      summary: 'How one may sign in here: password, and single sign-on when configured',
      response: { status: 200, schema: z.object({ password: z.boolean(), sso: z.object({ label: z.string(), url: z.string() }).nullable() }) },
      handler: async () => ({ password: true, sso: d.oidc ? { label: d.oidc.label, url: '/api/auth/oidc/login' } : null }),
    }),
    // Only served when single sign-on is configured, so the OpenAPI document says whether it is.
    ...(d.oidc ? oidcRoutes(d.oidc, setSession, secure, address) : []),
    route({
      method: 'post',
      path: '/api/tokens',
      access: ['admin'],
      tag: 'accounts',
      summary: 'Create a named API token for an integration; the token is shown once',
      body: NewToken,
      response: { status: 201, schema: Token.extend({ token: z.string() }) },
      handler: async ({ body, principal }) => d.apiTokens.create(body, principal),
    }),
    route({
      method: 'get',
      path: '/api/tokens',
      access: ['admin'],
      tag: 'accounts',
      summary: 'List API tokens with status and last use (never the tokens)',
      response: { status: 200, schema: z.object({ tokens: z.array(Token) }) },
      handler: async () => ({ tokens: await d.apiTokens.list() }),
    }),
    route({
      method: 'delete',
      path: '/api/tokens/:id',
      access: ['admin'],
      tag: 'accounts',
      summary: 'Revoke an API token: its next request gets 401',
      params: z.object({ id: SafeId }),
      response: { status: 200, schema: Token },
      handler: async ({ params, principal }) => d.apiTokens.revoke(params.id, principal),
    }),
  ];
}

function oidcRoutes(
  oidc: OidcService,
  setSession: (req: Request, res: Response, sessionId: string, expiresAt: string) => void,
  secure: (req: Request) => boolean,
  address: (req: Request) => string | null,
) {
  return [
    route({
      method: 'get',
      path: '/api/auth/oidc/login',
      access: 'public',
      tag: 'accounts',
      summary: 'Starts single sign-on: redirects to the identity provider (authorization code with PKCE)',
      response: { status: 302, description: 'Redirect to the identity provider' },
      handler: async ({ req, res }) => {
        const { url, state } = await oidc.begin(`${req.protocol}://${req.get('host')}${CALLBACK}`);
        // Lax, not Strict: the browser comes back from the provider by a cross-site redirect.
        res.cookie(OIDC_STATE_COOKIE, state, { httpOnly: true, sameSite: 'lax', secure: secure(req), path: CALLBACK, maxAge: 10 * 60_000 });
        return new Reply(302, '', { Location: url, 'Cache-Control': 'no-store' });
      },
    }),
    route({
      method: 'get',
      path: CALLBACK,
      access: 'public',
      tag: 'accounts',
      summary: 'Where the identity provider sends the browser back; signs in and redirects to the app',
      response: { status: 302, description: 'Redirect to the web app, signed in (or with ?sso_error=code)' },
      handler: async ({ req, res }) => {
        const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
        res.clearCookie(OIDC_STATE_COOKIE, { path: CALLBACK });
        try {
          const s = await oidc.complete(query, cookie(req, OIDC_STATE_COOKIE), address(req));
          setSession(req, res, s.sessionId, s.expiresAt);
          return new Reply(302, '', { Location: '/#/', 'Cache-Control': 'no-store' });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          return new Reply(302, '', { Location: `/?sso_error=${encodeURIComponent(err.code)}#/`, 'Cache-Control': 'no-store' });
        }
      },
    }),
  ];
}
