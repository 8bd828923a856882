import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { renderPdfPage, type GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import type { DocumentView } from '../../src/domain/document.js';
import { addNoise, rotate } from '../helpers/degrade-image.js';
import { textOf, upload, waitFinal, waitIngestIdle } from '../helpers/ingest-helpers.js';
import { renderScan, toJpeg } from '../helpers/scan-samples.js';
import { json, pdfOf, stick } from '../helpers/stack-helpers.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Issue 15: a single page is read for codes by its ingest job, alongside OCR and from the one
// decode of its pixels, instead of by a `split` job before it. What it does with a code must not
// change: labelled paper is digitised, a coupon settled, a lone sheet dropped.

const DPI = 200;

const jpeg = (img: GreyImage) => toJpeg(img, 85, DPI);

async function jobsOf(t: TestApp, documentId: string) {
  return t.dl.db.all<{ kind: string; status: string; payload: string }>('SELECT kind, status, payload FROM jobs WHERE payload LIKE ? ORDER BY created_at', [`%${documentId}%`]);
}

async function waitGone(t: TestApp, id: string, timeoutMs = 120_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; ; ) {
    if (!(await t.dl.db.get('SELECT id FROM documents WHERE id = ?', [id]))) return;
    assert.ok(Date.now() < until, `document ${id} still there after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a single page read for codes by its ingest job', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    await t.dl.startWorkers();
  });
  after(async () => {
    await t?.close();
  });

  it('given one scanned page with the label of registered paper when uploaded then that paper is digitised, with no split job and no document left of the upload', async () => {
    const paper = await json<DocumentView>(await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000125', type: 'service-contract', title: 'Servicecontract SC-7710' } }), 201);
    const label = await pdfOf(t, `/api/documents/${paper.id}/label.pdf?layout=single-62x29`);
    const scan = addNoise(
      rotate(
        stick(
          renderScan({ dpi: DPI, lines: ['SERVICECONTRACT SC-7710', 'Klantnummer: KL-000125', 'Onderhoud warmtepomp, looptijd 5 jaar.'], heightIn: 3.2 }),
          await renderPdfPage(label, 1, DPI),
          Math.round(5.5 * DPI),
          Math.round(0.15 * DPI),
        ),
        0.8,
      ),
      { speckle: 0.002, sigma: 8, seed: 3 },
    );
    const res = await upload(t, await jpeg(scan), 'contract-met-label.jpg');
    const uploaded = await json<DocumentView>(res, 202);
    await waitGone(t, uploaded.id);
    const doc = await waitFinal(t, paper.id);
    assert.equal(doc.class, 'dynamic');
    assert.equal(doc.barcode, paper.barcode, 'the paper keeps its barcode');
    assert.equal(doc.pageCount, 1);
    assert.match(await textOf(t, paper.id), /SC-7710/);
    const jobs = await jobsOf(t, uploaded.id);
    assert.deepEqual(jobs.map((j) => j.kind), ['ingest'], 'one ingest job read the codes; no split job ran');
    assert.equal(JSON.parse(jobs[0]!.payload).readCodes, true);
    const split = await t.dl.db.get<{ page_count: number }>('SELECT page_count FROM intake_splits WHERE document_id = ?', [uploaded.id]);
    assert.equal(split?.page_count, 1, 'the split is recorded as the split job records it');
  });

  it('given a 300 dpi scan of labelled paper when uploaded then its label is read on the page scaled to 200 dpi and the paper is digitised', async () => {
    const paper = await json<DocumentView>(await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000124', type: 'order', title: 'Order OB-5120' } }), 201);
    const label = await pdfOf(t, `/api/documents/${paper.id}/label.pdf?layout=single-62x29`);
    const scan = addNoise(
      rotate(stick(renderScan({ dpi: 300, lines: ['ORDERBEVESTIGING OB-5120', 'Klantnummer: KL-000124'], heightIn: 3.2 }), await renderPdfPage(label, 1, 300), 1650, 45), -0.6),
      { speckle: 0.002, sigma: 8, seed: 9 },
    );
    const uploaded = await json<DocumentView>(await upload(t, await toJpeg(scan, 85, 300), 'order-300dpi.jpg'), 202);
    await waitGone(t, uploaded.id);
    const doc = await waitFinal(t, paper.id);
    assert.equal(doc.barcode, paper.barcode);
    assert.match(await textOf(t, paper.id), /OB-5120/);
  });

  it('given one plain scanned page after that when uploaded then its one ingest job reads codes and text and it is ready', async () => {
    const res = await upload(t, await jpeg(renderScan({ dpi: DPI, lines: ['FACTUUR 2026-0977', 'Klantnummer: KL-000123', 'Bedrag: 310,00 euro'], heightIn: 3.2 })), 'factuur.jpg');
    const uploaded = await json<DocumentView>(res, 202);
    const doc = await waitFinal(t, uploaded.id);
    assert.notEqual(doc.status, 'failed', doc.error ?? '');
    assert.match(await textOf(t, uploaded.id), /2026-0977/);
    await waitIngestIdle(t);
    const jobs = await jobsOf(t, uploaded.id);
    assert.deepEqual(
      jobs.map((j) => [j.kind, j.status]),
      [['ingest', 'done']],
    );
    assert.equal(await t.dl.db.get('SELECT document_id FROM intake_splits WHERE document_id = ?', [uploaded.id]), undefined);
  });

  it('given a returned reply coupon scanned on its own when uploaded then it is settled as in a coupon batch and the customer has the reply', async () => {
    const mailing = await json<{ id: string; letters: { customerId: string; barcode: string }[] }>(
      await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Winteractie', customerIds: ['KL-000126'] } }),
      201,
    );
    await json(await t.api('POST', `/api/mailings/${mailing.id}/sent`, { as: 'crm' }), 200);
    const letter = mailing.letters[0]!;
    const letters = await pdfOf(t, `/api/mailings/${mailing.id}/letters.pdf`);
    const coupon = addNoise(rotate(await renderPdfPage(letters, 1, DPI), -1.2), { speckle: 0.003, sigma: 10, seed: 6 });
    // Every OCR worker running before the coupon comes, so a restart because of it would show.
    const ocr = t.dl.ocr as typeof t.dl.ocr & { workersStarted: number };
    await Promise.all(Array.from({ length: ocr.workers }, () => ocr.recognize(renderScan({ dpi: 100, lines: ['Warm'] }))));
    const started = ocr.workersStarted;
    const uploaded = await json<DocumentView>(await upload(t, await jpeg(coupon), 'antwoordcoupon.jpg'), 202);
    await waitGone(t, uploaded.id);
    const until = Date.now() + 120_000;
    for (;;) {
      const dossier = await json<{ statuses: { name: string; detail: { barcode: string } }[] }>(await t.api('GET', `/api/customers/${letter.customerId}/dossier`, { as: 'crm' }), 200);
      if (dossier.statuses.some((s) => s.name === 'reply-received' && s.detail.barcode === letter.barcode)) break;
      assert.ok(Date.now() < until, 'the reply was not recorded within 2 minutes');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual((await jobsOf(t, uploaded.id)).map((j) => j.kind), ['ingest']);
    // OCR, started beside the code reading, was left to finish its pass rather than killed:
    // the next page is read by the same workers, not by restarted (and cold) ones.
    const next = await json<DocumentView>(await upload(t, await jpeg(renderScan({ dpi: DPI, lines: ['Brief na de coupon', 'Klantnummer: KL-000126'] })), 'brief.jpg'), 202);
    assert.notEqual((await waitFinal(t, next.id)).status, 'failed');
    assert.match(await textOf(t, next.id), /na de coupon/);
    await Promise.all(Array.from({ length: ocr.workers }, () => ocr.recognize(renderScan({ dpi: 100, lines: ['Warm'] }))));
    assert.equal(ocr.workersStarted, started, 'no OCR worker was restarted for the coupon');
  });

  it('given a born-digital cover sheet PDF alone when uploaded then its codes are read from the text-layer page and nothing is left to ingest', async () => {
    const cover = await pdfOf(t, '/api/cover-sheet.pdf?customerId=KL-000124&type=invoice');
    const uploaded = await json<DocumentView>(await upload(t, cover, 'voorblad.pdf'), 202);
    await waitGone(t, uploaded.id);
    const split = await t.dl.db.get<{ sheets: number; parts: string }>('SELECT sheets, parts FROM intake_splits WHERE document_id = ?', [uploaded.id]);
    assert.equal(split?.sheets, 1);
    assert.deepEqual(JSON.parse(split!.parts), []);
  });
});
