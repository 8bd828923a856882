/**
 * The web interface end to end in headless Chromium against a real instance (demo data, real
 * OCR workers): each role's main task, and a screenshot of every screen for the README.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import type { Browser, Page } from 'playwright-core';
import { chromiumPath, go, launchBrowser, NO_CHROMIUM, openAs, screenshot, type UiSession } from '../helpers/browser.js';
import { makeDamagedPagesPdf } from '../helpers/hostile-samples.js';
import { makeTextPdf, renderScan, toPng } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const skip = chromiumPath() ? false : NO_CHROMIUM;
const MAX_SCREENSHOT = 200 * 1024;

// A word that appears nowhere in the demo data, so search finds exactly our upload.
const WORD = 'Zonnepanelenonderhoud';
const PDF_LINES = ['Offerte OF-2026-0999', 'Klantnummer: KL-000124', 'Datum: 3 november 2026', `Betreft: ${WORD} bedrijfspand`, 'Het totaalbedrag is EUR 7.450,00 excl. btw.'];
const SCAN_LINES = ['Servicemelding SM-77001', 'Klantnummer: KL-000125', 'Datum: 12 november 2026', 'Storing: koelcel geeft alarm.', 'Prioriteit hoog, monteur ingepland.'];

/** A keyboard-wedge scanner: the code typed fast, then Enter. */
async function wedge(page: Page, selector: string, code: string) {
  await page.locator(selector).focus();
  await page.keyboard.type(code, { delay: 8 });
  await page.keyboard.press('Enter');
}

async function shot(page: Page, name: string) {
  const size = await screenshot(page, name);
  assert.ok(size < MAX_SCREENSHOT, `screenshot ${name} is ${size} bytes, more than ${MAX_SCREENSHOT}`);
}

describe('web interface', { skip }, () => {
  let app: TestApp;
  let browser: Browser;
  let files: string;
  const sessions: UiSession[] = [];
  const as = async (role: Parameters<typeof openAs>[2], hash?: string) => {
    const s = await openAs(browser, app, role, { hash });
    sessions.push(s);
    return s;
  };
  const noErrors = (s: UiSession) => assert.deepEqual(s.errors, [], `the page logged errors: ${s.errors.join(' | ')}`);
  const json = async <T>(res: Response): Promise<T> => {
    assert.ok(res.ok, `API answered ${res.status}`);
    return (await res.json()) as T;
  };

  before(async () => {
    [app, browser, files] = await Promise.all([startTestApp(), launchBrowser(), mkdtemp(path.join(tmpdir(), 'dossierlink-ui-'))]);
    await app.dl.startWorkers();
    await writeFile(path.join(files, 'offerte-zonnepanelen.pdf'), await makeTextPdf([PDF_LINES]));
    await writeFile(path.join(files, 'servicemelding-scan.png'), await toPng(renderScan({ dpi: 200, lines: SCAN_LINES, heightIn: 3 }), 200));
  });
  after(async () => {
    for (const s of sessions) await s.context.close().catch(() => undefined);
    await browser?.close();
    await app?.close();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('given a mailroom user when signing in with a password then only mailroom screens are offered', async () => {
    const { page, errors } = await as(null);
    await page.locator('#signin-username').waitFor();
    await shot(page, 'sign-in');
    await page.fill('#signin-username', app.logins.mailroom.username);
    await page.fill('#signin-password', 'not-the-password');
    await page.keyboard.press('Enter');
    await page.locator('#signin-error', { hasText: /verkeerd wachtwoord/ }).waitFor();
    await page.fill('#signin-password', app.logins.mailroom.password);
    await page.click('button[type=submit]');
    await page.locator('#nav a[data-path=upload]').waitFor();
    const screens = await page.locator('#nav a[data-path]').evaluateAll((as) => as.map((a) => (a as HTMLElement).dataset.path));
    assert.deepEqual(screens, ['upload', 'review', 'paper', 'tracker', 'coupons', 'jobs', 'inventory', 'sheets', 'mail-intake', 'documents', 'api'], 'mailroom sees exactly its screens and the API access help');
    assert.equal(await page.evaluate(() => JSON.stringify(sessionStorage) + document.cookie), '{}', 'no token or session id where scripts can read it');
    assert.deepEqual(errors, []);
  });

  it('given a scan and a PDF when the mailroom drops them then each shows upload progress and ends ready', async () => {
    const s = await as('mailroom', '#/upload');
    const { page } = s;
    await page.setInputFiles('#upload-files', [path.join(files, 'offerte-zonnepanelen.pdf'), path.join(files, 'servicemelding-scan.png')]);
    await page.locator('.upload-row').nth(1).waitFor();
    // Both rows reach a final state by polling GET /api/documents/:id (OCR runs in the workers).
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.upload-row')).every((r) => ['ready', 'needs_review', 'failed', 'rejected'].includes((r as HTMLElement).dataset.state!)), null, { timeout: 60_000 });
    const states = await page.locator('.upload-row').evaluateAll((rs) => rs.map((r) => (r as HTMLElement).dataset.state));
    assert.deepEqual(states, ['ready', 'ready'], `both uploads are ready (got ${states.join(', ')})`);
    const progress = await page.locator('.upload-row progress').evaluateAll((ps) => ps.map((p) => (p as HTMLProgressElement).value));
    assert.deepEqual(progress, [1, 1], 'each upload bar reached 100%');
    await page.locator('#upload-summary', { hasText: /2 klaar/ }).waitFor();
    await shot(page, 'mailroom-upload');
    noErrors(s);
  });

  it('given a PDF of too many pages and a damaged PDF when the mailroom drops them then each row is refused with a Dutch sentence saying why', async () => {
    const many = await PDFDocument.create();
    for (let i = 0; i < 501; i++) many.addPage([200, 200]);
    await writeFile(path.join(files, 'te-veel-paginas.pdf'), await many.save());
    await writeFile(path.join(files, 'kapot.pdf'), '%PDF-1.4 kapot');
    const s = await as('mailroom', '#/upload');
    const { page } = s;
    await page.setInputFiles('#upload-files', [path.join(files, 'te-veel-paginas.pdf'), path.join(files, 'kapot.pdf')]);
    await page.waitForFunction(() => {
      const rows = Array.from(document.querySelectorAll('.upload-row'));
      return rows.length === 2 && rows.every((r) => (r as HTMLElement).dataset.state === 'rejected');
    });
    const why = await page.locator('.upload-row').allTextContents();
    const of = (name: string) => why.find((text) => text.includes(name)) ?? '';
    assert.match(of('te-veel-paginas.pdf'), /501 pagina’s; per bestand mogen het er hoogstens 500 zijn/);
    assert.match(of('kapot.pdf'), /De PDF is beschadigd/);
    for (const text of why) assert.doesNotMatch(text, /too_many_pages|corrupt_pdf|Dat lukte niet|\(4\d\d/, text);
    noErrors(s);
  });

  it('given a PDF that is accepted but fails while it is read when the mailroom uploads it then its row and its page say why in Dutch', async () => {
    await writeFile(path.join(files, 'pagina-kwijt.pdf'), await makeDamagedPagesPdf(3));
    const s = await as('mailroom', '#/upload');
    const { page } = s;
    await page.fill('#main input[name=customerId]', 'KL-000123');
    await page.setInputFiles('#upload-files', path.join(files, 'pagina-kwijt.pdf'));
    const row = page.locator('.upload-row', { hasText: 'pagina-kwijt.pdf' });
    await row.and(page.locator('[data-state="failed"]')).waitFor({ timeout: 30_000 });
    const text = (await row.textContent()) ?? '';
    assert.match(text, /De PDF is beschadigd of geen PDF\./);
    assert.doesNotMatch(text, /damaged|corrupt_pdf/i, 'not the server\'s English sentence or its code');
    const id = decodeURIComponent(((await row.locator('a').first().getAttribute('href')) ?? '').replace('#/document/', ''));
    await row.locator('a').first().click();
    const notice = page.locator('#doc-failure');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /De PDF is beschadigd of geen PDF\./);
    noErrors(s);
    // The CRM user sees the same reason where the document sits in the customer's dossier.
    const crm = await as('crm', `#/dossier/KL-000123?doc=${encodeURIComponent(id)}`);
    const inDossier = crm.page.locator('#doc-failure');
    await inDossier.waitFor();
    assert.match((await inDossier.textContent()) ?? '', /De PDF is beschadigd of geen PDF\./);
    noErrors(crm);
  });

  it('given the uploaded PDF when the CRM user searches a word from it then the hit opens with the text marked and the PDF in a blob viewer', async () => {
    const s = await as('crm', '#/search');
    const { page } = s;
    await page.fill('#search-q', WORD.toLowerCase());
    await page.keyboard.press('Enter');
    const hit = page.locator('.hit').first();
    await hit.waitFor();
    assert.equal(await page.locator('.hit').count(), 1, 'exactly one hit');
    assert.match((await hit.locator('mark').first().textContent()) ?? '', new RegExp(WORD, 'i'), 'the snippet marks the word');
    assert.match((await hit.textContent()) ?? '', /Van Dijk Installatietechniek · KL-000124/, 'whose document it is, by name and number');
    await shot(page, 'crm-search');
    await hit.locator('a.title').click();
    await page.locator('#doc-text mark').first().waitFor();
    assert.match(await page.locator('#hit-count').textContent() ?? '', /1 treffer/, 'the text tab counts the hit');
    assert.match(await page.locator('h1').textContent() ?? '', /Van Dijk/, 'the dossier of the customer in the scan opens');
    await page.click('#tab-view');
    const frame = page.locator('#doc-frame');
    await frame.waitFor();
    assert.match((await frame.getAttribute('src')) ?? '', /^blob:/, 'the PDF is shown from an object URL fetched with the token');
    await page.waitForTimeout(1200); // let the PDF viewer paint for the screenshot
    await shot(page, 'crm-dossier');
    noErrors(s);
  });

  let paper: { id: string; barcode: string };
  it('given paper when the mailroom registers it then it gets a barcode and a printable label', async () => {
    const s = await as('mailroom', '#/paper');
    const { page } = s;
    await page.fill('#paper-form input[name=customerId]', 'KL-000123');
    await page.selectOption('#paper-form select[name=type]', 'order');
    await page.fill('#paper-form input[name=title]', 'Order ORD-2026-0815 ovens');
    await page.fill('#paper-form input[name=docDate]', '2026-11-20');
    await page.fill('#paper-form input[name=number]', 'ORD-2026-0815');
    await page.fill('#paper-form input[name=total]', '1.250,50');
    await page.click('#paper-form button[type=submit]');
    const code = (await page.locator('#paper-barcode').textContent())!.trim();
    assert.match(code, /^D\d+$/, 'a document barcode is shown');
    await page.click('#print-label');
    const frame = page.locator('#paper-result iframe');
    await frame.waitFor();
    assert.match((await frame.getAttribute('src')) ?? '', /^blob:/, 'the label PDF is fetched with the token and shown from an object URL');
    await page.waitForTimeout(400);
    await shot(page, 'mailroom-paper');
    const dossier = await json<{ documents: { id: string; barcode: string | null; fields: Record<string, unknown> }[] }>(await app.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' }));
    const doc = dossier.documents.find((d) => d.barcode === code);
    assert.ok(doc, 'the paper is in the dossier');
    assert.equal(doc.fields.total, 1250.5, 'the Dutch amount was read as a number');
    paper = { id: doc.id, barcode: code };
    noErrors(s);
  });

  it('given the new paper when the mailroom scans a shelf and then the paper with a wedge scanner then it is filed there', async () => {
    assert.ok(paper, 'the paper from the previous step');
    const s = await as('mailroom', '#/tracker');
    const { page } = s;
    await wedge(page, '#scan-dest-input', 'L0000000041'); // Plank 1 in the demo archive
    await page.locator('#scan-dest code', { hasText: 'L0000000041' }).waitFor();
    await wedge(page, '#scan-item', paper.barcode.toLowerCase()); // scanners may send lower case
    await page.locator('#scan-log li', { hasText: paper.barcode }).first().waitFor();
    const item = await json<{ location: { barcode: string } | null }>(await app.api('GET', `/api/tracking/items/${paper.barcode}`, { as: 'crm' }));
    assert.equal(item.location?.barcode, 'L0000000041', 'the tracker has the paper on the shelf');
    // A scan while focus is on a button (not in a field) still lands in the scan field.
    await page.locator('.mode-switch button').first().focus();
    // The keys as a scanner sends them, all within milliseconds, in one go: typed one CDP round
    // trip at a time they could arrive further apart than the 150 ms a scanner never takes on a
    // loaded CI machine, and then rightly read as a person typing (a flaky failure).
    await page.evaluate((code) => {
      const at = document.activeElement ?? document.body;
      for (const key of [...code, 'Enter']) at.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
    }, 'C0000000017');
    await page.locator('#scan-log li', { hasText: 'C0000000017' }).first().waitFor();
    await shot(page, 'mailroom-tracker');
    noErrors(s);
  });

  it('given filed paper when the CRM user requests it from the dossier then the mailroom picks it by scanning', async () => {
    const crm = await as('crm', `#/dossier/KL-000123?doc=${paper.id}`);
    await crm.page.locator('#paper-box', { hasText: 'Plank 1' }).waitFor();
    await crm.page.fill('#req-note', 'voor klantbezoek');
    await crm.page.click('#request-paper');
    await crm.page.locator('#req-state').waitFor();
    await shot(crm.page, 'crm-dossier-paper');
    const mine = await json<{ requests: { documentId: string; status: string }[] }>(await app.api('GET', '/api/requests?status=open', { as: 'crm' }));
    assert.ok(mine.requests.some((r) => r.documentId === paper.id), 'the request is open');

    const mail = await as('mailroom', '#/tracker?mode=picklist');
    const row = mail.page.locator(`tr[data-barcode=${paper.barcode}]`);
    await row.waitFor();
    await wedge(mail.page, '#scan-item', paper.barcode);
    await mail.page.locator(`tr.pick-done[data-barcode=${paper.barcode}]`).waitFor();
    await shot(mail.page, 'mailroom-picklist');
    const after = await json<{ requests: { documentId: string; status: string }[] }>(await app.api('GET', '/api/requests', { as: 'crm' }));
    assert.equal(after.requests.find((r) => r.documentId === paper.id)?.status, 'fulfilled', 'picking fulfilled the request');
    noErrors(crm);
    noErrors(mail);
  });

  it('given a document without a known customer when the mailroom corrects it in the review queue then it leaves the queue', async () => {
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(await makeTextPdf([['Brief zonder kenmerk', 'Geachte heer, mevrouw,', 'Hierbij stuur ik u de gevraagde gegevens.']]))]), 'brief.pdf');
    const up = await json<{ id: string }>(await app.api('POST', '/api/documents', { as: 'mailroom', body: fd }));
    for (let i = 0; i < 100; i++) {
      const d = await json<{ status: string }>(await app.api('GET', `/api/documents/${up.id}`, { as: 'mailroom' }));
      if (d.status !== 'queued' && d.status !== 'processing') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const s = await as('mailroom', `#/review?doc=${up.id}`);
    const { page } = s;
    const item = page.locator('#review-list button.item[aria-current=true]');
    await item.waitFor();
    await page.selectOption('#review-detail select[name=type]', 'letter');
    await page.fill('#review-detail input[name=customerId]', 'KL-000127');
    await shot(page, 'mailroom-review');
    await page.click('#review-detail button[type=submit]');
    await page.locator('#status', { hasText: /afgehandeld/ }).waitFor();
    const doc = await json<{ customerId: string; type: string; status: string }>(await app.api('GET', `/api/documents/${up.id}`, { as: 'mailroom' }));
    assert.deepEqual([doc.customerId, doc.type], ['KL-000127', 'letter'], 'the correction was saved');
    noErrors(s);
  });

  it('given a compliance officer when verifying the audit log then the chain is intact and reads are listed', async () => {
    const s = await as('compliance', '#/audit');
    const { page } = s;
    await page.click('#verify');
    await page.locator('#verify-result .notice.ok').waitFor();
    assert.ok(await page.locator('#audit-table td', { hasText: 'Dossier bekeken' }).count(), 'dossier views are in the log');
    // Every sign-in is in the log, named in Dutch with how it was made, not as session.create / password.
    const signIn = page.locator('#audit-table tr', { hasText: 'Aangemeld' }).first();
    await signIn.waitFor();
    assert.match((await signIn.textContent()) ?? '', /via\s*wachtwoord/);
    assert.doesNotMatch((await signIn.locator('td:nth-child(4)').textContent()) ?? '', /usr_/, 'the person signed in by name, not id');
    // The review above changed the customer: said as the field's Dutch name, not customerId.
    const review = page.locator('#audit-table tr', { hasText: 'Gecontroleerd' }).first();
    assert.match((await review.textContent()) ?? '', /veld: klantnummer/);
    // The demo data was loaded by the service itself: named as such, not by its id.
    const actors = await page.locator('#audit-table td:nth-child(2)').allTextContents();
    assert.ok(actors.includes('demogegevens') && !actors.some((a) => a.includes('demo-seed')), actors.join(' | '));
    const actions = await page.locator('#audit-table td:nth-child(3)').allTextContents();
    assert.deepEqual(actions.filter((a) => /^[a-z]+\.[a-z.-]+$/.test(a.trim())), [], 'no action shown as its code');
    // A customer status by its Dutch name, the mailing that set it by name; roles by their names.
    const letterSent = page.locator('#audit-table tr', { hasText: 'Klantstatus gezet' }).filter({ hasText: 'Brief verstuurd' }).first();
    assert.match((await letterSent.locator('.audit-details').textContent()) ?? '', /bron\s*mailing Voorjaarsactie onderhoudsabonnement 2026/);
    assert.doesNotMatch((await letterSent.textContent()) ?? '', /mlg_|letter-sent/);
    assert.match((await page.locator('#audit-table tr', { hasText: 'Gebruiker aangemaakt' }).filter({ hasText: 'Ada' }).first().textContent()) ?? '', /rollen\s*beheerder/);
    await shot(page, 'compliance-audit');
    noErrors(s);
  });

  /** `n` finished jobs of a kind of their own while `fn` runs; removed after (the other tests read the newest jobs). */
  const withDoneJobs = async (kind: string, n: number, fn: () => Promise<void>) => {
    await app.dl.db.tx(async (q) => {
      for (let i = 0; i < n; i++) await app.dl.queue.enqueue(q, { kind, payload: {}, idempotencyKey: `${kind}-${i}` });
    });
    await app.dl.db.run("UPDATE jobs SET status = 'done' WHERE kind = ?", [kind]);
    try {
      await fn();
    } finally {
      await app.dl.db.run('DELETE FROM jobs WHERE kind = ?', [kind]);
    }
  };

  it('given more jobs than the list shows when the operator asks for more then the next ones load and the count says how many there are', async () => {
    await withDoneJobs('lijsttest', 130, async () => {
      const s = await as('mailroom', '#/jobs?kind=lijsttest');
      const { page } = s;
      const more = page.locator('#jobs-more');
      await more.locator('button').waitFor();
      assert.match((await more.textContent()) ?? '', /De nieuwste 100 van 130\. Nog 30 tonen/);
      assert.equal(await page.locator('#jobs-table tbody tr').count(), 100);
      await more.locator('button').click();
      await page.waitForFunction(() => document.querySelectorAll('#jobs-table tbody tr').length === 130);
      assert.equal(await more.textContent(), '', 'all shown: no count, no button');
      noErrors(s);
    });
  });

  it('given more jobs than the API lists at once when the operator pages on then the older ones show, and newer leads back', async () => {
    await withDoneJobs('bladertest', 620, async () => {
      const s = await as('mailroom', '#/jobs?kind=bladertest');
      const { page } = s;
      const more = page.locator('#jobs-more');
      const rows = () => page.locator('#jobs-table tbody tr').count();
      const ids = () => page.locator('#jobs-table tbody tr td:first-child .mono').allTextContents();
      // Up to the 500 the API lists at once, the list grows by a hundred.
      for (let n = 200; n <= 500; n += 100) {
        await page.click('#jobs-show-more');
        await page.waitForFunction((k) => document.querySelectorAll('#jobs-table tbody tr').length === k, n);
      }
      assert.equal(await page.locator('#jobs-show-more').count(), 0, 'no more to add at 500');
      assert.match((await more.textContent()) ?? '', /De nieuwste 500 van 620\.\s*120 oudere ›/);
      const newest = await ids();
      // Past 500 it pages: the 120 oldest, none of them shown before.
      await page.click('#jobs-older');
      await page.waitForFunction(() => document.querySelectorAll('#jobs-table tbody tr').length === 120);
      assert.match((await more.textContent()) ?? '', /Taak 501 tot en met 620 van 620, nieuwste eerst\.\s*‹ 500 nieuwere/);
      assert.equal(await page.locator('#jobs-older').count(), 0, 'the last page has no older');
      const oldest = await ids();
      assert.equal(new Set([...newest, ...oldest]).size, 620, 'every job reached exactly once');
      await page.click('#jobs-newer');
      await page.waitForFunction(() => document.querySelectorAll('#jobs-table tbody tr').length === 500);
      assert.deepEqual(await ids(), newest);
      assert.equal(await rows(), 500);
      noErrors(s);
    });
  });

  it('given paper past its retention when one officer proposes its disposal then a second officer approves, executes and shreds it by scanning and the certificate opens', async (t) => {
    const routes = await json<{ paths: Record<string, unknown> }>(await app.api('GET', '/api/openapi.json', { as: 'compliance' }));
    if (!routes.paths['/api/disposals/{id}/approve']) {
      t.skip('the retention routes (POST /api/disposals/:id/approve) are not on this server yet');
      return;
    }
    const first = await as('compliance', '#/retention');
    await first.page.locator('#due-list tbody tr').first().waitFor();
    // Whose documents they are, by name, the customer number under it.
    const customer = await first.page.locator('#due-list tbody tr').first().locator('td:nth-child(3)').textContent();
    assert.match(customer ?? '', /^\D.*KL-\d{6}$/, `a customer by name: ${customer}`);
    await shot(first.page, 'compliance-retention');
    await first.page.click('#propose');
    await first.page.locator('#four-eyes').waitFor(); // the proposer may not approve
    assert.equal(await first.page.locator('#approve').count(), 0, 'no approve button for the proposer');
    const id = new URLSearchParams((await first.page.evaluate(() => location.hash)).split('?')[1]).get('id');
    assert.ok(id, 'the new disposal is opened');

    const second = await as('compliance2', `#/retention?tab=disposals&id=${id}`);
    await second.page.fill('#disposal-note', 'gecontroleerd, akkoord');
    await second.page.click('#approve');
    await second.page.locator('#disposal-detail .badge', { hasText: 'goedgekeurd' }).first().waitFor();
    const d = await json<{ status: string; approvedBy: { name: string } }>(await app.api('GET', `/api/disposals/${id}`, { as: 'compliance' }));
    assert.equal(d.status, 'approved', 'the disposal is approved');
    assert.match(d.approvedBy.name, /Connor/, 'by the second officer');
    // Execute: digital copies go now, paper waits on the shredder's pick list, confirmed by scanning.
    await second.page.click('#execute');
    await second.page.click('#execute-confirm'); // executing asks first
    await second.page.locator('#shred-scan').waitFor();
    const items = await json<{ items: { barcode: string | null; medium: string }[] }>(await app.api('GET', `/api/disposals/${id}`, { as: 'compliance' }));
    for (const item of items.items.filter((i) => i.medium === 'paper')) {
      await wedge(second.page, '#shred-scan', item.barcode!);
      await second.page.locator('#status', { hasText: item.barcode! }).waitFor();
    }
    await second.page.locator('#disposal-detail .badge', { hasText: 'voltooid' }).first().waitFor();
    await second.page.click('#certificate');
    const frame = second.page.locator('#disposal-detail iframe');
    await frame.waitFor();
    assert.match((await frame.getAttribute('src')) ?? '', /^blob:/, 'the certificate PDF is shown from an object URL');
    await second.page.waitForTimeout(300);
    await shot(second.page, 'compliance-disposal');
    noErrors(first);
    noErrors(second);
  });

  it('given the compliance report and subject rights when opened then charts are drawn and an erasure is previewed', async (t) => {
    const routes = await json<{ paths: Record<string, unknown> }>(await app.api('GET', '/api/openapi.json', { as: 'compliance' }));
    if (!routes.paths['/api/compliance/report']) {
      t.skip('the compliance routes (GET /api/compliance/report) are not on this server yet');
      return;
    }
    const s = await as('compliance', '#/report');
    const { page } = s;
    await page.locator('#chart-class svg rect').first().waitFor();
    assert.ok((await page.locator('#chart-class svg rect').count()) >= 8, 'a bar per type and class');
    // The paper section's note in Dutch, not the server's English sentence about its table.
    assert.match((await page.locator('#report-paper-note').textContent()) ?? '', /^Gezien = gevonden bij een inventarisatie/);
    await shot(page, 'compliance-report');
    await go(page, '#/subject?customerId=KL-000127');
    await page.fill('#subject-reason', 'verzoek 2026-031');
    await page.click('#erasure-plan');
    await page.locator('#erasure-summary').waitFor();
    await shot(page, 'compliance-subject');
    noErrors(s);
  });

  it('given the mailroom screens when opened then the jobs and coupons screens load and the language switches to English', async () => {
    const s = await as('mailroom', '#/jobs');
    const { page } = s;
    await page.locator('#jobs-table td', { hasText: 'verwerking scan' }).first().waitFor();
    // The damaged PDF's job (uploaded above) says why in Dutch, the server's stack folded away below.
    const failed = page.locator('#jobs-table tr', { hasText: 'pagina-kwijt.pdf' }).filter({ hasText: 'verwerking scan' });
    await failed.waitFor();
    const reason = (await failed.locator('.job-error > .error').textContent()) ?? '';
    assert.match(reason, /De PDF is beschadigd of geen PDF\./);
    assert.equal(await failed.locator('.job-error details').evaluate((d) => (d as HTMLDetailsElement).open), false, 'the stack stays folded');
    assert.match((await failed.locator('.job-error summary').textContent()) ?? '', /Technische details/);
    assert.match((await failed.locator('.job-stack').textContent()) ?? '', /damaged/i, 'the English stack is there for whoever opens it');
    // Unfolded, it stays unfolded while the list refreshes itself (every 4 s).
    await failed.locator('.job-error summary').click();
    await page.waitForTimeout(4500);
    assert.equal(await failed.locator('.job-error details').evaluate((d) => (d as HTMLDetailsElement).open), true, 'still open after a refresh');
    await failed.locator('.job-error summary').click();
    // Progress notes in Dutch: no "text layer read", "page 1 OCR'd (94%)", "page 1: plain".
    const notes = (await page.locator('#jobs-table .job-note').allTextContents()).join(' | ');
    assert.doesNotMatch(notes, /text layer|OCR'd|OCR started|: plain|split into/, notes);
    assert.match(notes, /tekstlaag gelezen|pagina \d+ herkend|gewone pagina/, notes);
    // Shown one kind, the failed ones of that kind go back in the queue at once.
    await page.selectOption('#jobs-kind', 'ingest');
    await page.waitForFunction(() => location.hash.includes('kind=ingest'));
    const retryAll = page.locator('#jobs-retry-all');
    await retryAll.waitFor();
    assert.equal(await retryAll.textContent(), 'De mislukte taak opnieuw proberen', 'the one failed scan');
    assert.equal(await page.locator('#jobs-table tbody tr', { hasText: 'stapel splitsen' }).count(), 0, 'only scan processing is listed');
    await shot(page, 'mailroom-jobs');
    await retryAll.click();
    await page.locator('#status', { hasText: /weer in de wachtrij/ }).waitFor();
    await go(page, '#/coupons');
    await page.locator('#coupon-scan').waitFor();
    // The demo mailing's reply counted by the words on the coupon, not by the answer's code.
    const answer = page.locator('.answer-count').first();
    await answer.waitFor();
    assert.equal(await answer.textContent(), '1 × Ja, ik wil graag een vrijblijvende offerte ontvangen.');
    assert.equal(await answer.getAttribute('title'), 'yes');
    await shot(page, 'mailroom-coupons');
    await page.selectOption('#lang', 'en');
    await page.locator('#main h1', { hasText: 'Reply coupons' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en', 'the page language follows the switch');
    noErrors(s);
  });

  it('given a tablet when opening a dossier then the menu folds away behind a button', async () => {
    const s = await openAs(browser, app, 'crm', { viewport: { width: 820, height: 1180 }, hash: '#/dossier/KL-000126' });
    sessions.push(s);
    const { page } = s;
    await page.locator('#timeline li').first().waitFor();
    assert.equal(await page.locator('#nav').isVisible(), true, 'the nav exists');
    const navBox = await page.locator('#nav').boundingBox();
    assert.ok(navBox && navBox.x + navBox.width <= 0, 'the menu is off screen until opened');
    await page.click('#menu-toggle');
    await page.waitForTimeout(300);
    const open = await page.locator('#nav').boundingBox();
    assert.ok(open && open.x >= 0, 'the menu slides in');
    noErrors(s);
  });
});
