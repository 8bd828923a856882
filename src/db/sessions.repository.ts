import type { Queryable } from './database.js';
import type { UserRow } from './users.repository.js';

export type SessionRow = {
  id_hash: string;
  user_id: string;
  via: 'password' | 'sso';
  address: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
};

/** Server-side sessions and the failed sign-ins that throttle password guessing (issue #16). */
export const sessionsRepository = {
  insert(q: Queryable, s: Omit<SessionRow, 'revoked_at'>) {
    return q.run('INSERT INTO sessions (id_hash, user_id, via, address, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      s.id_hash,
      s.user_id,
      s.via,
      s.address,
      s.created_at,
      s.last_seen_at,
      s.expires_at,
    ]);
  },
  /** The session with its user, or nothing. */
  withUser(q: Queryable, idHash: string) {
    type Joined = SessionRow & { u_id: string; u_name: string; u_roles: string; u_disabled_at: string | null };
    return q
      .get<Joined>(
        `SELECT s.*, u.id AS u_id, u.name AS u_name, u.roles AS u_roles, u.disabled_at AS u_disabled_at
           FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`,
        [idHash],
      )
      .then((r) => {
        if (!r) return undefined;
        const { u_id, u_name, u_roles, u_disabled_at, ...s } = r;
        const user: Pick<UserRow, 'id' | 'name' | 'roles' | 'disabled_at'> = { id: u_id, name: u_name, roles: u_roles, disabled_at: u_disabled_at };
        return { ...s, user };
      });
  },
  touch(q: Queryable, idHash: string, at: string) {
    return q.run('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND revoked_at IS NULL', [at, idHash]);
  },
  revoke(q: Queryable, idHash: string, at: string) {
    return q.run('UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL', [at, idHash]);
  },
  revokeAllOf(q: Queryable, userId: string, at: string) {
    return q.run('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [at, userId]).then((r) => r.changes);
  },
  /** Sessions that can no longer be used, kept a while for the record, then dropped. */
  purge(q: Queryable, before: string) {
    return q.run('DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?', [before, before]);
  },

  addFailure(q: Queryable, key: string, at: string) {
    return q.run('INSERT INTO sign_in_failures (key, at) VALUES (?, ?)', [key, at]);
  },
  /** Times of the failures of a key since a moment, oldest first. */
  failuresSince(q: Queryable, key: string, since: string) {
    return q.all<{ at: string }>('SELECT at FROM sign_in_failures WHERE key = ? AND at > ? ORDER BY at', [key, since]).then((r) => r.map((x) => x.at));
  },
  clearFailures(q: Queryable, key: string) {
    return q.run('DELETE FROM sign_in_failures WHERE key = ?', [key]);
  },
  purgeFailures(q: Queryable, before: string) {
    return q.run('DELETE FROM sign_in_failures WHERE at < ?', [before]);
  },
};
