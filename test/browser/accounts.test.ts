/**
 * Accounts in the browser (issue #16), headless Chromium against a real instance and a real
 * OpenID provider on loopback: an admin creates a person who signs in with a password, works
 * and signs out; single sign-on through the provider's own login page; API tokens created
 * once-shown and revoked from the admin screen.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumPath, launchBrowser, NO_CHROMIUM, openAs, screenshot, type UiSession } from '../helpers/browser.js';
import { listenIdp, type TestIdp } from '../helpers/oidc-provider.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const skip = chromiumPath() ? false : NO_CHROMIUM;

describe('web interface: accounts', { skip }, () => {
  let app: TestApp;
  let idp: TestIdp;
  let browser: Browser;
  const sessions: UiSession[] = [];
  const open = async (role: Parameters<typeof openAs>[2], hash?: string) => {
    const s = await openAs(browser, app, role, { hash });
    sessions.push(s);
    return s;
  };
  const noErrors = (s: UiSession) => assert.deepEqual(s.errors, [], `the page logged errors: ${s.errors.join(' | ')}`);
  const signInWithForm = async (s: UiSession, username: string, password: string) => {
    await s.page.locator('#signin-username').waitFor();
    await s.page.fill('#signin-username', username);
    await s.page.fill('#signin-password', password);
    await s.page.click('#signin-submit');
  };
  const signOut = async (s: UiSession) => {
    await s.page.click('#signout');
    await s.page.locator('#signin-username').waitFor();
  };
  /** What the server says about the browser's cookie now. */
  const meStatus = async (s: UiSession) => (await s.context.request.get(`${app.url}/api/me`)).status();

  before(async () => {
    idp = await listenIdp({ olga: { name: 'Olga Oidc', groups: ['DL-CRM'] } });
    [app, browser] = await Promise.all([
      startTestApp({
        env: {
          DOSSIER_OIDC_ISSUER: idp.issuer,
          DOSSIER_OIDC_CLIENT_ID: idp.clientId,
          DOSSIER_OIDC_CLIENT_SECRET: idp.clientSecret,
          DOSSIER_OIDC_ROLE_MAP: 'DL-CRM=crm',
          DOSSIER_OIDC_LABEL: 'Bedrijfsaccount',
        },
      }),
      launchBrowser(),
    ]);
    idp.start(`${app.url}/api/auth/oidc/callback`);
  });
  after(async () => {
    for (const s of sessions) await s.context.close().catch(() => undefined);
    await browser?.close();
    await app?.close();
    await idp?.close();
  });

  it('given an admin who creates a user in the browser when that user signs in with the password then they work and sign out, and the session is gone on the server', async () => {
    const admin = await open(null);
    await signInWithForm(admin, app.logins.admin.username, app.logins.admin.password);
    await admin.page.locator('#nav a[data-path=users]').click();
    await admin.page.locator('#main[data-ready="users"]').waitFor({ state: 'attached' });
    await admin.page.fill('#user-name', 'Bram Browser');
    await admin.page.fill('#user-username', 'bram');
    await admin.page.fill('#user-password', 'bram-first-password');
    await admin.page.uncheck('#new-role-crm');
    await admin.page.check('#new-role-mailroom');
    await admin.page.click('#user-form button[type=submit]');
    await admin.page.locator('#users-table [data-user=bram]').waitFor();
    await screenshot(admin.page, 'admin-users');
    await signOut(admin);
    assert.equal(await meStatus(admin), 401, 'signed out on the server');

    const bram = await open(null);
    await signInWithForm(bram, 'bram', 'bram-first-password');
    await bram.page.locator('#nav a[data-path=paper]').click();
    await bram.page.locator('#main[data-ready="paper"]').waitFor({ state: 'attached' });
    assert.equal(await bram.page.locator('#nav a[data-path=users]').count(), 0, 'no admin screens for the mailroom');
    // A change through the UI carries the CSRF header (a register call would 403 without it).
    const apiModule = '/js/api.js';
    const res = await bram.page.evaluate(
      async (m) => ((await import(m)) as { api: (method: string, p: string, o: unknown) => Promise<unknown> }).api('POST', '/api/documents/paper', { json: { customerId: 'KL-000124', type: 'order', title: 'Door Bram' } }),
      apiModule,
    );
    assert.equal((res as { title: string }).title, 'Door Bram');
    assert.equal(await meStatus(bram), 200);
    await signOut(bram);
    assert.equal(await meStatus(bram), 401);
    noErrors(admin);
    noErrors(bram);
  });

  it('given single sign-on when a person signs in through the provider page then they land signed in with the mapped role and can sign out', async () => {
    const s = await open(null);
    await s.page.locator('#signin-sso', { hasText: 'Bedrijfsaccount' }).waitFor();
    await screenshot(s.page, 'sign-in-sso');
    await s.page.click('#signin-sso');
    // The provider's own login page (oidc-provider's development page): any login, password unchecked.
    await s.page.locator('input[name=login]').waitFor();
    await s.page.fill('input[name=login]', 'olga');
    await s.page.fill('input[name=password]', 'whatever');
    await s.page.click('button[type=submit]');
    await s.page.locator('#user .name', { hasText: 'Olga Oidc' }).waitFor();
    await s.page.locator('#nav a[data-path=customers]').waitFor();
    assert.equal(await meStatus(s), 200);
    await signOut(s);
    assert.equal(await meStatus(s), 401);
    noErrors(s);
  });

  it('given the admin token screen when a token is created then it is shown once, listed without it, and revoking it ends its use at once', async () => {
    const s = await open('admin', '#/tokens');
    await s.page.fill('#token-name', 'CRM koppeling');
    await s.page.fill('#token-days', '30');
    await s.page.click('#token-form button[type=submit]');
    const token = (await s.page.locator('#token-value').textContent())!;
    assert.match(token, /^dlt_/);
    assert.equal((await app.api('GET', '/api/me', { token })).status, 200);
    assert.ok(!(await s.page.locator('#tokens-table').textContent())!.includes(token), 'not in the list');
    await s.page.click('#tokens-table button[data-token="CRM koppeling"]');
    await s.page.locator('#tokens-table', { hasText: /ingetrokken/ }).waitFor();
    assert.equal((await app.api('GET', '/api/me', { token })).status, 401);
    await screenshot(s.page, 'admin-tokens');
    noErrors(s);
  });
});
