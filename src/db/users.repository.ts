import type { Queryable } from './database.js';

export type UserRow = { id: string; name: string; roles: string; token_hash: string; created_at: string; disabled_at: string | null };

export const usersRepository = {
  byTokenHash(q: Queryable, tokenHash: string) {
    return q.get<UserRow>('SELECT * FROM users WHERE token_hash = ? AND disabled_at IS NULL', [tokenHash]);
  },
  get(q: Queryable, id: string) {
    return q.get<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
  },
  list(q: Queryable) {
    return q.all<UserRow>('SELECT * FROM users ORDER BY created_at');
  },
  insert(q: Queryable, u: { id: string; name: string; roles: string[]; tokenHash: string; now: string }) {
    return q.run('INSERT INTO users (id, name, roles, token_hash, created_at) VALUES (?, ?, ?, ?, ?)', [
      u.id,
      u.name,
      JSON.stringify(u.roles),
      u.tokenHash,
      u.now,
    ]);
  },
  count(q: Queryable) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM users').then((r) => r?.n ?? 0);
  },
};
