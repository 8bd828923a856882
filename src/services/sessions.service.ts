import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.js';
import { sessionsRepository } from '../db/sessions.repository.js';
import type { Principal, Role } from '../domain/roles.js';
import type { AuditService } from './audit.service.js';
import type { Clock } from './clock.js';

export const SESSION_COOKIE = 'dl_session';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * The CSRF token of a session: derived from the session id, which only the browser (in an
 * HttpOnly cookie) and this request know. Nothing to store; it dies with the session.
 */
export function csrfFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('dossierlink csrf').digest('base64url');
}

/** Session timing rules, kept pure for the unit test with a fake clock. */
export function sessionState(s: { last_seen_at: string; expires_at: string; revoked_at: string | null }, now: Date, idleMs: number): 'active' | 'revoked' | 'expired' | 'idle' {
  if (s.revoked_at) return 'revoked';
  if (now.getTime() >= Date.parse(s.expires_at)) return 'expired';
  if (now.getTime() - Date.parse(s.last_seen_at) >= idleMs) return 'idle';
  return 'active';
}

/** Writing last_seen on every request would make each read a write; a minute's precision is enough. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Server-side sessions (issue #16). The cookie holds a random id; the table holds its hash, so
 * a copy of the database does not sign anyone in. Idle and absolute timeouts; revocation is a
 * row update, seen by the next request.
 */
export class SessionsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly opts: { idleMs: number; maxMs: number },
  ) {}

  async start(userId: string, via: 'password' | 'sso', address: string | null): Promise<{ sessionId: string; csrfToken: string; expiresAt: string }> {
    const sessionId = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.opts.maxMs).toISOString();
    await this.db.tx(async (q) => {
      await sessionsRepository.insert(q, { id_hash: sha256(sessionId), user_id: userId, via, address, created_at: now.toISOString(), last_seen_at: now.toISOString(), expires_at: expiresAt });
      // Old rows go when new ones come: no timer needed, and the table stays small.
      await sessionsRepository.purge(q, new Date(now.getTime() - 30 * 86_400_000).toISOString());
    });
    return { sessionId, csrfToken: csrfFor(sessionId), expiresAt };
  }

  /** The principal of a session cookie, or null when it is unknown, revoked, idle, expired or its user disabled. */
  async resolve(sessionId: string): Promise<{ principal: Principal; csrfToken: string } | null> {
    if (!sessionId || sessionId.length > 200) return null;
    const idHash = sha256(sessionId);
    const s = await sessionsRepository.withUser(this.db, idHash);
    if (!s || s.user.disabled_at) return null;
    const now = this.clock.now();
    if (sessionState(s, now, this.opts.idleMs) !== 'active') return null;
    if (now.getTime() - Date.parse(s.last_seen_at) >= TOUCH_EVERY_MS) await sessionsRepository.touch(this.db, idHash, now.toISOString());
    return { principal: { id: s.user.id, name: s.user.name, roles: JSON.parse(s.user.roles) as Role[], via: s.via }, csrfToken: csrfFor(sessionId) };
  }

  /** Signs one session out (the cookie's). */
  async revoke(sessionId: string, actor: Principal): Promise<void> {
    await this.db.tx(async (q) => {
      const r = await sessionsRepository.revoke(q, sha256(sessionId), this.clock.now().toISOString());
      if (r.changes) await this.audit.record(q, { actorId: actor.id, action: 'session.revoke', subjectType: 'user', subjectId: actor.id, details: {} });
    });
  }

  /** "Sign out everywhere": every session of a user, by the user or by an admin. */
  async revokeAllOf(userId: string, actor: Principal): Promise<number> {
    return this.db.tx(async (q) => {
      const n = await sessionsRepository.revokeAllOf(q, userId, this.clock.now().toISOString());
      await this.audit.record(q, { actorId: actor.id, action: 'session.revoke-all', subjectType: 'user', subjectId: userId, details: { sessions: n } });
      return n;
    });
  }
}
