import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { seedDemo } from '../../src/demo/demo-seed.js';
import { openDossierlink, type Dossierlink } from '../../src/dossierlink.js';
import type { Role } from '../../src/domain/roles.js';
import type { Clock } from '../../src/services/clock.js';
import { freshPgDatabase } from './postgres.js';
import { listen } from '../../src/http/server.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export type TestSession = { cookie: string; csrfToken: string; user: { id: string; name: string; roles: Role[] } };

export type TestApp = {
  dl: Dossierlink;
  url: string;
  dataDir: string;
  tokens: Record<Role | 'compliance2', string>;
  /** The demo users' usernames and passwords (issue #16), by role. */
  logins: Record<Role | 'compliance2', { username: string; password: string }>;
  /** Signs in with a password; `api(…, { session })` then sends the cookie (and the CSRF header unless `csrf: false`). */
  signIn(who: Role | 'compliance2' | { username: string; password: string }): Promise<TestSession>;
  /** fetch against the app with a role's token (or none) and a JSON body. */
  api(
    method: string,
    p: string,
    opts?: { as?: Role | 'compliance2' | null; token?: string; session?: TestSession; csrf?: boolean; json?: unknown; body?: BodyInit; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
};

/**
 * A real instance on a temp data dir with the demo data, listening on a free loopback port.
 * Always `close()` it in an `after` hook.
 */
export async function startTestApp(opts: { env?: Record<string, string>; clock?: Clock; demo?: boolean } = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'dossierlink-test-'));
  // In the PostgreSQL pass every app gets a database of its own on the run's server.
  const pgUrl = opts.env?.DOSSIER_DATABASE_URL ? null : await freshPgDatabase();
  const config = loadConfig({
    ...(pgUrl ? { DOSSIER_DATABASE_URL: pgUrl, DOSSIER_AUDIT_KEY: 'test-audit-key-for-the-postgresql-pass-0123456789' } : {}),
    DOSSIER_DATA_DIR: dataDir,
    DOSSIER_LOG_LEVEL: 'silent',
    DOSSIER_ADMIN_TOKEN: ADMIN_TOKEN,
    DOSSIER_INBOX: 'off',
    ...opts.env,
  });
  const dl = await openDossierlink(config, { clock: opts.clock });
  const seeded = opts.demo === false ? [] : await seedDemo(dl);
  const byRole = (r: Role, nth = 0) => seeded.filter((t) => t.roles.includes(r))[nth]?.token ?? '';
  const tokens = {
    mailroom: byRole('mailroom'),
    crm: byRole('crm'),
    compliance: byRole('compliance'),
    compliance2: byRole('compliance', 1),
    admin: byRole('admin') || ADMIN_TOKEN,
  };
  const loginOf = (r: Role, nth = 0) => {
    const u = seeded.filter((t) => t.roles.includes(r))[nth];
    return { username: u?.username ?? '', password: u?.password ?? '' };
  };
  const logins = { mailroom: loginOf('mailroom'), crm: loginOf('crm'), compliance: loginOf('compliance'), compliance2: loginOf('compliance', 1), admin: loginOf('admin') };
  const server: Server = await listen(dl.app, 0, '127.0.0.1');
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    dl,
    url,
    dataDir,
    tokens,
    logins,
    async signIn(who) {
      const creds = typeof who === 'string' ? logins[who] : who;
      const res = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(creds) });
      if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { csrfToken: string; user: TestSession['user'] };
      const cookie = /^dl_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0] ?? '';
      return { cookie, csrfToken: body.csrfToken, user: body.user };
    },
    async api(method, p, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.session) {
        headers.cookie = o.session.cookie;
        if (o.csrf !== false) headers['x-csrf-token'] = o.session.csrfToken;
      }
      const token = o.token ?? (o.as ? tokens[o.as] : undefined);
      if (token !== undefined && o.as !== null) headers.authorization = `Bearer ${token}`;
      let body = o.body;
      if (o.json !== undefined) {
        body = JSON.stringify(o.json);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(url + p, { method, headers, body });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await dl.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
