import { z } from 'zod';
import type { UsersService } from '../services/users.service.js';
import { route } from './route.js';
import { RoleSchema } from './schemas.js';

const NewUser = z.object({ name: z.string().trim().min(1).max(200), roles: z.array(RoleSchema).min(1) }).strict();
const User = z.object({ id: z.string(), name: z.string(), roles: z.array(RoleSchema) });

export function usersRoutes(users: UsersService) {
  return [
    route({
      method: 'post',
      path: '/api/users',
      access: ['admin'],
      tag: 'users',
      summary: 'Create a user; the token is shown once',
      body: NewUser,
      response: { status: 201, schema: User.extend({ token: z.string() }) },
      handler: async ({ body, principal }) => users.create(body, principal.id),
    }),
    route({
      method: 'get',
      path: '/api/users',
      access: ['admin'],
      tag: 'users',
      summary: 'List users (never their tokens)',
      response: { status: 200, schema: z.object({ users: z.array(User) }) },
      handler: async () => ({ users: await users.list() }),
    }),
    route({
      method: 'get',
      path: '/api/users/directory',
      access: ['mailroom', 'crm', 'compliance'],
      tag: 'users',
      summary: 'Names of the people paper can be checked out to (ids and names only)',
      response: { status: 200, schema: z.object({ users: z.array(z.object({ id: z.string(), name: z.string() })) }) },
      handler: async () => ({ users: (await users.list()).map((u) => ({ id: u.id, name: u.name })) }),
    }),
    route({
      method: 'get',
      path: '/api/me',
      access: 'any',
      tag: 'users',
      summary: 'Who the token belongs to and its roles',
      response: { status: 200, schema: User },
      handler: async ({ principal }) => principal,
    }),
  ];
}
