import type { Queryable } from './database.js';

export type UserRow = {
  id: string;
  name: string;
  roles: string;
  token_hash: string;
  created_at: string;
  disabled_at: string | null;
  username: string | null;
  password_hash: string | null;
  sso_subject: string | null;
  credentials_by: string | null;
};

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
  byUsername(q: Queryable, username: string) {
    return q.get<UserRow>('SELECT * FROM users WHERE username = ?', [username]);
  },
  bySsoSubject(q: Queryable, subject: string) {
    return q.get<UserRow>('SELECT * FROM users WHERE sso_subject = ?', [subject]);
  },
  /** A person who signs in (issue #16): a password or an SSO subject instead of a shown token. */
  insertPerson(
    q: Queryable,
    u: { id: string; name: string; roles: string[]; tokenHash: string; now: string; username: string | null; passwordHash: string | null; ssoSubject: string | null; credentialsBy: string | null },
  ) {
    return q.run(
      'INSERT INTO users (id, name, roles, token_hash, created_at, username, password_hash, sso_subject, credentials_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [u.id, u.name, JSON.stringify(u.roles), u.tokenHash, u.now, u.username, u.passwordHash, u.ssoSubject, u.credentialsBy],
    );
  },
  setSignIn(q: Queryable, id: string, username: string, passwordHash: string, credentialsBy: string | null) {
    return q.run('UPDATE users SET username = ?, password_hash = ?, credentials_by = ? WHERE id = ?', [username, passwordHash, credentialsBy, id]);
  },
  setCredentialsBy(q: Queryable, id: string, by: string | null) {
    return q.run('UPDATE users SET credentials_by = ? WHERE id = ?', [by, id]);
  },
  update(q: Queryable, id: string, set: { name?: string; roles?: string[]; passwordHash?: string; credentialsBy?: string | null; disabledAt?: string | null }) {
    const cols: string[] = [];
    const vals: unknown[] = [];
    if (set.name !== undefined) (cols.push('name = ?'), vals.push(set.name));
    if (set.roles !== undefined) (cols.push('roles = ?'), vals.push(JSON.stringify(set.roles)));
    if (set.passwordHash !== undefined) (cols.push('password_hash = ?'), vals.push(set.passwordHash));
    if (set.credentialsBy !== undefined) (cols.push('credentials_by = ?'), vals.push(set.credentialsBy));
    if (set.disabledAt !== undefined) (cols.push('disabled_at = ?'), vals.push(set.disabledAt));
    if (!cols.length) return Promise.resolve({ changes: 0, lastID: 0 });
    return q.run(`UPDATE users SET ${cols.join(', ')} WHERE id = ?`, [...vals, id]);
  },
  /**
   * An account and everyone who set its credentials, transitively (users.credentials_by, the
   * creator of an API token). Ids that are no account (the operator, the CLI) are left out.
   */
  credentialChain(q: Queryable, id: string) {
    return q
      .all<{ id: string }>(
        `WITH RECURSIVE chain(id) AS (
           SELECT CAST(? AS TEXT)
           UNION SELECT x.next FROM chain c JOIN (
             SELECT u.id, u.credentials_by AS next FROM users u WHERE u.credentials_by IS NOT NULL
             UNION ALL SELECT t.id, t.created_by FROM api_tokens t WHERE t.created_by IS NOT NULL
           ) AS x ON x.id = c.id
         )
         SELECT id FROM chain WHERE id IN (SELECT id FROM users) OR id IN (SELECT id FROM api_tokens)`,
        [id],
      )
      .then((rows) => rows.map((r) => r.id));
  },
};
