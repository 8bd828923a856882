/**
 * GDPR art. 18 in the web interface: a reply coupon of a restricted customer scanned by the
 * mailroom is held, and the screen says so in the user's language without naming the customer;
 * compliance finds the held coupon in its review queue. Headless Chromium against a real instance.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumPath, launchBrowser, NO_CHROMIUM, openAs, type UiSession } from '../helpers/browser.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const skip = chromiumPath() ? false : NO_CHROMIUM;
const RESTRICTED = 'KL-000123';

describe('web interface: held reply coupons (GDPR art. 18)', { skip }, () => {
  let app: TestApp;
  let browser: Browser;
  let code: string;
  const sessions: UiSession[] = [];
  const as = async (role: Parameters<typeof openAs>[2], hash?: string) => {
    const s = await openAs(browser, app, role, { hash });
    sessions.push(s);
    return s;
  };
  const noErrors = (s: UiSession) => assert.deepEqual(s.errors, [], `the page logged errors: ${s.errors.join(' | ')}`);

  before(async () => {
    [app, browser] = await Promise.all([startTestApp(), launchBrowser()]);
    const m = await app.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Winteractie', customerIds: [RESTRICTED, 'KL-000124'] } });
    assert.equal(m.status, 201);
    code = ((await m.json()) as { letters: { customerId: string; barcode: string }[] }).letters.find((l) => l.customerId === RESTRICTED)!.barcode;
    const r = await app.api('POST', `/api/customers/${RESTRICTED}/restriction`, { as: 'compliance', json: { restricted: true, reason: 'Customer contests the accuracy of the data' } });
    assert.equal(r.status, 200);
  });
  after(async () => {
    for (const s of sessions) await s.context.close().catch(() => undefined);
    await browser?.close();
    await app?.close();
  });

  it('given a restricted customer\'s coupon when the mailroom scans it then the log says it is held, in Dutch and in English, and names no customer', async () => {
    const s = await as('mailroom', '#/coupons');
    const { page } = s;
    const scan = async () => {
      await page.locator('#coupon-scan').fill(code);
      await page.locator('#coupon-scan').press('Enter');
    };
    await scan();
    const nl = (await page.locator('.scan-log li.held').first().textContent()) ?? '';
    assert.match(nl, /vastgehouden/);
    assert.match(nl, /compliance/);
    for (const w of [RESTRICTED, 'Gouden Korst', 'ontvangen']) assert.ok(!nl.includes(w), `the held line says ${w}: ${nl}`);

    await page.selectOption('#lang', 'en');
    await page.locator('#main h1', { hasText: 'Reply coupons' }).waitFor();
    await scan();
    await page.locator('.scan-log li.held', { hasText: 'held' }).first().waitFor();
    const en = (await page.locator('.scan-log li.held').first().textContent()) ?? '';
    assert.match(en, /processing is restricted/);
    assert.ok(!en.includes(RESTRICTED), en);
    noErrors(s);
  });

  it('given a held coupon when compliance opens the coupons screen then it sees the held item without the scan and upload cards, and that there is no image', async () => {
    const s = await as('compliance', '#/coupons');
    const { page } = s;
    assert.equal(await page.locator('#coupon-scan').count(), 0, 'scanning is the mailroom\'s');
    await page.locator('#coupon-review-list button', { hasText: 'Vastgehouden' }).first().click();
    await page.locator('#coupon-no-image').waitFor();
    assert.equal(await page.locator('#cr-code').inputValue(), code, 'the code is filled in, to apply once the restriction is lifted');
    noErrors(s);
  });
});
