import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN } from '../services/passwords.js';
import type { SessionsService } from '../services/sessions.service.js';
import type { UsersService } from '../services/users.service.js';
import { route } from './route.js';
import { IdParams, RoleSchema } from './schemas.js';

export const Username = z.string().trim().regex(/^[A-Za-z0-9._@-]{2,64}$/, 'must be 2 to 64 letters, digits, or . _ @ -');
export const Password = z.string().min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`).max(PASSWORD_MAX);

const NewUser = z
  .object({ name: z.string().trim().min(1).max(200), roles: z.array(RoleSchema).min(1), username: Username.optional(), password: Password.optional() })
  .strict()
  .refine((u) => (u.username === undefined) === (u.password === undefined), { message: 'give username and password together, or neither (then a token is made)', path: ['password'] });
const User = z.object({ id: z.string(), name: z.string(), roles: z.array(RoleSchema) });
const UserView = User.extend({ username: z.string().nullable(), sso: z.boolean(), password: z.boolean(), disabled: z.boolean(), createdAt: z.string() });
const UserChange = z
  .object({ name: z.string().trim().min(1).max(200).optional(), roles: z.array(RoleSchema).min(1).optional(), password: Password.optional(), disabled: z.boolean().optional() })
  .strict();

export function usersRoutes(users: UsersService, sessions?: SessionsService) {
  return [
    route({
      method: 'post',
      path: '/api/users',
      access: ['admin'],
      tag: 'users',
      summary: 'Create a user: with username and password a person who signs in; otherwise the token is shown once',
      body: NewUser,
      response: { status: 201, schema: User.extend({ token: z.string().optional(), username: z.string().optional() }) },
      handler: async ({ body, principal }) => users.create(body, principal.id),
    }),
    route({
      method: 'get',
      path: '/api/users',
      access: ['admin'],
      tag: 'users',
      summary: 'List users (never their tokens or passwords)',
      response: { status: 200, schema: z.object({ users: z.array(UserView) }) },
      handler: async () => ({ users: await users.list() }),
    }),
    route({
      method: 'get',
      path: '/api/users/directory',
      access: ['mailroom', 'crm', 'compliance'],
      tag: 'users',
      summary: 'Names of the people paper can be checked out to (ids and names only)',
      response: { status: 200, schema: z.object({ users: z.array(z.object({ id: z.string(), name: z.string() })) }) },
      handler: async () => ({ users: (await users.list()).filter((u) => !u.disabled).map((u) => ({ id: u.id, name: u.name })) }),
    }),
    route({
      method: 'get',
      path: '/api/me',
      access: 'any',
      tag: 'users',
      summary: 'Who is signed in (cookie or bearer), with roles; a cookie session also gets its CSRF token',
      response: { status: 200, schema: User.extend({ via: z.string().optional(), csrfToken: z.string().optional() }) },
      handler: async ({ principal, req }) => ({ ...principal, ...(req.session ? { csrfToken: req.session.csrfToken } : {}) }),
    }),
    ...(sessions
      ? [
          route({
            method: 'patch',
            path: '/api/users/:id',
            access: ['admin'],
            tag: 'users',
            summary: 'Change a user: name, roles, a new password (reset; signs out everywhere), disabled',
            params: IdParams,
            body: UserChange,
            response: { status: 200, schema: UserView },
            handler: async ({ params, body, principal }) => users.update(params.id, body, principal),
          }),
          route({
            method: 'delete',
            path: '/api/users/:id/sessions',
            access: ['admin'],
            tag: 'users',
            summary: "Sign a user out everywhere: every session of the user ends now",
            params: IdParams,
            response: { status: 200, schema: z.object({ revoked: z.number() }) },
            handler: async ({ params, principal }) => ({ revoked: await sessions.revokeAllOf(params.id, principal) }),
          }),
        ]
      : []),
  ];
}
