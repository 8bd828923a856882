/**
 * Every screen of every role, in Dutch, says what it shows in Dutch: no server code (snake_case
 * like `corrupt_pdf`, dotted like `session.create`, field names like `answerLabel`) and no
 * English sentence leaks through. Found by walking the screens this way: the audit log named 64 actions by their codes, the report
 * showed the server's English note, the jobs screen English progress notes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumPath, launchBrowser, NO_CHROMIUM, openAs } from '../helpers/browser.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const skip = chromiumPath() ? false : NO_CHROMIUM;

/** Screens for developers and integrators, which show API names on purpose (event types, routes). */
const TECHNICAL = new Set(['#/api', '#/webhooks']);

/**
 * What would be a leak: a code (snake_case, or dotted words that are no host name or file name)
 * or an English word Dutch does not share, standing on its own (not inside a name like
 * `reply-received`, which is the customer's status variable as the CRM named it).
 */
const LEAK = new RegExp(
  [
    String.raw`(?<![\w.-])[a-z]+(?:_[a-z]+)+(?![\w-])`,
    String.raw`(?<![\w.@/-])[a-z]+\.[a-z][a-z-]+(?![\w.@/-])`,
    // camelCase field names of the API (answerLabel, mailingId); not any camel hump, as a text
    // run into its button ("documentEtiket") reads the same to innerText; a template's {{customerId}}
    // placeholder is what its author types
    String.raw`(?<![\w.@/{-])[a-z]+(?:Id|Ids|Label|Code|At|Name|Count|Details|Params)(?![\w}-])`,
    String.raw`(?<![\w-])(?:the|and|with|failed|not|page|processing|found|this|which|been|should|error|hidden|none|unknown|pending|queued|running|done|received|static|dynamic|invoice|quote)(?![\w-])`,
  ].join('|'),
  'g',
);

describe('every screen in Dutch', { skip }, () => {
  let app: TestApp;
  let browser: Browser;
  before(async () => {
    [app, browser] = await Promise.all([startTestApp(), launchBrowser()]);
    // Jobs run, so the processing screen has progress notes and the dossiers processed documents.
    await app.dl.startWorkers();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('given each role when every screen of its menu, two dossiers and documents are opened then none shows a server code or an English word', { timeout: 240_000 }, async () => {
    const docs = (await app.dl.db.all<{ id: string }>('SELECT id FROM documents WHERE destroyed_at IS NULL ORDER BY id LIMIT 4')).map((d) => `#/document/${d.id}`);
    const leaks: string[] = [];
    let screens = 0;
    for (const role of ['mailroom', 'crm', 'compliance', 'admin'] as const) {
      const s = await openAs(browser, app, role);
      try {
        const { page } = s;
        const menu = await page.locator('#nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
        for (const hash of [...new Set([...menu, '#/dossier/KL-000124', '#/dossier/KL-000125', ...docs])]) {
          if (!hash.startsWith('#/') || TECHNICAL.has(hash)) continue;
          await page.evaluate((h) => {
            if (location.hash !== h) {
              delete document.querySelector<HTMLElement>('#main')!.dataset.ready;
              location.hash = h;
            }
          }, hash);
          // A screen the role may not open draws its refusal instead (a mailroom user and a dossier).
          await page.locator('#main[data-ready]').waitFor({ state: 'attached' });
          // What the screen loads after drawing (names, counts) comes in (screens that poll never go idle).
          await page.waitForTimeout(400);
          screens++;
          const text = await page.locator('#main').innerText();
          for (const m of text.matchAll(LEAK)) leaks.push(`${role} ${hash}: "${m[0]}" in …${text.slice(Math.max(0, m.index - 60), m.index + m[0].length + 30).replace(/\s+/g, ' ')}…`);
        }
        assert.deepEqual(s.errors, [], `${role}: the page logged errors`);
      } finally {
        await s.context.close();
      }
    }
    assert.ok(screens > 40, `${screens} screens walked`);
    assert.deepEqual(leaks, [], 'codes or English on Dutch screens');
  });

  it('given a customer who sent a coupon back when the CRM user opens the dossier then the reply reads as words with a link to the coupon, not as the API\'s fields', async () => {
    const s = await openAs(browser, app, 'crm', { hash: '#/dossier/KL-000125' });
    try {
      const reply = s.page.locator('#status-vars tr', { hasText: 'Antwoord ontvangen' });
      await reply.waitFor();
      const text = (await reply.textContent()) ?? '';
      assert.match(text, /yes — Ja, ik wil graag een vrijblijvende offerte ontvangen\./);
      assert.match(text, /mailing: Voorjaarsactie onderhoudsabonnement 2026 · brief: M\d+ · via: scanner/);
      assert.match(text, /coupon gescand/);
      assert.doesNotMatch(text, /answerLabel|mailingId|documentId|coupon-scan/);
      const coupon = reply.locator('a', { hasText: 'coupon openen' });
      assert.match((await coupon.getAttribute('href')) ?? '', /^#\/document\/doc_/);
      assert.match((await s.page.locator('#status-vars tr', { hasText: 'Brief verstuurd' }).textContent()) ?? '', /1 apr 2026/);
    } finally {
      await s.context.close();
    }
  });
});
