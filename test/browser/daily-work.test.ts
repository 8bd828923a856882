/**
 * Issue 17: what went wrong for real users in the web interface, each reproduced in headless
 * Chromium against a real instance (demo data, real OCR workers), worst first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromiumPath, go, launchBrowser, NO_CHROMIUM, openAs, screenshot, type UiSession } from '../helpers/browser.js';
import { makeTextPdf, renderScan, toPng } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { mailingsRepository } from '../../src/db/mailings.repository.js';

const skip = chromiumPath() ? false : NO_CHROMIUM;

async function wedge(page: Page, selector: string, code: string) {
  await page.locator(selector).focus();
  await page.keyboard.type(code, { delay: 5 });
  await page.keyboard.press('Enter');
}

describe('web interface daily work', { skip }, () => {
  let app: TestApp;
  let browser: Browser;
  const sessions: UiSession[] = [];
  const as = async (role: Parameters<typeof openAs>[2], hash?: string, viewport?: { width: number; height: number }) => {
    const s = await openAs(browser, app, role, { hash, viewport });
    sessions.push(s);
    return s;
  };
  const noErrors = (s: UiSession) => assert.deepEqual(s.errors, [], `the page logged errors: ${s.errors.join(' | ')}`);
  const json = async <T>(res: Response): Promise<T> => {
    assert.ok(res.ok, `API answered ${res.status}`);
    return (await res.json()) as T;
  };
  const settle = async (id: string) => {
    for (let i = 0; i < 150; i++) {
      const d = await json<{ status: string }>(await app.api('GET', `/api/documents/${id}`, { as: 'admin' }));
      if (!['queued', 'processing'].includes(d.status)) return d.status;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the document did not settle');
  };
  const uploadPdf = async (lines: string[], name: string) => {
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(await makeTextPdf([lines]))]), name);
    return json<{ id: string }>(await app.api('POST', '/api/documents', { as: 'mailroom', body: fd }));
  };

  before(async () => {
    [app, browser] = await Promise.all([startTestApp({ env: { DOSSIER_WEBHOOK_ALLOW: '127.0.0.1/32' } }), launchBrowser()]);
    await app.dl.startWorkers();
  });
  after(async () => {
    for (const s of sessions) await s.context.close().catch(() => undefined);
    await browser?.close();
    await app?.close();
  });

  async function registerPaper(page: Page, title: string) {
    await page.fill('#paper-form input[name=customerId]', 'KL-000123');
    await page.selectOption('#paper-form select[name=type]', 'order');
    await page.fill('#paper-form input[name=title]', title);
    await page.click('#paper-form button[type=submit]');
    await page.locator('#paper-barcode').waitFor();
    await page.waitForFunction((prev) => document.querySelector('#paper-barcode')?.textContent?.trim() !== prev, '');
    return (await page.locator('#paper-barcode').textContent())!.trim();
  }

  it('given a label made for paper A when paper B is registered then the preview is cleared and the print button opens B’s label, named by its barcode', async () => {
    const s = await as('mailroom', '#/paper');
    const { page } = s;
    const a = await registerPaper(page, 'Order A');
    await page.click('#print-label');
    await page.locator('#paper-result iframe').waitFor();
    await page.fill('#paper-form input[name=title]', 'Order B');
    await page.click('#paper-form button[type=submit]');
    await page.locator('#paper-barcode', { hasText: /D\d+/ }).filter({ hasNotText: a }).waitFor();
    const b = (await page.locator('#paper-barcode').textContent())!.trim();
    assert.notEqual(a, b);
    assert.equal(await page.locator('#paper-result iframe').count(), 0, 'no label of A remains on screen after registering B');
    assert.equal(await page.locator('#paper-result .open-print').count(), 0, 'no open-to-print button of A remains');
    assert.match((await page.locator('#print-label').textContent())!, new RegExp(b), 'the print button names B’s barcode');
    const req = page.waitForRequest((r) => r.url().includes('/label.pdf'));
    await page.click('#print-label');
    const dossier = await json<{ documents: { id: string; barcode: string | null }[] }>(await app.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' }));
    const docB = dossier.documents.find((d) => d.barcode === b)!;
    assert.ok((await req).url().includes(`/api/documents/${docB.id}/label.pdf`), 'the label fetched is B’s');
    await page.locator('#paper-result iframe').waitFor();
    assert.match((await page.locator('#paper-result .open-print').textContent())!, new RegExp(b), 'the open-to-print button names B’s barcode');
    noErrors(s);
  });

  it('given a scan whose type detection was unsure when the mailroom opens it in review then the scan shows, the guess is preselected and confirming without a type says why in Dutch', async () => {
    const up = await uploadPdf(['Betreft uw offerte', 'Graag maken wij een afspraak.'], 'onzeker.pdf');
    assert.equal(await settle(up.id), 'needs_review');
    // API: the mailroom may see the file of a document in review, not of one that is ready.
    assert.equal((await app.api('GET', `/api/documents/${up.id}/file`, { as: 'mailroom' })).status, 200);
    const ready = (await json<{ documents: { id: string; status: string; original: unknown }[] }>(await app.api('GET', '/api/customers/KL-000124/dossier', { as: 'crm' }))).documents.find((d) => d.status === 'ready' && d.original)!;
    assert.equal((await app.api('GET', `/api/documents/${ready.id}/file`, { as: 'mailroom' })).status, 403);

    const s = await as('mailroom', `#/review?doc=${up.id}`);
    const { page } = s;
    await page.locator('#review-detail .preview iframe, #review-detail .preview img').first().waitFor();
    assert.equal(await page.locator('#review-detail select[name=type]').inputValue(), 'quote', 'the best guess is preselected');
    assert.match((await page.locator('#review-reasons').textContent())!, /type onzeker: Offerte\?/i, 'the reason is in Dutch');
    await page.selectOption('#review-detail select[name=type]', '');
    await page.fill('#review-detail input[name=customerId]', 'KL-000124');
    await page.click('#review-detail button[type=submit]');
    await page.locator('#review-detail .error', { hasText: 'Kies eerst het documenttype' }).waitFor();
    assert.equal((await json<{ status: string }>(await app.api('GET', `/api/documents/${up.id}`, { as: 'admin' }))).status, 'needs_review', 'nothing was confirmed');
    await page.selectOption('#review-detail select[name=type]', 'quote');
    await page.click('#review-detail button[type=submit]');
    await page.locator('#status', { hasText: /afgehandeld/ }).waitFor();
    noErrors(s);
  });

  it('given the scan station when a document is scanned as destination then it is refused with a red signal; a shelf shows its name and path; a move gives a green signal and can be undone', async () => {
    // Server: a document is never a destination.
    const paper = await json<{ id: string; barcode: string }>(await app.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000125', type: 'order', title: 'Order scanstation' } }));
    const other = await json<{ barcode: string }>(await app.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000125', type: 'order', title: 'Order ander' } }));
    const refused = await app.api('POST', '/api/tracking/scan', { as: 'mailroom', json: { barcode: paper.barcode, to: other.barcode } });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'cannot_move_into_document');
    await json(await app.api('POST', '/api/tracking/scan', { as: 'mailroom', json: { barcode: paper.barcode, to: 'L0000000041' } }));

    const s = await as('mailroom', '#/tracker');
    const { page } = s;
    await page.evaluate(() => sessionStorage.removeItem('dl-scan-dest'));
    await go(page, '#/tracker?mode=lookup');
    await go(page, '#/tracker?mode=move');
    await wedge(page, '#scan-dest-input', other.barcode);
    await page.locator('#scan-signal[data-state=bad]', { hasText: /geen locatie, doos of map/ }).waitFor();
    assert.match((await page.locator('#scan-dest').textContent())!, /Nog geen|geen bestemming|Scan eerst/i, 'no destination was set');
    assert.equal(await page.locator('#scan-signal').getAttribute('data-sound'), 'bad', 'a low beep is played for a refused scan');
    await wedge(page, '#scan-dest-input', 'C0000000017');
    await page.locator('#scan-dest .dest-name').waitFor();
    const destText = (await page.locator('#scan-dest').textContent())!;
    assert.match(destText, /C0000000017/);
    assert.match((await page.locator('#scan-dest .dest-path').textContent())!, /›/, 'the destination’s path is shown');
    await wedge(page, '#scan-item', paper.barcode);
    await page.locator('#scan-signal[data-state=ok]', { hasText: paper.barcode }).waitFor();
    assert.equal(await page.locator('#scan-signal').getAttribute('data-sound'), 'ok');
    const moved = await json<{ location: { barcode: string } }>(await app.api('GET', `/api/tracking/items/${paper.barcode}`, { as: 'crm' }));
    assert.equal(moved.location.barcode, 'C0000000017');
    await screenshot(page, 'mailroom-scan-signal');
    await page.click('#scan-undo');
    await page.locator('#scan-signal[data-state=ok]', { hasText: /teruggezet/ }).waitFor();
    const back = await json<{ location: { barcode: string } }>(await app.api('GET', `/api/tracking/items/${paper.barcode}`, { as: 'crm' }));
    assert.equal(back.location.barcode, 'L0000000041', 'undo put the paper back on the shelf');
    noErrors(s);
  });

  it('given an upload batch when the mailroom opens another screen and comes back then the batch is still there, showing only links the mailroom may open', async () => {
    const s = await as('mailroom', '#/upload');
    const { page } = s;
    const pdf = await makeTextPdf([['Offerte OF-2026-1201', 'Klantnummer: KL-000126', 'Datum: 4 november 2026', 'Het totaalbedrag is EUR 1.200,00.']]);
    await page.setInputFiles('#upload-files', [{ name: 'offerte-batch.pdf', mimeType: 'application/pdf', buffer: Buffer.from(pdf) }]);
    await page.locator('.upload-row').first().waitFor();
    await page.waitForFunction(() => ['ready', 'needs_review', 'failed'].includes((document.querySelector('.upload-row') as HTMLElement)?.dataset.state ?? ''), null, { timeout: 60_000 });
    assert.equal(await page.locator('.upload-row a[href^="#/dossier"]').count(), 0, 'the mailroom gets no link to a dossier it may not open');
    assert.equal(await page.locator('.upload-row a[href^="#/document/"]').count(), 1, 'but to the document page, which it may open');
    await go(page, '#/jobs');
    await go(page, '#/upload');
    assert.equal(await page.locator('.upload-row').count(), 1, 'the batch survived the navigation');
    assert.match((await page.locator('.upload-row .name').textContent())!, /offerte-batch\.pdf/);
    noErrors(s);
  });

  for (const [size, viewport] of [
    ['laptop', { width: 1280, height: 800 }],
    ['tablet', { width: 820, height: 1180 }],
  ] as const) {
    it(`given a long dossier on a ${size} when a document low in the timeline is opened then it comes into view with keyboard focus`, async () => {
      const s = await as('crm', '#/dossier/KL-000123', viewport);
      const { page } = s;
      const card = page.locator('#timeline .doc-card').last();
      await card.scrollIntoViewIfNeeded();
      await card.click();
      await page.locator('#doc-title').waitFor();
      await page.waitForFunction(() => document.activeElement?.id === 'doc-title');
      const inView = await page.evaluate(() => {
        const r = document.querySelector('#doc-title')!.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight;
      });
      assert.ok(inView, 'the document title is on screen');
      noErrors(s);
    });
  }

  it('given the Dutch interface when a document’s details and a server error are shown then no English or raw values appear', async () => {
    const dossier = await json<{ documents: { id: string; type: string; class: string }[] }>(await app.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' }));
    const invoice = dossier.documents.find((d) => d.type === 'invoice' || d.type === 'order')!;
    const s = await as('crm', `#/dossier/KL-000123?doc=${invoice.id}`);
    const { page } = s;
    if (await page.locator('#tab-details').count()) await page.click('#tab-details');
    await page.locator('#trace li').first().waitFor();
    const trace = (await page.locator('#trace').textContent())!;
    assert.doesNotMatch(trace, /no active scope|no opinion|\bstate\b|always:|\bdefault\b|a worked-out order/i, `trace in Dutch: ${trace}`);
    const legal = (await page.locator('#retention').textContent())!;
    assert.doesNotMatch(legal, /business records|contract claims/, `legal basis in Dutch: ${legal}`);
    // A server error (unknown customer) is said in Dutch from its code.
    const m = await as('mailroom', '#/paper');
    await m.page.fill('#paper-form input[name=customerId]', 'KL-999999');
    await m.page.click('#paper-form button[type=submit]');
    const err = m.page.locator('#paper-form .error');
    await err.filter({ hasText: /\S/ }).waitFor();
    assert.doesNotMatch((await err.textContent())!, /does not exist|not known|Invalid/i, `error in Dutch: ${await err.textContent()}`);
    // Erasure reasons and legal bases on the subject-rights screen.
    const c = await as('compliance', '#/subject?customerId=KL-000125');
    await c.page.fill('#subject-reason', 'verzoek 2026-044');
    await c.page.click('#erasure-plan');
    await c.page.locator('#erasure-summary').waitFor();
    const plan = (await c.page.locator('#subject-out').textContent())!;
    assert.doesNotMatch(plan, /retention period|legal obligation|GDPR art|business records|audit log events/, `erasure plan in Dutch: ${plan.slice(0, 400)}`);
    noErrors(s);
    noErrors(c);
  });

  it('given the overview when a CRM user filters, saves the filter as a view and sets the type of a selection then the thumbnails show and the change is made', async () => {
    await json(await app.api('POST', '/api/thumbnails/backfill?limit=500', { as: 'admin' }));
    const s = await as('crm', '#/documents');
    const { page } = s;
    await page.locator('#ov-list .doc-tile').first().waitFor();
    // Thumbnails load as tiles scroll into view.
    await page.locator('#ov-list .doc-tile').last().scrollIntoViewIfNeeded();
    await page.locator('#ov-list .thumb[data-state=loaded] img').first().waitFor();
    await go(page, '#/documents?class=dynamic');
    await page.locator('#ov-list .thumb[data-state=loaded] img').first().waitFor();
    await page.waitForTimeout(500);
    await screenshot(page, 'crm-documents');
    await page.selectOption('#ov-class', '');
    await page.selectOption('#ov-type', 'invoice');
    await page.evaluate(() => delete document.querySelector<HTMLElement>('#main')!.dataset.ready);
    await page.click('#ov-filters button[type=submit]');
    await page.locator('#main[data-ready=documents]').waitFor({ state: 'attached' });
    assert.match(await page.evaluate(() => location.hash), /type=invoice/);
    const types = await page.locator('#ov-list .doc-tile .item-meta span:first-child').allTextContents();
    assert.ok(types.length > 0 && types.every((x) => x === 'Factuur'), `only invoices: ${types.join(', ')}`);
    // Each tile says whose document it is by name, the number on hover.
    const owner = page.locator('#ov-list .doc-tile .small.muted').first();
    assert.match((await owner.textContent()) ?? '', /^[^·]*[a-z][^·]* · \d+ \w+\.? \d{4}$/);
    assert.match((await owner.getAttribute('title')) ?? '', /^KL-\d{6}$/);
    await page.fill('#ov-view-name', 'Alle facturen');
    await page.click('#ov-views-form button[type=submit]');
    await page.locator('#ov-views option', { hasText: 'Alle facturen' }).waitFor({ state: 'attached' });
    const views = await json<{ views: { name: string; filter: Record<string, string> }[] }>(await app.api('GET', '/api/views', { as: 'crm' }));
    assert.deepEqual(views.views.map((v) => [v.name, v.filter]), [['Alle facturen', { type: 'invoice' }]]);
    // Select two digital documents and make them letters.
    await go(page, '#/documents?class=dynamic');
    const ids = await page.locator('#ov-list .doc-tile').evaluateAll((ls) => ls.slice(0, 2).map((l) => (l as HTMLElement).dataset.id!));
    for (const id of ids) await page.locator(`#ov-list .doc-tile[data-id="${id}"] .ov-check`).check();
    await page.locator('#ov-selected', { hasText: '2 documenten' }).waitFor();
    await page.selectOption('#ov-bulk-type', 'letter');
    await page.click('#ov-bulk-apply');
    await page.locator('#ov-bulk-result', { hasText: '2 documenten aangepast' }).waitFor();
    for (const id of ids) assert.equal((await json<{ type: string }>(await app.api('GET', `/api/documents/${id}`, { as: 'crm' }))).type, 'letter');
    noErrors(s);
  });

  it('given a document’s detail page when a CRM user corrects its title then it is saved beside the preview', async () => {
    const list = await json<{ documents: { id: string; original: unknown; customerId: string | null }[] }>(await app.api('GET', '/api/documents?status=ready&limit=50', { as: 'crm' }));
    const doc = list.documents.find((d) => d.original && d.customerId)!;
    const s = await as('crm', `#/document/${doc.id}`);
    const { page } = s;
    await page.locator('#doc-preview iframe, #doc-preview img').first().waitFor();
    const prev = await page.locator('#doc-preview').boundingBox();
    const form = await page.locator('#doc-edit').boundingBox();
    assert.ok(prev && form && form.x > prev.x + prev.width - 1, 'the fields are beside the preview on a laptop');
    await page.fill('#doc-title-input', 'Gecorrigeerde titel');
    await page.click('#doc-save');
    await page.locator('#status', { hasText: 'opgeslagen' }).waitFor();
    assert.equal((await json<{ title: string }>(await app.api('GET', `/api/documents/${doc.id}`, { as: 'crm' }))).title, 'Gecorrigeerde titel');
    await page.waitForTimeout(600);
    await screenshot(page, 'crm-document-detail');
    noErrors(s);
  });

  it('given work waiting when the mailroom and the second officer open the app then the menu shows badges, and an error clears when the screen changes', async () => {
    const up = await uploadPdf(['Betreft uw offerte', 'Graag maken wij een afspraak over de planning.'], 'badge.pdf');
    assert.equal(await settle(up.id), 'needs_review');
    const m = await as('mailroom', '#/upload');
    const badge = m.page.locator('#nav a[data-path=review] .nav-badge');
    await badge.waitFor();
    const total = (await json<{ total: number }>(await app.api('GET', '/api/review?limit=1', { as: 'mailroom' }))).total;
    assert.equal(await badge.textContent(), String(total));
    // An error on one screen does not follow the user to the next.
    await go(m.page, '#/tracker?mode=move');
    await wedge(m.page, '#scan-item', 'L0000009999');
    await m.page.locator('#status[data-kind=error]').filter({ hasText: /\S/ }).waitFor();
    await go(m.page, '#/upload');
    assert.equal((await m.page.locator('#status').textContent())!.trim(), '', 'the error is gone after navigating');

    const paper = await json<{ id: string }>(await app.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000124', type: 'order', title: 'Oud order', docDate: '2012-01-05' } }));
    const disposal = await json<{ id: string }>(await app.api('POST', '/api/disposals', { as: 'compliance', json: { reason: 'einde termijn', documentIds: [paper.id] } }));
    const c2 = await as('compliance2', '#/audit');
    await c2.page.locator('#nav a[data-path=retention] .nav-badge').waitFor();
    const c1 = await as('compliance', '#/audit');
    // The proposal's documents are named in its details by title, each a link, not by id.
    const proposal = c1.page.locator('#audit-table tr.audit-row', { hasText: 'Vernietiging voorgesteld' }).filter({ hasText: 'Oud order' }).first();
    await proposal.waitFor();
    assert.equal(await proposal.locator('.audit-details a', { hasText: 'Oud order' }).getAttribute('href'), `#/document/${encodeURIComponent(paper.id)}`);
    assert.doesNotMatch((await proposal.locator('.audit-details').textContent()) ?? '', /doc_/, 'no document id among the details');
    // The disposal itself by its kind and when it was proposed, a link to it, not by its id.
    const subject = proposal.locator('td:nth-child(4)');
    assert.match((await subject.textContent()) ?? '', /^vernietiging einde bewaartermijn, voorgesteld \d+ \w+\.? \d{4}$/);
    assert.equal(await subject.locator('a').getAttribute('href'), `#/retention?tab=disposals&id=${encodeURIComponent(disposal.id)}`);
    // A yes or no in the details is said as one, not as `false`.
    const registered = c1.page.locator('#audit-table tr.audit-row', { hasText: 'Papier geregistreerd' }).filter({ hasText: 'Oud order' }).first();
    assert.match((await registered.locator('.audit-details').textContent()) ?? '', /voorgedrukt etiket\s*nee/);
    await c1.page.locator('#nav a[data-path=retention]').waitFor();
    await c1.page.waitForTimeout(500);
    assert.equal(await c1.page.locator('#nav a[data-path=retention] .nav-badge').count(), 0, 'the proposer is not asked to approve their own proposal');
    noErrors(m);
  });

  it('given a legal hold placed and released when compliance reads the audit log then the hold is said in Dutch by what it covers, a link to the holds', async () => {
    const hold = await json<{ id: string }>(await app.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Geschil facturen', query: { customerId: 'KL-000124', type: 'invoice' } } }));
    await json(await app.api('POST', `/api/holds/${hold.id}/release`, { as: 'compliance', json: { reason: 'Geschil opgelost' } }));
    const c = await as('compliance', '#/audit');
    const placed = c.page.locator('#audit-table tr.audit-row', { hasText: 'Bewaarplicht geplaatst' }).filter({ hasText: 'Geschil facturen' }).first();
    await placed.waitFor();
    const subject = placed.locator('td:nth-child(4)');
    assert.equal((await subject.textContent())?.trim(), 'bewaarplicht documenten van het type Factuur van klant Van Dijk Installatietechniek');
    assert.equal(await subject.locator('a').getAttribute('href'), '#/retention?tab=holds');
    assert.doesNotMatch((await placed.textContent()) ?? '', /documents of customer|legal_hold|hold_/, 'no English sentence, code or id');
    // How many documents it held, named as a count (a list of documents is named 'documenten').
    assert.match((await placed.locator('.audit-details').textContent()) ?? '', /aantal documenten\s*\d+/);
    noErrors(c);
  });

  it('given an e-mail taken in when compliance reads the audit log then the message is named by subject and sender', async () => {
    await app.dl.db.run(
      `INSERT INTO mail_messages (id, mailbox, sender, subject, eml_sha256, eml_size, status, received_at, created_at, updated_at)
       VALUES ('msg_ui', 'INBOX', 'inkoop@vandijk.nl', 'Getekende offerte', 'e', 1, 'done', '2026-11-04T08:00:00.000Z', '2026-11-04T08:01:00.000Z', '2026-11-04T08:01:00.000Z')`,
    );
    await app.dl.services.audit.recordNow({ actorId: 'mailbox', action: 'mail.received', subjectType: 'mail-message', subjectId: 'msg_ui', details: { mailbox: 'INBOX', uid: 7, size: 1 } });
    const c = await as('compliance', '#/audit');
    const row = c.page.locator('#audit-table tr.audit-row', { hasText: 'Getekende offerte' }).first();
    await row.waitFor();
    assert.match((await row.locator('td:nth-child(4)').textContent()) ?? '', /^e-mailbericht “Getekende offerte” van inkoop@vandijk\.nl \(4 nov 2026, 09:00\)$/);
    noErrors(c);
  });

  it('given an API token revoked when compliance reads the audit log then the token is named once, its id on hover', async () => {
    await app.dl.services.audit.recordNow({ actorId: 'admin', action: 'token.revoke', subjectType: 'token', subjectId: 'tok_ui', details: { name: 'Boekhouding-koppeling' } });
    const c = await as('compliance', '#/audit');
    const row = c.page.locator('#audit-table tr.audit-row', { hasText: 'Boekhouding-koppeling' }).first();
    await row.waitFor();
    const subject = row.locator('td:nth-child(4)');
    assert.equal((await subject.textContent())?.trim(), 'API-sleutel “Boekhouding-koppeling”');
    assert.equal(await subject.locator('span[title="tok_ui"]').count(), 1);
    assert.equal(await row.locator('.audit-details > dt').count(), 0, 'its name is not said again in the details');
    noErrors(c);
  });

  it('given coupon review items viewed and destroyed when compliance reads the audit log then each is named by its pages in its stack, the id on hover', async () => {
    await app.dl.db.run("INSERT INTO coupon_batches (id, status, page_count, created_at) VALUES ('cbt_ui', 'done', 4, '2026-11-02T09:00:00.000Z')");
    await app.dl.db.run("INSERT INTO coupon_batch_files (batch_id, file_no, sha256, mime, name, size, page_count) VALUES ('cbt_ui', 1, 'a', 'application/pdf', 'retour-week-45.pdf', 1, 4)");
    await app.dl.db.run("INSERT INTO coupon_reviews (id, batch_id, unit, pages, reason, status, created_at) VALUES ('crv_ui', 'cbt_ui', 3, '[3,4]', 'unreadable', 'discarded', '2026-11-02T09:05:00.000Z')");
    await app.dl.services.audit.recordNow({ actorId: 'mailroom', action: 'coupon.review-view', subjectType: 'coupon-review', subjectId: 'crv_ui' });
    // A destroyed item is gone from the server: named from what its event says.
    await app.dl.services.audit.recordNow({ actorId: 'compliance', action: 'coupon.review-destroy', subjectType: 'coupon-review', subjectId: 'crv_gone', details: { reason: 'erasure', batchId: 'cbt_ui', code: null } });
    const c = await as('compliance', '#/audit');
    const viewed = c.page.locator('#audit-table tr.audit-row', { has: c.page.locator('span[title="crv_ui"]') }).first();
    await viewed.waitFor();
    assert.equal((await viewed.locator('td:nth-child(4)').textContent())?.trim(), 'coupon ter beoordeling pagina 3, 4 uit retour-week-45.pdf (2 nov 2026, 10:00)');
    const gone = c.page.locator('#audit-table tr.audit-row', { has: c.page.locator('span[title="crv_gone"]') }).first();
    assert.equal((await gone.locator('td:nth-child(4)').textContent())?.trim(), 'coupon ter beoordeling uit retour-week-45.pdf (2 nov 2026, 10:00)');
    assert.doesNotMatch((await gone.locator('.audit-details').textContent()) ?? '', /retour-week-45/, 'its stack is not said again in the details');
    assert.match((await gone.locator('.audit-details').textContent()) ?? '', /erasure/, 'what else it says is');
    noErrors(c);
  });

  it('given an event with more than six detail fields when compliance reads the audit log then six show and the rest fold open', async () => {
    await app.dl.services.audit.recordNow({
      actorId: 'system',
      action: 'customer.erasure-dry-run',
      subjectType: 'customer',
      subjectId: 'KL-000124',
      customerId: 'KL-000124',
      details: { reason: 'proef uitklappen', remove: 3, keep: 1, couponReviews: 0, couponPages: 2, mailMessages: 1, objects: 4, keptShared: 1 },
    });
    const c = await as('compliance', '#/audit');
    const row = c.page.locator('#audit-table tr.audit-row', { hasText: 'proef uitklappen' }).first();
    await row.waitFor();
    const fields = row.locator('.audit-details > dt');
    assert.equal(await fields.count(), 6);
    const more = row.locator('.audit-more');
    assert.equal((await more.locator('summary').textContent())?.trim(), 'nog 2');
    assert.equal(await more.locator('dt').first().isVisible(), false, 'folded at first');
    await more.locator('summary').click();
    assert.deepEqual(await more.locator('dt').allTextContents(), ['verwijderde bestanden', 'bewaard (gedeeld)']);
    assert.equal(await more.locator('dt').first().isVisible(), true);
    noErrors(c);
  });

  it('given a CRM user who opened a document when compliance reads the audit log then it names people and titles, shows one row for that view, and filters by picking', async () => {
    const dossier = await json<{ documents: { id: string; title: string; original: unknown; class: string }[] }>(await app.api('GET', '/api/customers/KL-000125/dossier', { as: 'crm' }));
    const doc = dossier.documents.find((d) => d.original && d.class === 'dynamic')!;
    const crm = await as('crm', `#/dossier/KL-000125?doc=${doc.id}`);
    await crm.page.locator('#doc-frame, #doc-body img').first().waitFor();
    await crm.page.click('#tab-text');
    await crm.page.locator('#doc-text').waitFor();
    const s = await as('compliance', '#/audit');
    const { page } = s;
    await page.locator('#audit-actor option', { hasText: 'Chris' }).waitFor({ state: 'attached' });
    const chris = await page.locator('#audit-actor option', { hasText: 'Chris' }).getAttribute('value');
    await page.selectOption('#audit-actor', chris!);
    await page.fill('#audit-customer', 'KL-000125');
    await page.evaluate(() => delete document.querySelector<HTMLElement>('#main')!.dataset.ready);
    await page.click('#main form button[type=submit]');
    await page.locator('#main[data-ready=audit]').waitFor({ state: 'attached' });
    const rows = page.locator('#audit-table tr.audit-row', { hasText: doc.title });
    assert.equal(await rows.count(), 1, 'one row for one document view');
    assert.ok(Number(await rows.first().getAttribute('data-count')) >= 2, 'the row stands for reading its file and its text');
    const text = (await rows.first().textContent())!;
    assert.match(text, /Chris \(CRM user\)/, 'the person by name');
    assert.match(text, /Document bekeken/);
    assert.match(text, /tekst/);
    assert.doesNotMatch(text, /usr_|doc_/, 'no raw ids');
    await screenshot(page, 'compliance-audit-people');
    noErrors(s);
    noErrors(crm);
  });

  it('given a proposal with paper that is checked out and overdue when the second officer opens it then titles, places and a warning show, and executing asks for confirmation', async () => {
    const overdue = await json<{ documentId: string; title: string }>(await app.api('GET', '/api/tracking/items/D0000000042', { as: 'compliance' }));
    const proposal = await json<{ id: string }>(await app.api('POST', '/api/disposals', { as: 'compliance', json: { reason: 'einde termijn offertes', documentIds: [overdue.documentId] } }), );
    const s = await as('compliance2', `#/retention?tab=disposals&id=${proposal.id}`);
    const { page } = s;
    await page.locator('#disposal-out', { hasText: /1 papieren document.*1 te laat/ }).waitFor();
    const row = page.locator('#disposal-items tr', { hasText: overdue.title });
    await row.locator(`a[href="#/document/${overdue.documentId}"]`).waitFor();
    await row.locator('.badge', { hasText: 'uitgeleend, te laat' }).waitFor();
    await page.fill('#disposal-note', 'gezien');
    await page.click('#approve');
    await page.locator('#execute').waitFor();
    await screenshot(page, 'compliance-disposal-check');
    await page.click('#execute');
    await page.locator('#execute-confirm-box', { hasText: 'Weet u het zeker' }).waitFor();
    assert.equal((await json<{ status: string }>(await app.api('GET', `/api/disposals/${proposal.id}`, { as: 'compliance' }))).status, 'approved', 'nothing executed before confirming');
    await page.click('#execute-confirm');
    await page.waitForFunction(async (id) => (await (await fetch(`/api/disposals/${id}`, { headers: { authorization: `Bearer ${sessionStorage.getItem('dl-token')}` } })).json()).status !== 'approved', proposal.id);
    noErrors(s);
  });

  it('given a scan still being processed when the mailroom watches the upload list and the processing queue then it shows the stage, not a final-looking status, and the file by name', async () => {
    const s = await as('mailroom', '#/upload');
    const { page } = s;
    const png = await toPng(renderScan({ dpi: 300, heightIn: 9, lines: ['Servicemelding SM-88123', 'Klantnummer: KL-000125', 'Datum: 14 november 2026', 'Storing: de koelcel geeft alarm.'] }), 300);
    const before = await page.locator('.upload-row').count();
    await page.setInputFiles('#upload-files', [{ name: 'koelcel-melding.png', mimeType: 'image/png', buffer: png }]);
    const row = page.locator('.upload-row', { hasText: 'koelcel-melding.png' });
    await page.waitForFunction((n) => document.querySelectorAll('.upload-row').length > n, before);
    await row.and(page.locator('[data-state=queued], [data-state=processing]')).waitFor();
    const waiting = (await row.locator('.detail').textContent())!;
    assert.match(waiting, /in de wachtrij|wordt verwerkt/, `the stage is named: ${waiting}`);
    assert.doesNotMatch(waiting, /nog niet bepaald|statisch|dynamisch|nog geen klant/, `nothing looks decided yet: ${waiting}`);
    await go(page, '#/jobs');
    await page.locator('#jobs-table .job-file', { hasText: 'koelcel-melding.png' }).first().waitFor();
    noErrors(s);
  });

  it('given a slow screen and an unreadable coupon when opened then a loading line shows instead of a blank page and the coupon image zooms', async () => {
    const s = await as('mailroom', '#/upload');
    const { page } = s;
    await page.route('**/api/jobs?*', async (route) => {
      await new Promise((r) => setTimeout(r, 1200));
      await route.continue();
    });
    await page.evaluate(() => {
      location.hash = '#/jobs';
    });
    await page.locator('#screen-loading').waitFor();
    await page.locator('#main[data-ready=jobs]').waitFor({ state: 'attached' });
    assert.equal(await page.locator('#screen-loading').count(), 0, 'the loading line goes once the screen has drawn');
    await page.unroute('**/api/jobs?*');

    const png = await toPng(renderScan({ dpi: 150, heightIn: 4, lines: ['Antwoordcoupon', 'Ja, ik kom graag', 'Klantnummer: KL-000124'] }), 150);
    const image = await app.dl.store.putBuffer(png, { contentType: 'image/png' });
    await app.dl.db.tx(async (q) => {
      await mailingsRepository.insertBatch(q, { id: 'cpb_ui_zoom', status: 'done', page_count: 1, job_id: null, created_by: 'test', created_at: new Date().toISOString() }, []);
      await mailingsRepository.insertReview(q, {
        id: 'rev_ui_zoom', batch_id: 'cpb_ui_zoom', unit: 1, pages: '[1]', reason: 'unreadable', code: null, answer: null, hint_customer_id: null,
        image_sha256: image.sha256, original_sha256: image.sha256, original_mime: 'image/png', original_size: image.size, created_at: new Date().toISOString(),
      });
    });
    await go(page, '#/coupons');
    await page.locator('#coupon-review-list button').first().click();
    await page.locator('#coupon-img').waitFor();
    const narrow = (await page.locator('#coupon-img').boundingBox())!.width;
    await page.click('#coupon-zoom');
    await page.locator('.coupon-image.zoomed').waitFor();
    const wide = (await page.locator('#coupon-img').boundingBox())!.width;
    assert.ok(wide > narrow * 2, `the image is larger when zoomed (${narrow} → ${wide})`);
    assert.equal(await page.locator('#coupon-zoom').getAttribute('aria-pressed'), 'true');
    noErrors(s);
  });

  it('given the inventory screen when the mailroom counts a box and finishes then the report lists what is missing', async () => {
    const s = await as('mailroom', '#/inventory');
    const { page } = s;
    await wedge(page, '#inv-place', 'C0000000025');
    await page.locator('#inv-item').waitFor();
    await page.click('#inv-finish');
    await page.locator('#inv-missing .badge').waitFor();
    assert.ok(Number(await page.locator('#inv-missing .badge').textContent()) >= 1, 'nothing was scanned, so what the box holds is missing');
    await screenshot(page, 'mailroom-inventory');
    noErrors(s);
  });

  it('given the mailings screen when a CRM user creates a mailing for two customers then the letters are previewed before printing', async () => {
    const s = await as('crm', '#/mailings');
    const { page } = s;
    await page.fill('#ml-name', 'Onderhoud 2027');
    await page.selectOption('#ml-mode', 'ids');
    await page.fill('#ml-ids', 'KL-000123\nKL-000124');
    await page.click('#ml-create');
    await page.locator('#ml-result iframe').waitFor();
    assert.match((await page.locator('#ml-count').textContent())!, /2 brieven/);
    await page.locator('#ml-list td', { hasText: 'Onderhoud 2027' }).waitFor();
    await page.waitForTimeout(500);
    await screenshot(page, 'crm-mailing');
    noErrors(s);
  });

  it('given the admin screens when a customer file is tried and a webhook registered then the report per row and the secret show', async () => {
    const s = await as('admin', '#/imports');
    const { page } = s;
    const csv = 'id;name;city\nKL-000555;Bakkerij Nieuw B.V.;Zwolle\n;Zonder nummer;Ede\n';
    await page.setInputFiles('#imp-file', [{ name: 'klanten.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) }]);
    await page.click('#imp-submit');
    await page.locator('#imp-totals').waitFor();
    await page.locator('#imp-report td', { hasText: /.+/ }).first().waitFor();
    assert.equal(await page.locator('#imp-dry-badge').count(), 1, 'a dry run by default');
    assert.equal((await app.api('GET', '/api/customers/KL-000555', { as: 'crm' })).status, 404, 'the dry run changed nothing');
    await screenshot(page, 'admin-imports');

    await go(page, '#/webhooks');
    await page.fill('#wh-url', 'http://127.0.0.1:9/dossierlink-hook');
    await page.fill('#wh-events', 'document.*');
    await page.click('#wh-submit');
    await page.locator('#wh-secret').waitFor();
    assert.ok(((await page.locator('#wh-secret').textContent()) ?? '').length >= 16, 'the secret is shown once');
    await page.locator('#wh-list code', { hasText: '127.0.0.1:9' }).waitFor();
    noErrors(s);
  });

  it('given a tablet when the overview and a document page are opened then nothing overflows sideways and the fields come below the preview', async () => {
    const s = await as('crm', '#/documents', { width: 820, height: 1180 });
    const { page } = s;
    await page.locator('#ov-list .doc-tile').first().waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling on the overview');
    const id = await page.locator('#ov-list .doc-tile').first().getAttribute('data-id');
    await go(page, `#/document/${id}`);
    await page.locator('#doc-facts .kv').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling on the document page');
    const prev = (await page.locator('#doc-preview').boundingBox())!;
    const facts = (await page.locator('#doc-facts').boundingBox())!;
    assert.ok(facts.y >= prev.y + prev.height - 1, 'the fields are below the preview on a tablet');
    noErrors(s);
  });
});
