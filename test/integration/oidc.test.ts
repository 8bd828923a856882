import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OidcService, rolesFromClaim } from '../../src/services/oidc.service.js';
import { CookieJar, listenIdp, type TestIdp } from '../helpers/oidc-provider.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * Single sign-on against a real OpenID provider (oidc-provider) on loopback: the full round
 * trip through the HTTP redirects, as a browser makes it, with fetch and a cookie jar.
 */
async function ssoSignIn(t: TestApp, login: string): Promise<{ jar: CookieJar; landing: Response }> {
  const jar = new CookieJar();
  const start = await jar.fetch(`${t.url}/api/auth/oidc/login`);
  assert.equal(start.status, 302);
  let url = start.headers.get('location')!;
  const auth = new URL(url);
  assert.equal(auth.searchParams.get('code_challenge_method'), 'S256', 'PKCE');
  assert.ok(auth.searchParams.get('state') && auth.searchParams.get('nonce'));
  // The provider's side: its redirects to the login page, the form, back to the app.
  for (let hop = 0; hop < 10; hop++) {
    if (url.startsWith(t.url)) break;
    let res = await jar.fetch(url);
    if (res.status === 200) {
      const html = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      assert.ok(action, `a login form at ${url}`);
      const target = new URL(action.replace(/&amp;/g, '&'), url).href;
      res = await jar.fetch(target, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ prompt: 'login', login, password: 'not checked by the dev login page' }).toString() });
    }
    assert.ok([302, 303].includes(res.status), `redirect expected at ${url}, got ${res.status}`);
    url = new URL(res.headers.get('location')!, url).href;
  }
  assert.ok(url.startsWith(`${t.url}/api/auth/oidc/callback?`), url);
  const landing = await jar.fetch(url);
  return { jar, landing };
}

describe(OidcService.name, () => {
  let t: TestApp;
  let idp: TestIdp;
  before(async () => {
    idp = await listenIdp({
      olga: { name: 'Olga Oidc', email: 'olga@example.test', groups: ['DL-Compliance', 'Staff'] },
      piet: { name: 'Piet Zonder Rol', groups: ['Staff'] },
    });
    t = await startTestApp({
      env: {
        DOSSIER_OIDC_ISSUER: idp.issuer,
        DOSSIER_OIDC_CLIENT_ID: idp.clientId,
        DOSSIER_OIDC_CLIENT_SECRET: idp.clientSecret,
        DOSSIER_OIDC_ROLE_MAP: 'DL-Mailroom=mailroom,DL-CRM=crm,DL-Compliance=compliance,DL-Admin=admin',
        DOSSIER_OIDC_LABEL: 'Company sign-in',
        // As behind a TLS-terminating proxy: the cookie must be Secure although this hop is http.
        DOSSIER_COOKIE_SECURE: 'on',
      },
    });
    idp.start(`${t.url}/api/auth/oidc/callback`);
  });
  after(async () => {
    await t.close();
    await idp.close();
  });

  it('given groups in a claim when mapped then only the known ones become roles', () => {
    assert.deepEqual(rolesFromClaim(['Staff', 'DL-CRM', 'DL-Admin'], { 'DL-CRM': 'crm', 'DL-Admin': 'admin' }), ['crm', 'admin']);
    assert.deepEqual(rolesFromClaim('DL-CRM Staff', { 'DL-CRM': 'crm' }), ['crm']);
    assert.deepEqual(rolesFromClaim(undefined, { 'DL-CRM': 'crm' }), []);
  });

  it('given SSO configured when the sign-in page asks then it offers the button', async () => {
    const cfg = (await (await t.api('GET', '/api/auth/config')).json()) as { sso: { label: string; url: string } | null };
    assert.deepEqual(cfg.sso, { label: 'Company sign-in', url: '/api/auth/oidc/login' });
  });

  it('given a person at the provider when signing in through the redirects then a user is created with the mapped role and a session cookie works', async () => {
    const { jar, landing } = await ssoSignIn(t, 'olga');
    assert.equal(landing.status, 302);
    assert.equal(landing.headers.get('location'), '/#/');
    const session = jar.get(t.url, 'dl_session');
    assert.ok(session, 'session cookie set');
    const setCookie = landing.headers.getSetCookie().find((c) => c.startsWith('dl_session='))!;
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /; Secure/, 'DOSSIER_COOKIE_SECURE=on');
    const me = await t.api('GET', '/api/me', { headers: { cookie: `dl_session=${session}` } });
    assert.equal(me.status, 200);
    const who = (await me.json()) as { id: string; name: string; roles: string[]; via: string; csrfToken: string };
    assert.equal(who.name, 'Olga Oidc');
    assert.deepEqual(who.roles, ['compliance']);
    assert.equal(who.via, 'sso');
    assert.equal((await t.api('GET', '/api/audit/verify', { headers: { cookie: `dl_session=${session}` } })).status, 200, 'works as compliance');

    // The second sign-in finds the same user, not a new one.
    const again = await ssoSignIn(t, 'olga');
    const second = (await (await t.api('GET', '/api/me', { headers: { cookie: `dl_session=${again.jar.get(t.url, 'dl_session')}` } })).json()) as { id: string };
    assert.equal(second.id, who.id);
    const users = (await (await t.api('GET', '/api/users', { as: 'admin' })).json()) as { users: { name: string; sso: boolean }[] };
    assert.equal(users.users.filter((u) => u.name === 'Olga Oidc').length, 1);
    assert.equal(users.users.find((u) => u.name === 'Olga Oidc')!.sso, true);
    const audit = await t.dl.db.all<{ details: string }>("SELECT details FROM audit_events WHERE action = 'session.create' AND actor_id = ?", [who.id]);
    assert.equal(audit.length, 2);
    assert.equal(JSON.parse(audit[0].details).via, 'sso');
  });

  it('given a person without a mapped group when signing in then no user and no session, and the app says why', async () => {
    const { jar, landing } = await ssoSignIn(t, 'piet');
    assert.equal(landing.status, 302);
    assert.equal(landing.headers.get('location'), '/?sso_error=no_role#/');
    assert.equal(jar.get(t.url, 'dl_session'), undefined);
    const users = (await (await t.api('GET', '/api/users', { as: 'admin' })).json()) as { users: { name: string }[] };
    assert.ok(!users.users.some((u) => u.name === 'Piet Zonder Rol'));
  });

  it('given a callback that this browser did not start when it arrives then it is refused', async () => {
    const jar = new CookieJar();
    const res = await jar.fetch(`${t.url}/api/auth/oidc/callback?code=stolen&state=made-up`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/?sso_error=sso_state#/');
    assert.equal(jar.get(t.url, 'dl_session'), undefined);
  });
});
