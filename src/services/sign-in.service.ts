import type { Database } from '../db/database.js';
import { sessionsRepository } from '../db/sessions.repository.js';
import { usersRepository } from '../db/users.repository.js';
import type { Principal, Role } from '../domain/roles.js';
import { AppError, TooManyRequests } from '../errors.js';
import type { AuditService } from './audit.service.js';
import type { Clock } from './clock.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { SessionsService } from './sessions.service.js';

export type ThrottleRules = { limit: number; addressLimit: number; windowMs: number; delayMs: number };

/** Failures before each further one is slowed down. */
const FREE_FAILURES = 3;
const MAX_DELAY_MS = 10_000;

/**
 * What throttling says about the next attempt, from the failures in the window (oldest first).
 * Pure, so the unit test needs no clock. `retryAfterMs` is when enough failures leave the window.
 */
export function throttle(failures: string[], limit: number, windowMs: number, delayMs: number, now: Date): { blocked: boolean; retryAfterMs: number; delayMs: number } {
  if (failures.length >= limit) {
    const freeing = failures[failures.length - limit];
    return { blocked: true, retryAfterMs: Math.max(1000, Date.parse(freeing) + windowMs - now.getTime()), delayMs: 0 };
  }
  const over = failures.length - FREE_FAILURES + 1;
  return { blocked: false, retryAfterMs: 0, delayMs: over > 0 ? Math.min(MAX_DELAY_MS, over * delayMs) : 0 };
}

export const normaliseUsername = (u: string) => u.trim().normalize('NFKC').toLowerCase();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Password sign-in (issue #16). Throttling counts failures in SQLite rather than in an
 * in-memory rate limiter: the per-account key comes from the body, only failures count, the
 * count survives a restart, and the injectable clock drives the window in tests.
 */
export class SignInService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly sessions: SessionsService,
    private readonly clock: Clock,
    private readonly rules: ThrottleRules,
  ) {}

  async signIn(input: { username: string; password: string }, address: string | null) {
    const username = normaliseUsername(input.username);
    const keys = { user: `user:${username}`, addr: `addr:${address ?? 'unknown'}` };
    const now = this.clock.now();
    const since = new Date(now.getTime() - this.rules.windowMs).toISOString();
    const [userFailures, addrFailures] = await Promise.all([
      sessionsRepository.failuresSince(this.db, keys.user, since),
      sessionsRepository.failuresSince(this.db, keys.addr, since),
    ]);
    const byUser = throttle(userFailures, this.rules.limit, this.rules.windowMs, this.rules.delayMs, now);
    const byAddr = throttle(addrFailures, this.rules.addressLimit, this.rules.windowMs, this.rules.delayMs, now);
    if (byUser.blocked || byAddr.blocked) {
      const seconds = Math.ceil(Math.max(byUser.retryAfterMs, byAddr.retryAfterMs) / 1000);
      throw new TooManyRequests(`Too many failed sign-ins; try again in ${seconds} s`, seconds);
    }
    const wait = Math.max(byUser.delayMs, byAddr.delayMs);
    if (wait) await sleep(wait);

    const row = username ? await usersRepository.byUsername(this.db, username) : undefined;
    const ok = row?.password_hash ? await verifyPassword(row.password_hash, input.password) : await verifyAgainstDummy(input.password);
    if (!ok || !row || row.disabled_at) {
      await this.db.tx(async (q) => {
        const at = this.clock.now().toISOString();
        await sessionsRepository.addFailure(q, keys.user, at);
        await sessionsRepository.addFailure(q, keys.addr, at);
        await sessionsRepository.purgeFailures(q, new Date(now.getTime() - 2 * this.rules.windowMs).toISOString());
        // The typed name is recorded (it is how an attack shows), never the password.
        const details = { username: username.slice(0, 200), address, reason: !row ? 'unknown_user' : row.disabled_at ? 'disabled' : 'wrong_password' };
        await this.audit.record(q, { actorId: row?.id ?? null, action: 'session.fail', subjectType: 'user', subjectId: row?.id ?? null, details });
        const lockedUser = userFailures.length + 1 === this.rules.limit;
        const lockedAddr = addrFailures.length + 1 === this.rules.addressLimit;
        if (lockedUser || lockedAddr) {
          await this.audit.record(q, { actorId: null, action: 'session.lockout', subjectType: 'user', subjectId: row?.id ?? null, details: { username: details.username, address, by: lockedUser ? 'account' : 'address', minutes: Math.round(this.rules.windowMs / 60_000) } });
        }
      });
      throw new AppError(401, 'invalid_credentials', 'Unknown username or wrong password');
    }
    const principal: Principal = { id: row.id, name: row.name, roles: JSON.parse(row.roles) as Role[], via: 'password' };
    const session = await this.sessions.start(row.id, 'password', address);
    await this.db.tx(async (q) => {
      await sessionsRepository.clearFailures(q, keys.user);
      await this.audit.record(q, { actorId: row.id, action: 'session.create', subjectType: 'user', subjectId: row.id, details: { via: 'password', address } });
    });
    return { principal, ...session };
  }
}
