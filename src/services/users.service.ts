import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.js';
import { usersRepository, type UserRow } from '../db/users.repository.js';
import { newId } from '../domain/ids.js';
import type { Principal, Role } from '../domain/roles.js';
import { Conflict, NotFound } from '../errors.js';
import type { ApiTokensService } from './api-tokens.service.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { hashPassword } from './passwords.js';
import type { SessionsService } from './sessions.service.js';
import { normaliseUsername } from './sign-in.service.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export type UserView = Principal & { username: string | null; sso: boolean; password: boolean; disabled: boolean; createdAt: string };

const toPrincipal = (row: UserRow, via: Principal['via']): Principal => ({ id: row.id, name: row.name, roles: JSON.parse(row.roles) as Role[], via });

/** The principals that are the operator, not a person in the application (bootstrap token, CLI, demo seed, system jobs). */
const OPERATOR_IDS = new Set(['admin-token', 'cli', 'demo-seed', 'system']);

/**
 * Users and their credentials. A user is a person: a bearer token (shown once; only its hash is
 * stored), or since issue #16 a username with a password, or an SSO subject. Integration
 * tokens live in ApiTokensService and are checked here too, so one `authenticate` serves all.
 */
export class UsersService {
  private readonly adminTokenHash?: Buffer;
  /** Set after construction: the two services need each other (disabling signs out). */
  sessions?: SessionsService;
  apiTokens?: ApiTokensService;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    adminToken?: string,
  ) {
    if (adminToken) this.adminTokenHash = Buffer.from(hashToken(adminToken), 'hex');
  }

  async authenticate(token: string): Promise<Principal | null> {
    if (!token) return null;
    const h = hashToken(token);
    if (this.adminTokenHash && timingSafeEqual(this.adminTokenHash, Buffer.from(h, 'hex'))) {
      return { id: 'admin-token', name: 'Bootstrap admin', roles: ['admin'], via: 'operator' };
    }
    const row = await usersRepository.byTokenHash(this.db, h);
    if (row) return toPrincipal(row, 'user-token');
    return (await this.apiTokens?.authenticate(h)) ?? null;
  }

  /**
   * Creates a user. Without a password: a bearer token, shown once (the original behaviour).
   * With username and password: a person who signs in; no token.
   */
  async create(
    input: { name: string; roles: Role[]; username?: string; password?: string },
    actorId: string | null,
  ): Promise<Principal & { token?: string; username?: string }> {
    const id = newId('usr', this.clock.now().getTime());
    const roles = [...new Set(input.roles)];
    const credentialsBy = actorId && !OPERATOR_IDS.has(actorId) ? actorId : null;
    if (input.username !== undefined && input.password !== undefined) {
      const username = normaliseUsername(input.username);
      const passwordHash = await hashPassword(input.password);
      await this.db.tx(async (q) => {
        if (await usersRepository.byUsername(q, username)) throw new Conflict(`The username ${JSON.stringify(username)} is taken`, undefined, 'username_taken');
        // The token hash column is NOT NULL: a random token nobody ever sees.
        const tokenHash = hashToken(randomBytes(32).toString('base64url'));
        await usersRepository.insertPerson(q, { id, name: input.name, roles, tokenHash, now: nowIso(this.clock), username, passwordHash, ssoSubject: null, credentialsBy });
        await this.audit.record(q, { actorId, action: 'user.create', subjectType: 'user', subjectId: id, details: { roles, username } });
      });
      return { id, name: input.name, roles, username };
    }
    const token = `dl_${randomBytes(24).toString('base64url')}`;
    await this.db.tx(async (q) => {
      await usersRepository.insert(q, { id, name: input.name, roles, tokenHash: hashToken(token), now: nowIso(this.clock) });
      if (credentialsBy) await usersRepository.setCredentialsBy(q, id, credentialsBy);
      await this.audit.record(q, { actorId, action: 'user.create', subjectType: 'user', subjectId: id, details: { roles } });
    });
    return { id, name: input.name, roles, token };
  }

  /** Gives an existing user a username and password (the demo users, who also keep their tokens; the CLI). */
  async addPasswordSignIn(id: string, rawUsername: string, password: string, actorId: string | null): Promise<void> {
    const username = normaliseUsername(rawUsername);
    const passwordHash = await hashPassword(password);
    const hadPassword = await this.db.tx(async (q) => {
      const row = await usersRepository.get(q, id);
      if (!row) throw new NotFound('user', id);
      const other = await usersRepository.byUsername(q, username);
      if (other && other.id !== id) throw new Conflict(`The username ${JSON.stringify(username)} is taken`, undefined, 'username_taken');
      await usersRepository.setSignIn(q, id, username, passwordHash, actorId && !OPERATOR_IDS.has(actorId) ? actorId : null);
      await this.audit.record(q, { actorId, action: 'user.update', subjectType: 'user', subjectId: id, details: { username, passwordReset: true } });
      return Boolean(row.password_hash);
    });
    if (hadPassword) await this.sessions?.revokeAllOf(id, { id: actorId ?? 'system', name: 'Operator', roles: ['admin'] });
  }

  /** A person from single sign-on: found by issuer and subject, created on first sign-in; roles follow the identity provider. */
  async fromSso(subject: string, name: string, roles: Role[]): Promise<{ principal: Principal; created: boolean; disabled: boolean }> {
    return this.db.tx(async (q) => {
      const row = await usersRepository.bySsoSubject(q, subject);
      if (row) {
        if (JSON.stringify(JSON.parse(row.roles)) !== JSON.stringify(roles) || row.name !== name) {
          await usersRepository.update(q, row.id, { roles, name });
          await this.audit.record(q, { actorId: row.id, action: 'user.update', subjectType: 'user', subjectId: row.id, details: { roles, by: 'sso' } });
        }
        return { principal: { id: row.id, name, roles, via: 'sso' }, created: false, disabled: Boolean(row.disabled_at) };
      }
      const id = newId('usr', this.clock.now().getTime());
      const tokenHash = hashToken(randomBytes(32).toString('base64url'));
      await usersRepository.insertPerson(q, { id, name, roles, tokenHash, now: nowIso(this.clock), username: null, passwordHash: null, ssoSubject: subject, credentialsBy: null });
      await this.audit.record(q, { actorId: id, action: 'user.create', subjectType: 'user', subjectId: id, details: { roles, via: 'sso' } });
      return { principal: { id, name, roles, via: 'sso' as const }, created: true, disabled: false };
    });
  }

  /**
   * An admin changes a user: name, roles, a new password (reset), disabled or enabled. A reset
   * or a disable signs the user out everywhere; the admin who sets a password becomes the one
   * who controls it (four eyes counts them as one person).
   */
  async update(id: string, input: { name?: string; roles?: Role[]; password?: string; disabled?: boolean }, actor: Principal): Promise<UserView> {
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
    await this.db.tx(async (q) => {
      const row = await usersRepository.get(q, id);
      if (!row) throw new NotFound('user', id);
      // An admin who locks themselves out needs the operator; a slip of the mouse should not do that.
      if (id === actor.id && (input.disabled || (input.roles && !input.roles.includes('admin') && JSON.parse(row.roles).includes('admin')))) {
        throw new Conflict('You cannot disable yourself or take away your own admin role; ask another admin', undefined, 'own_account');
      }
      if (passwordHash && !row.username) throw new Conflict('This user has no username to sign in with; create a user with username and password instead', undefined, 'no_username');
      const now = nowIso(this.clock);
      await usersRepository.update(q, id, {
        name: input.name,
        roles: input.roles ? [...new Set(input.roles)] : undefined,
        passwordHash,
        credentialsBy: passwordHash ? (OPERATOR_IDS.has(actor.id) ? null : actor.id) : undefined,
        disabledAt: input.disabled === undefined ? undefined : input.disabled ? (row.disabled_at ?? now) : null,
      });
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'user.update',
        subjectType: 'user',
        subjectId: id,
        details: { name: input.name, roles: input.roles, passwordReset: Boolean(passwordHash), disabled: input.disabled },
      });
    });
    if (passwordHash || input.disabled) await this.sessions?.revokeAllOf(id, actor);
    return (await this.view(id))!;
  }

  async view(id: string): Promise<UserView | null> {
    const row = await usersRepository.get(this.db, id);
    return row ? toView(row) : null;
  }

  async get(id: string): Promise<Principal | null> {
    const row = await usersRepository.get(this.db, id);
    return row ? { id: row.id, name: row.name, roles: JSON.parse(row.roles) as Role[] } : null;
  }

  async list(): Promise<UserView[]> {
    return (await usersRepository.list(this.db)).map(toView);
  }

  /** An account and everyone who set its credentials, transitively: one person for four eyes. */
  credentialChain(id: string): Promise<string[]> {
    return usersRepository.credentialChain(this.db, id);
  }
}

function toView(r: UserRow): UserView {
  return {
    id: r.id,
    name: r.name,
    roles: JSON.parse(r.roles) as Role[],
    username: r.username,
    sso: Boolean(r.sso_subject),
    password: Boolean(r.password_hash),
    disabled: Boolean(r.disabled_at),
    createdAt: r.created_at,
  };
}
