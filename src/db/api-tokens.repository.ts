import type { Queryable } from './database.js';

export type ApiTokenRow = {
  id: string;
  name: string;
  roles: string;
  token_hash: string;
  created_by: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
};

/** Named API tokens for integrations (issue #16). Only the token's hash is stored. */
export const apiTokensRepository = {
  insert(q: Queryable, t: Omit<ApiTokenRow, 'last_used_at' | 'revoked_at' | 'revoked_by'>) {
    return q.run('INSERT INTO api_tokens (id, name, roles, token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      t.id,
      t.name,
      t.roles,
      t.token_hash,
      t.created_by,
      t.created_at,
      t.expires_at,
    ]);
  },
  byHash(q: Queryable, tokenHash: string) {
    return q.get<ApiTokenRow>('SELECT * FROM api_tokens WHERE token_hash = ?', [tokenHash]);
  },
  get(q: Queryable, id: string) {
    return q.get<ApiTokenRow>('SELECT * FROM api_tokens WHERE id = ?', [id]);
  },
  list(q: Queryable) {
    return q.all<ApiTokenRow>('SELECT * FROM api_tokens ORDER BY created_at DESC, id DESC');
  },
  touch(q: Queryable, id: string, at: string) {
    return q.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [at, id]);
  },
  revoke(q: Queryable, id: string, at: string, by: string) {
    return q.run('UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL', [at, by, id]).then((r) => r.changes > 0);
  },
};
