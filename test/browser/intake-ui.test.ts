/**
 * Issue 18 in the web interface: the mailroom prints cover and separator sheets, sees the e-mail
 * intake, and sees where a split stack's pages went. Headless Chromium against a real instance
 * (demo data, real barcode reading and OCR workers).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import type { Browser } from 'playwright-core';
import { ImapFlow } from 'imapflow';
import { renderPdfPage } from '../../src/adapters/pdf/pdf-render.js';
import { chromiumPath, go, launchBrowser, NO_CHROMIUM, openAs, screenshot, type UiSession } from '../helpers/browser.js';
import { dovecotPath, startImapServer, type ImapTestServer } from '../helpers/imap-server.js';
import { makeTextPdf, renderScan, toImagePdf } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const skip = chromiumPath() ? false : NO_CHROMIUM;
const DPI = 150;

describe('web interface intake screens', { skip }, () => {
  let app: TestApp;
  let browser: Browser;
  const sessions: UiSession[] = [];
  const as = async (role: Parameters<typeof openAs>[2], hash?: string) => {
    const s = await openAs(browser, app, role, { hash });
    sessions.push(s);
    return s;
  };
  const noErrors = (s: UiSession) => assert.deepEqual(s.errors, [], `the page logged errors: ${s.errors.join(' | ')}`);
  /** The sheets screen, with every blob the page turns into an object URL kept for the test to read. */
  const sheetsScreen = async () => {
    const s = await as('mailroom', '#/sheets');
    await s.page.addInitScript(() => {
      const w = window as unknown as { __blobs: Map<string, Blob> };
      w.__blobs = new Map();
      const create = URL.createObjectURL.bind(URL);
      URL.createObjectURL = (b: Blob | MediaSource) => {
        const u = create(b);
        if (b instanceof Blob) w.__blobs.set(u, b);
        return u;
      };
    });
    await s.page.reload();
    await s.page.locator('#main[data-ready=sheets]').waitFor({ state: 'attached' });
    return s;
  };
  /** The bytes of the blob the preview's iframe shows (read in the page: the CSP refuses fetching blob: URLs). */
  const previewBytes = async (s: UiSession) => {
    const src = await s.page.locator('#sheet-preview iframe').getAttribute('src');
    assert.match(src ?? '', /^blob:/, 'shown through a blob: URL, not a URL that needs the session');
    const bytes = await s.page.evaluate(async (u) => {
      const b = (window as unknown as { __blobs: Map<string, Blob> }).__blobs.get(u);
      return b ? { type: b.type, data: [...new Uint8Array(await b.arrayBuffer())] } : null;
    }, src!);
    assert.ok(bytes, 'the iframe shows a blob the page made');
    assert.equal(bytes.type, 'application/pdf');
    return new Uint8Array(bytes.data);
  };

  before(async () => {
    [app, browser] = await Promise.all([startTestApp(), launchBrowser()]);
    await app.dl.startWorkers();
  });
  after(async () => {
    for (const s of sessions) await s.context.close().catch(() => undefined);
    await browser?.close();
    await app?.close();
  });

  it('given a customer, a type and 2 copies when the mailroom makes a cover sheet then the PDF is fetched with the session and shown: 2 pages carrying that code', async () => {
    const s = await sheetsScreen();
    const { page } = s;
    await page.fill('#sheet-customer', 'KL-000124');
    await page.selectOption('#sheet-type', 'invoice');
    await page.fill('#sheet-copies', '2');
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/cover-sheet.pdf')), page.click('#print-cover')]);
    const url = new URL(res.url());
    assert.deepEqual([url.searchParams.get('customerId'), url.searchParams.get('type'), url.searchParams.get('copies')], ['KL-000124', 'invoice', '2']);
    assert.equal(res.status(), 200);
    await page.locator('#sheet-preview[data-kind=cover] iframe').waitFor();
    assert.equal(await page.locator('#sheet-preview .open-print').count(), 1, 'with a button to open it for printing');
    const bytes = await previewBytes(s);
    assert.equal(Buffer.from(bytes.subarray(0, 5)).toString('latin1'), '%PDF-');
    assert.equal((await PDFDocument.load(bytes)).getPageCount(), 2);
    const code = res.headers()['x-cover-code'];
    assert.ok(code, 'the sheet has a code');
    assert.match((await page.locator('#sheet-preview').textContent()) ?? '', new RegExp(code.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await screenshot(page, 'mailroom-sheets');
    noErrors(s);
  });

  it('given the separator button when pressed then a numbered S sheet is registered and shown, and an unknown customer is refused on screen', async () => {
    const s = await sheetsScreen();
    const { page } = s;
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/separator-sheets')), page.click('#print-separator')]);
    assert.equal(res.status(), 201);
    await page.locator('#sheet-preview[data-kind=separator] iframe').waitFor();

    const barcode = await page.locator('#sheet-preview').getAttribute('data-barcode');
    assert.match(barcode ?? '', /^S/);
    assert.equal(barcode, res.headers()['x-barcode']);
    assert.equal((await PDFDocument.load(await previewBytes(s))).getPageCount(), 1);

    await page.fill('#sheet-customer', 'KL-999999');
    await page.click('#print-cover');
    await page.locator('#sheet-preview .error').waitFor();
    assert.equal(await page.locator('#sheet-preview iframe').count(), 0, 'no sheet for a customer that does not exist');
    // The form's own validation stops the cover button; the separator button checks the number itself.
    await page.fill('#sheet-copies', '80');
    await page.click('#print-separator');
    assert.match((await page.locator('#sheet-msg').textContent()) ?? '', /1.*50/);
    noErrors(s);
  });

  it('given no mailbox configured when the mailroom opens the e-mail intake then it says so, names the settings and cannot read now', async () => {
    const s = await as('mailroom', '#/mail-intake');
    const { page } = s;
    await page.locator('#mail-config[data-enabled=false]').waitFor();
    const text = (await page.locator('#mail-config').textContent()) ?? '';
    assert.match(text, /niet ingesteld/);
    for (const v of ['DOSSIER_IMAP_URL', 'DOSSIER_IMAP_HOST', 'DOSSIER_IMAP_INTERVAL_MS']) assert.ok(text.includes(v), `mentions ${v}`);
    assert.equal(await page.locator('#mail-poll').isDisabled(), true);
    assert.equal(await page.locator('#mail-counts .kpi').count(), 3);
    await screenshot(page, 'mailroom-mail-intake');
    // English too.
    await page.selectOption('#lang', 'en');
    await page.locator('#mail-config', { hasText: 'not configured' }).waitFor();
    noErrors(s);
  });

  it('given a stack with a cover sheet and a separator uploaded in the browser when it is split then the upload row and the document page list its parts with links', async () => {
    const cover = new Uint8Array(await (await app.api('GET', '/api/cover-sheet.pdf?customerId=KL-000124&type=invoice', { as: 'mailroom' })).arrayBuffer());
    const sep = await app.api('POST', '/api/separator-sheets', { as: 'mailroom', json: {} });
    assert.equal(sep.status, 201);
    const separator = new Uint8Array(await sep.arrayBuffer());
    const stack = await toImagePdf(
      [
        await renderPdfPage(cover, 1, DPI),
        renderScan({ dpi: DPI, lines: ['FACTUUR 2026-0412', 'Bedrag: 1.250,00 euro'], heightIn: 2.5 }),
        await renderPdfPage(separator, 1, DPI),
        renderScan({ dpi: DPI, lines: ['Geachte heer, mevrouw,', 'Hierbij zeggen wij de huur op.'], heightIn: 2.5 }),
      ],
      { dpi: DPI },
    );
    const s = await as('mailroom', '#/upload');
    const { page } = s;
    await page.setInputFiles('#upload-files', { name: 'postkamer-stapel.pdf', mimeType: 'application/pdf', buffer: Buffer.from(stack) });
    const row = page.locator('.upload-row[data-split]');
    await row.waitFor({ timeout: 120_000 });
    assert.equal(await row.getAttribute('data-split'), '2');
    const parts = row.locator('.split-part');
    assert.deepEqual(await parts.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.kind)), ['document', 'document']);
    assert.match((await parts.nth(0).textContent()) ?? '', /pagina 2.*KL-000124.*[Ff]actuur/);
    const otherId = await parts.nth(1).getAttribute('data-document-id');
    const parentId = await parts.nth(0).getAttribute('data-document-id');
    assert.ok(otherId && parentId && otherId !== parentId);
    assert.equal(await parts.nth(1).locator('a').getAttribute('href'), `#/document/${otherId}`);
    await screenshot(page, 'mailroom-upload-split');

    await go(page, `#/document/${parentId}`);
    await page.locator('#doc-split .split-part').first().waitFor();
    assert.equal(await page.locator('#doc-split .split-part').count(), 2);
    assert.match((await page.locator('#doc-split').textContent()) ?? '', /4 pagina’s met 2 blad/);
    await screenshot(page, 'mailroom-document-split');
    await page.locator('#doc-split a.split-part-link').click();
    await page.locator(`#main[data-ready=document]`).waitFor({ state: 'attached' });
    await page.waitForFunction((id) => location.hash === `#/document/${id}`, otherId);
    await page.locator('#doc-facts').waitFor();
    noErrors(s);
  });
});

/** A message as a mail client sends it: multipart/mixed with base64 attachments. */
function mime(m: { from: string; subject: string; messageId: string; attachments: { name: string; type: string; bytes: Uint8Array }[] }): Buffer {
  const boundary = 'b-intake-ui';
  const lines = [`From: ${m.from}`, 'To: post@dossierlink.test', `Subject: ${m.subject}`, 'Date: Mon, 30 Nov 2026 09:15:00 +0100', `Message-ID: ${m.messageId}`, 'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`, '', `--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', 'Zie bijlage.'];
  for (const a of m.attachments) lines.push(`--${boundary}`, `Content-Type: ${a.type}; name="${a.name}"`, 'Content-Transfer-Encoding: base64', `Content-Disposition: attachment; filename="${a.name}"`, '', Buffer.from(a.bytes).toString('base64').replace(/.{76}/g, '$&\r\n'));
  lines.push(`--${boundary}--`, '');
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

describe('web interface e-mail intake with a mailbox', { skip: skip || (dovecotPath() ? false : 'no Dovecot installed') }, () => {
  let server: ImapTestServer;
  let app: TestApp;
  let browser: Browser;
  let s: UiSession | undefined;

  before(async () => {
    server = await startImapServer({ post: 'geheim-1' });
    [app, browser] = await Promise.all([
      startTestApp({ env: { DOSSIER_IMAP_URL: `imap://post:geheim-1@127.0.0.1:${server.port}/INBOX`, DOSSIER_IMAP_INTERVAL_MS: '3600000', DOSSIER_IMAP_MAX_ATTEMPTS: '1' } }),
      launchBrowser(),
    ]);
    const invoice = mime({
      from: 'J. Jansen <j.jansen@example.nl>',
      subject: 'Factuur 2026-1188',
      messageId: '<factuur-1188@example.nl>',
      attachments: [
        { name: 'factuur-2026-1188.pdf', type: 'application/pdf', bytes: await makeTextPdf([['FACTUUR 2026-1188', 'Totaal: 845,50 euro']]) },
        { name: 'voorwaarden.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: new Uint8Array(2048).fill(7) },
      ],
    });
    const lost = mime({ from: 'iemand@example.org', subject: 'Brief', messageId: '<brief-5@example.org>', attachments: [{ name: 'brief.pdf', type: 'application/pdf', bytes: await makeTextPdf([['Geachte heer, mevrouw,']]) }] });
    // Dovecot's auth process can answer "temporary failure" while the machine is busy starting: try again.
    for (let i = 0; ; i++) {
      const c = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user: 'post', pass: 'geheim-1' }, logger: false });
      try {
        await c.connect();
        for (const raw of [invoice, lost]) await c.append('INBOX', raw);
        await c.logout();
        break;
      } catch (err) {
        c.close();
        if (i >= 5) throw new Error(`${(err as Error).message}\n${await server.log()}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  });
  after(async () => {
    await s?.context.close().catch(() => undefined);
    await browser?.close();
    await app?.close();
    await server?.stop();
  });

  it('given two messages in the mailbox when the mailroom reads it now then one becomes a document with the .docx skipped and why, and the one that fails links to the processing queue', async () => {
    s = await openAs(browser, app, 'mailroom', { hash: '#/mail-intake' });
    const { page } = s;
    await page.locator('#mail-config[data-enabled=true]').waitFor();
    assert.match((await page.locator('#mail-config').textContent()) ?? '', /post@127\.0\.0\.1/);
    for (let i = 0; ; i++) {
      await page.click('#mail-poll');
      await page.locator('#mail-poll-result', { hasText: /gelezen:|kon niet/ }).waitFor();
      const text = (await page.locator('#mail-poll-result').textContent()) ?? '';
      if (/2 bericht\(en\) gezien, 2 nieuw/.test(text)) break;
      assert.ok(i < 3 && /Temporary/i.test(text), `the mailbox read: ${text}`); // a busy Dovecot's auth, as above
      await new Promise((r) => setTimeout(r, 1000));
    }
    // The message table is redrawn after the poll result shows: wait for its rows, then count.
    await page.locator('tr.mail-message[data-status=queued]').nth(1).waitFor();
    assert.equal(await page.locator('tr.mail-message[data-status=queued]').count(), 2);
    // The second message's stored copy is lost before its job runs: it cannot succeed (as in test/integration/mail-intake.test.ts).
    const st = (await (await app.api('GET', '/api/mail-intake', { as: 'mailroom' })).json()) as { messages: { messageId: string; eml: { sha256: string } }[] };
    await app.dl.store.delete(st.messages.find((m) => m.messageId === '<brief-5@example.org>')!.eml.sha256);
    await app.dl.startWorkers();
    for (let i = 0; ; i++) {
      await page.reload();
      await page.locator('#main[data-ready=mail-intake]').waitFor({ state: 'attached' });
      if ((await page.locator('tr.mail-message[data-status=done]').count()) === 1 && (await page.locator('tr.mail-message[data-status=failed]').count()) === 1) break;
      assert.ok(i < 60, 'the messages were never processed');
      await new Promise((r) => setTimeout(r, 500));
    }
    // The scheduled read took the mailbox's lease (one worker of several reads it): the screen names this process.
    assert.match((await page.locator('#mail-lease').textContent()) ?? '', /\/\d+\/.* · dit proces · toegewezen tot/);
    const done = page.locator('tr.mail-message[data-status=done]');
    assert.match((await done.textContent()) ?? '', /Factuur 2026-1188/);
    assert.equal(await done.locator('a[href^="#/document/"]', { hasText: 'factuur-2026-1188.pdf' }).count(), 1);
    assert.match((await done.locator('.skipped').textContent()) ?? '', /voorwaarden\.docx overgeslagen: Dit soort bestand wordt niet ondersteund/, 'the reason in Dutch, from its code');
    const failed = page.locator('tr.mail-message[data-status=failed]');
    assert.equal(await failed.locator('a.mail-retry').getAttribute('href'), '#/jobs?status=failed');
    assert.match((await failed.textContent()) ?? '', /1 van 1 pogingen/);
    // Why, in Dutch as the processing screen says it; the server's English text folded under "Technische details".
    assert.match((await failed.locator('.mail-error').textContent()) ?? '', /^Iets wat deze taak nodig heeft, is er niet meer: een opgeslagen bestand/);
    const technical = failed.locator('details', { hasText: 'Technische details' });
    assert.equal(await technical.evaluate((d) => (d as HTMLDetailsElement).open), false);
    assert.match((await technical.locator('pre').textContent()) ?? '', /not found/);
    assert.equal(await page.locator('#mail-counts .kpi[data-status=failed] .n').textContent(), '1');
    await screenshot(page, 'mailroom-mail-intake-messages');
    await failed.locator('a.mail-retry').click();
    await page.locator('#main[data-ready=jobs]').waitFor({ state: 'attached' });
    assert.deepEqual(s.errors, []);
  });

  it('given the customer of a processed message is restricted when the mailroom opens e-mail intake then the row says beperkt, without sender, subject or attachment names', async () => {
    const st = (await (await app.api('GET', '/api/mail-intake', { as: 'admin' })).json()) as { messages: { status: string; customerId: string | null }[] };
    const customerId = st.messages.find((m) => m.status === 'done')!.customerId!;
    const r = await app.api('POST', `/api/customers/${customerId}/restriction`, { as: 'compliance', json: { restricted: true, reason: 'Customer contests the accuracy of the data' } });
    assert.equal(r.status, 200, await r.text());
    try {
      const { page } = s!;
      await page.goto(`${app.url}/#/mail-intake`);
      await page.locator('#main[data-ready=mail-intake]').waitFor({ state: 'attached' });
      const done = page.locator('tr.mail-message[data-status=done]');
      await done.waitFor();
      const text = (await done.textContent()) ?? '';
      assert.match(text, /beperkt/);
      assert.doesNotMatch(text, /Factuur 2026-1188|factuur-2026-1188\.pdf|voorwaarden\.docx|@/, 'nothing that names the mail or its sender');
      assert.match((await done.locator('.skipped').textContent()) ?? '', /bijlage zonder naam.*Dit soort bestand wordt niet ondersteund/, 'the reason still in Dutch, from its code');
      await screenshot(page, 'mailroom-mail-intake-restricted');
      assert.deepEqual(s!.errors, []);
    } finally {
      await app.api('POST', `/api/customers/${customerId}/restriction`, { as: 'compliance', json: { restricted: false, reason: 'Data corrected' } });
    }
  });
});
