/**
 * Issue 18 in the web interface: the mailroom prints cover and separator sheets, sees the e-mail
 * intake, and sees where a split stack's pages went. Headless Chromium against a real instance
 * (demo data, real barcode reading and OCR workers).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import type { Browser } from 'playwright-core';
import { renderPdfPage } from '../../src/adapters/pdf/pdf-render.js';
import { chromiumPath, go, launchBrowser, NO_CHROMIUM, openAs, screenshot, type UiSession } from '../helpers/browser.js';
import { renderScan, toImagePdf } from '../helpers/scan-samples.js';
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
    await page.locator('#doc-split a.split-part-link').click();
    await page.locator(`#main[data-ready=document]`).waitFor({ state: 'attached' });
    await page.waitForFunction((id) => location.hash === `#/document/${id}`, otherId);
    await page.locator('#doc-facts').waitFor();
    noErrors(s);
  });
});
