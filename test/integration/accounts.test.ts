import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeClock } from '../../src/services/clock.js';
import { SignInService } from '../../src/services/sign-in.service.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startServerProcess } from '../helpers/server-process.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Err = { error: { code: string; message: string } };
const json = async <T>(res: Response) => (await res.json()) as T;

/**
 * Accounts (issue #16) over HTTP: password sign-in with a session cookie, CSRF, sign-out on the
 * server, throttling with 429, API tokens with a life cycle, admin changes to users, four eyes
 * by person, and files for the owner only. A fake clock moves sessions past their timeouts.
 */
describe(SignInService.name, () => {
  let t: TestApp;
  const clock = fakeClock('2026-11-30T09:00:00Z');
  before(async () => {
    t = await startTestApp({
      clock,
      env: { DOSSIER_SESSION_IDLE_MINUTES: '30', DOSSIER_SESSION_MAX_HOURS: '8', DOSSIER_SIGNIN_LIMIT: '5', DOSSIER_SIGNIN_ADDRESS_LIMIT: '12', DOSSIER_SIGNIN_DELAY_MS: '60' },
    });
  });
  after(() => t.close());

  describe('password sign-in', () => {
    it('given a demo user when signing in then 200 with user and CSRF token and an HttpOnly SameSite=Strict cookie; GET /api/me works with the cookie', async () => {
      const res = await t.api('POST', '/api/session', { json: t.logins.crm });
      assert.equal(res.status, 200);
      const body = await json<{ user: { name: string; roles: string[] }; csrfToken: string }>(res);
      assert.equal(body.user.name, 'Chris (CRM user)');
      assert.deepEqual(body.user.roles, ['crm']);
      const setCookie = res.headers.get('set-cookie')!;
      assert.match(setCookie, /^dl_session=[A-Za-z0-9_-]{40,};/);
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Strict/);
      assert.doesNotMatch(setCookie, /Secure/, 'plain http on loopback: no Secure flag in auto mode');
      const cookie = /^dl_session=[^;]+/.exec(setCookie)![0];
      const me = await t.api('GET', '/api/me', { headers: { cookie } });
      assert.equal(me.status, 200);
      const who = await json<{ name: string; via: string; csrfToken: string }>(me);
      assert.equal(who.name, 'Chris (CRM user)');
      assert.equal(who.via, 'password');
      assert.equal(who.csrfToken, body.csrfToken, 'a reloaded page gets its CSRF token back');
      // Only a hash of the session id is stored.
      const rows = await t.dl.db.all<{ id_hash: string }>('SELECT id_hash FROM sessions');
      assert.ok(rows.length >= 1);
      assert.ok(!rows.some((r) => cookie.includes(r.id_hash)));
    });

    it('given an unknown user and a wrong password when signing in then both get the same 401 invalid_credentials and both are audited', async () => {
      const unknown = await t.api('POST', '/api/session', { json: { username: 'nobody', password: 'whatever-123' } });
      const wrong = await t.api('POST', '/api/session', { json: { username: 'cora', password: 'not-her-password' } });
      assert.equal(unknown.status, 401);
      assert.equal(wrong.status, 401);
      assert.deepEqual(await json(unknown), await json(wrong));
      const fails = await t.dl.db.all<{ details: string }>("SELECT details FROM audit_events WHERE action = 'session.fail' ORDER BY seq");
      const reasons = fails.map((f) => JSON.parse(f.details) as { username: string; reason: string });
      assert.ok(reasons.some((r) => r.username === 'nobody' && r.reason === 'unknown_user'));
      assert.ok(reasons.some((r) => r.username === 'cora' && r.reason === 'wrong_password'));
      assert.ok(!fails.some((f) => f.details.includes('not-her-password')), 'no password in the audit log');
      // Success clears the account's count, so the later tests start clean.
      await t.signIn('compliance');
    });

    it('given a cookie session when changing state without X-CSRF-Token then 403 csrf; with it the change goes through; a bearer token needs none', async () => {
      const s = await t.signIn('crm');
      const without = await t.api('PUT', '/api/customers/KL-000123', { session: s, csrf: false, json: { name: 'Bakkerij De Gouden Korst B.V.' } });
      assert.equal(without.status, 403);
      assert.equal((await json<Err>(without)).error.code, 'csrf');
      const forged = await t.api('PUT', '/api/customers/KL-000123', { session: s, csrf: false, headers: { 'x-csrf-token': 'forged' }, json: { name: 'X' } });
      assert.equal((await json<Err>(forged)).error.code, 'csrf');
      const ok = await t.api('PUT', '/api/customers/KL-000123', { session: s, json: { name: 'Bakkerij De Gouden Korst B.V.' } });
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal((await t.api('GET', '/api/customers/KL-000123', { session: s, csrf: false })).status, 200, 'reads need no CSRF header');
      assert.equal((await t.api('PUT', '/api/customers/KL-000123', { as: 'crm', json: { name: 'Bakkerij De Gouden Korst B.V.' } })).status, 200);
    });

    it('given a session when signing out then 204 and the same cookie gets 401 on the next request', async () => {
      const s = await t.signIn('mailroom');
      assert.equal((await t.api('GET', '/api/me', { session: s })).status, 200);
      const out = await t.api('DELETE', '/api/session', { session: s });
      assert.equal(out.status, 204);
      assert.match(out.headers.get('set-cookie') ?? '', /dl_session=;/);
      const again = await t.api('GET', '/api/me', { session: s });
      assert.equal(again.status, 401);
      assert.equal((await json<Err>(again)).error.code, 'unauthorized');
    });

    it('given a session when idle past the idle timeout then 401; an active one ends at the absolute timeout', async () => {
      const idle = await t.signIn('crm');
      clock.set(new Date(clock.now().getTime() + 29 * 60_000));
      assert.equal((await t.api('GET', '/api/me', { session: idle })).status, 200, 'still within 30 minutes');
      clock.set(new Date(clock.now().getTime() + 29 * 60_000));
      assert.equal((await t.api('GET', '/api/me', { session: idle })).status, 200, 'the last request restarted the idle time');
      clock.set(new Date(clock.now().getTime() + 31 * 60_000));
      assert.equal((await t.api('GET', '/api/me', { session: idle })).status, 401, 'idle for 31 minutes');

      const busy = await t.signIn('crm');
      for (let h = 0; h < 16; h++) {
        clock.set(new Date(clock.now().getTime() + 29 * 60_000));
        assert.equal((await t.api('GET', '/api/me', { session: busy })).status, 200, `active after ${(h + 1) * 29} minutes`);
      }
      clock.set(new Date(clock.now().getTime() + 29 * 60_000));
      assert.equal((await t.api('GET', '/api/me', { session: busy })).status, 401, 'past 8 hours however active');
    });

    it('given two sessions of a user when signing out everywhere then both end; an admin can do it for a user', async () => {
      const a = await t.signIn('compliance');
      const b = await t.signIn('compliance');
      const res = await t.api('DELETE', '/api/sessions', { session: a });
      assert.equal(res.status, 200);
      assert.ok((await json<{ revoked: number }>(res)).revoked >= 2);
      assert.equal((await t.api('GET', '/api/me', { session: b })).status, 401);

      const c = await t.signIn('compliance');
      const byAdmin = await t.api('DELETE', `/api/users/${c.user.id}/sessions`, { as: 'admin' });
      assert.equal(byAdmin.status, 200);
      assert.equal((await t.api('GET', '/api/me', { session: c })).status, 401);
      assert.equal((await t.api('DELETE', `/api/users/${c.user.id}/sessions`, { as: 'crm' })).status, 403);
    });
  });

  describe('brute force', () => {
    it('given wrong passwords for one account when repeated then they are slowed, then 429 with Retry-After, a lock-out in the audit log, also for the right password', async () => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const res = await t.api('POST', '/api/session', { json: { username: 'mila', password: `guess-${i}-wrong` }, headers: { 'x-forwarded-for': '1' } });
        times.push(Date.now() - started);
        assert.equal(res.status, 401);
      }
      assert.ok(times[4] >= 120, `the fifth try waited ${times[4]} ms (at least 2 x 60 ms)`);
      const locked = await t.api('POST', '/api/session', { json: t.logins.mailroom });
      assert.equal(locked.status, 429);
      assert.equal((await json<Err>(locked)).error.code, 'too_many_attempts');
      const retry = Number(locked.headers.get('retry-after'));
      assert.ok(retry > 0 && retry <= 15 * 60, `Retry-After ${retry}`);
      const lockouts = await t.dl.db.all<{ details: string }>("SELECT details FROM audit_events WHERE action = 'session.lockout'");
      assert.ok(lockouts.some((l) => JSON.parse(l.details).username === 'mila'));
      assert.equal((await t.api('POST', '/api/session', { json: t.logins.crm })).status, 200, 'another account from the same address is not locked yet');
      clock.set(new Date(clock.now().getTime() + (retry + 1) * 1000));
      assert.equal((await t.api('POST', '/api/session', { json: t.logins.mailroom })).status, 200, 'the window has passed');
    });

    it('given wrong passwords for many accounts from one address then the address gets 429', async () => {
      let last: Response | undefined;
      for (let i = 0; i < 13; i++) {
        last = await t.api('POST', '/api/session', { json: { username: `spray-${i}`, password: 'Winter2026!' } });
        if (last.status === 429) break;
      }
      assert.equal(last!.status, 429);
      assert.ok(Number(last!.headers.get('retry-after')) > 0);
      assert.equal((await t.api('POST', '/api/session', { json: t.logins.admin })).status, 429, 'the address is blocked, even with a right password');
      clock.set(new Date(clock.now().getTime() + 16 * 60_000));
      assert.equal((await t.api('POST', '/api/session', { json: t.logins.admin })).status, 200);
    });
  });

  describe('users', () => {
    it('given an admin when creating a person with a password then they sign in; a reset signs them out and the old password fails; disabled they cannot sign in', async () => {
      const created = await t.api('POST', '/api/users', { as: 'admin', json: { name: 'Nina Nieuw', roles: ['mailroom'], username: 'Nina', password: 'first-password-1' } });
      assert.equal(created.status, 201, await created.clone().text());
      const nina = await json<{ id: string; username: string; token?: string }>(created);
      assert.equal(nina.username, 'nina');
      assert.equal(nina.token, undefined, 'a person gets no token');
      const s = await t.signIn({ username: 'NINA', password: 'first-password-1' });
      assert.deepEqual(s.user.roles, ['mailroom']);
      assert.equal((await t.api('POST', '/api/users', { as: 'admin', json: { name: 'Twin', roles: ['crm'], username: 'nina', password: 'another-password' } })).status, 409);
      assert.equal((await t.api('POST', '/api/users', { as: 'admin', json: { name: 'Half', roles: ['crm'], username: 'half' } })).status, 400);
      assert.equal((await t.api('POST', '/api/users', { as: 'admin', json: { name: 'Short', roles: ['crm'], username: 'short', password: 'short' } })).status, 400);

      const roles = await t.api('PATCH', `/api/users/${nina.id}`, { as: 'admin', json: { roles: ['mailroom', 'crm'] } });
      assert.equal(roles.status, 200);
      assert.deepEqual((await json<{ roles: string[] }>(await t.api('GET', '/api/me', { session: s }))).roles, ['mailroom', 'crm'], 'roles change at once');

      assert.equal((await t.api('PATCH', `/api/users/${nina.id}`, { as: 'admin', json: { password: 'second-password-2' } })).status, 200);
      assert.equal((await t.api('GET', '/api/me', { session: s })).status, 401, 'a reset signs out everywhere');
      assert.equal((await t.api('POST', '/api/session', { json: { username: 'nina', password: 'first-password-1' } })).status, 401);
      const s2 = await t.signIn({ username: 'nina', password: 'second-password-2' });

      assert.equal((await t.api('PATCH', `/api/users/${nina.id}`, { as: 'admin', json: { disabled: true } })).status, 200);
      assert.equal((await t.api('GET', '/api/me', { session: s2 })).status, 401, 'disabled: signed out');
      const denied = await t.api('POST', '/api/session', { json: { username: 'nina', password: 'second-password-2' } });
      assert.equal(denied.status, 401);
      assert.equal((await json<Err>(denied)).error.code, 'invalid_credentials', 'same answer as a wrong password');
      const list = await json<{ users: { username: string | null; disabled: boolean; password: boolean }[] }>(await t.api('GET', '/api/users', { as: 'admin' }));
      const row = list.users.find((u) => u.username === 'nina')!;
      assert.equal(row.disabled, true);
      assert.equal(row.password, true);
      assert.ok(!JSON.stringify(list).includes('argon2'), 'no hashes in the list');
      const directory = await json<{ users: { name: string }[] }>(await t.api('GET', '/api/users/directory', { as: 'mailroom' }));
      assert.ok(!directory.users.some((u) => u.name === 'Nina Nieuw'), 'paper is not checked out to a disabled person');
    });

    it('given an admin when disabling themselves or dropping their own admin role then 409 own_account', async () => {
      const ada = await t.signIn('admin');
      for (const change of [{ disabled: true }, { roles: ['crm'] }]) {
        const res = await t.api('PATCH', `/api/users/${ada.user.id}`, { session: ada, json: change });
        assert.equal(res.status, 409);
        assert.equal((await json<Err>(res)).error.code, 'own_account');
      }
      assert.equal((await t.api('GET', '/api/me', { session: ada })).status, 200);
    });

    it('given the token case of POST /api/users then it still answers with a token that works', async () => {
      const res = await t.api('POST', '/api/users', { as: 'admin', json: { name: 'Script user', roles: ['crm'] } });
      assert.equal(res.status, 201);
      const u = await json<{ token: string }>(res);
      assert.match(u.token, /^dl_/);
      assert.equal((await t.api('GET', '/api/me', { token: u.token })).status, 200);
    });
  });

  describe('API tokens', () => {
    it('given an admin when creating a token then it is shown once, works with its roles, shows its last use, and after revocation its next request gets 401', async () => {
      const res = await t.api('POST', '/api/tokens', { as: 'admin', json: { name: 'CRM sync', roles: ['crm'], expiresInDays: 30 } });
      assert.equal(res.status, 201, await res.clone().text());
      const tok = await json<{ id: string; token: string; expiresAt: string; lastUsedAt: string | null }>(res);
      assert.match(tok.token, /^dlt_/);
      assert.equal(tok.lastUsedAt, null);
      assert.equal((await t.api('GET', '/api/customers/KL-000123/dossier', { token: tok.token })).status, 200);
      assert.equal((await t.api('GET', '/api/jobs', { token: tok.token })).status, 403, 'only its roles');
      const listed = await json<{ tokens: { id: string; lastUsedAt: string | null; status: string; token?: string }[] }>(await t.api('GET', '/api/tokens', { as: 'admin' }));
      const mine = listed.tokens.find((x) => x.id === tok.id)!;
      assert.ok(mine.lastUsedAt, 'last use recorded');
      assert.equal(mine.status, 'active');
      assert.ok(!JSON.stringify(listed).includes(tok.token), 'never listed');
      const del = await t.api('DELETE', `/api/tokens/${tok.id}`, { as: 'admin' });
      assert.equal(del.status, 200);
      assert.equal((await json<{ status: string }>(del)).status, 'revoked');
      const after = await t.api('GET', '/api/customers/KL-000123/dossier', { token: tok.token });
      assert.equal(after.status, 401);
      assert.equal((await t.api('DELETE', '/api/tokens/tok_nope', { as: 'admin' })).status, 404);
      assert.equal((await t.api('POST', '/api/tokens', { as: 'crm', json: { name: 'x', roles: ['admin'] } })).status, 403);
    });

    it('given a token with an expiry when the clock passes it then 401', async () => {
      const tok = await json<{ token: string }>(await t.api('POST', '/api/tokens', { as: 'admin', json: { name: 'Short-lived', roles: ['crm'], expiresInDays: 1 } }));
      assert.equal((await t.api('GET', '/api/me', { token: tok.token })).status, 200);
      clock.set(new Date(clock.now().getTime() + 86_400_000 + 1000));
      assert.equal((await t.api('GET', '/api/me', { token: tok.token })).status, 401);
    });
  });

  describe('files', () => {
    it('given a data dir when opened then the directory is 0700 and the database files 0600', async () => {
      assert.equal((await stat(t.dataDir)).mode & 0o777, 0o700);
      // On PostgreSQL there is no database file in the data dir; the rest is the same.
      const dbFiles = t.dl.db.dialect === 'sqlite' ? ['dossierlink.sqlite', 'dossierlink.sqlite-wal'] : [];
      for (const f of [...dbFiles, 'demo-tokens.json']) {
        assert.equal((await stat(path.join(t.dataDir, f))).mode & 0o777, 0o600, f);
      }
      assert.equal((await stat(path.join(t.dataDir, 'objects'))).mode & 0o077, 0, 'object store closed to others');
    });
  });

  describe('log', () => {
    it('given the service outside demo mode when tokens are made and used then no token or password reaches its output', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-log-'));
      const admin = 'log-test-admin-token-0123456789';
      const server = await startServerProcess({ DOSSIER_DATA_DIR: dir, DOSSIER_DEMO: 'off', DOSSIER_ADMIN_TOKEN: admin, DOSSIER_INBOX: 'off', DOSSIER_OCR_WORKERS: '1', DOSSIER_LOG_LEVEL: 'debug' });
      try {
        const call = (method: string, p: string, body?: unknown, token = admin) =>
          fetch(server.url + p, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
        const tok = (await (await call('POST', '/api/tokens', { name: 'Log check', roles: ['crm'] })).json()) as { token: string };
        const user = (await (await call('POST', '/api/users', { name: 'Log user', roles: ['crm'] })).json()) as { token: string };
        await call('POST', '/api/users', { name: 'Log person', roles: ['crm'], username: 'logperson', password: 'log-person-password' });
        await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'logperson', password: 'log-person-password' }) });
        assert.equal((await call('GET', '/api/me', undefined, tok.token)).status, 200);
        assert.equal((await call('GET', '/api/me', undefined, user.token)).status, 200);
        const out = server.output();
        assert.match(out, /"path":"\/api\/me"/, 'requests are logged');
        for (const secret of [admin, tok.token, user.token, 'log-person-password']) assert.ok(!out.includes(secret), `${secret.slice(0, 6)}… is not in the output`);
      } finally {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
