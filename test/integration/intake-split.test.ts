import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { createBarcodeReader } from '../../src/adapters/barcode/barcode-reader.js';
import { renderPdfPage } from '../../src/adapters/pdf/pdf-render.js';
import type { DocumentView } from '../../src/domain/document.js';
import type { Job } from '../../src/jobs/job-queue.js';
import type { JobContext } from '../../src/jobs/worker-pool.js';
import type { CouponsService } from '../../src/services/coupons.service.js';
import { IntakeSplitService, type SplitPayload } from '../../src/services/intake-split.service.js';
import { addNoise, rotate } from '../helpers/degrade-image.js';
import { textOf, upload, waitFinal, waitIngestIdle } from '../helpers/ingest-helpers.js';
import { makeTextPdf, renderScan, toImagePdf } from '../helpers/scan-samples.js';
import { json, pdfOf, stick } from '../helpers/stack-helpers.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** The mailroom's scanner: 200 dpi, JPEG inside a PDF. */
const DPI = 200;

type Split = { split: boolean; stack: { pages: number; sheets: number } | null; parts: { partNo: number; kind: string; pages: number[]; documentId?: string; batchId?: string; customerId?: string | null; type?: string | null }[] };

const page = (lines: string[], seed: number) => addNoise(rotate(renderScan({ dpi: DPI, lines, heightIn: 3.2 }), seed % 2 ? 1.2 : -0.8), { speckle: 0.002, sigma: 8, seed });

describe(IntakeSplitService.name, () => {
  let t: TestApp;
  let stack: Uint8Array;
  let parentId: string;
  let paper: DocumentView;
  let letter: { customerId: string; barcode: string };
  let split: Split;

  before(async () => {
    t = await startTestApp();
    // Everything the mailroom prints, rendered by the app itself and scanned back.
    const cover = await pdfOf(t, '/api/cover-sheet.pdf?customerId=KL-000124&type=invoice');
    const separator = await pdfOf(t, '/api/separator-sheets', { method: 'POST', json: {} });
    paper = await json<DocumentView>(await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000125', type: 'service-contract', title: 'Servicecontract SC-4411' } }), 201);
    const label = await pdfOf(t, `/api/documents/${paper.id}/label.pdf?layout=single-62x29`);
    const mailing = await json<{ id: string; letters: { customerId: string; barcode: string }[] }>(
      await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Najaarsactie', customerIds: ['KL-000123'] } }),
      201,
    );
    await json(await t.api('POST', `/api/mailings/${mailing.id}/sent`, { as: 'crm' }), 200);
    letter = mailing.letters[0]!;
    const letters = await pdfOf(t, `/api/mailings/${mailing.id}/letters.pdf`);

    const labelled = stick(
      renderScan({ dpi: DPI, lines: ['SERVICECONTRACT SC-4411', 'Klantnummer: KL-000125', 'Onderhoud koelinstallatie, looptijd 3 jaar.'], heightIn: 3.2 }),
      await renderPdfPage(label, 1, DPI),
      Math.round(5.5 * DPI),
      Math.round(0.15 * DPI),
    );
    const scans = [
      rotate(await renderPdfPage(cover, 1, DPI), 0.7), // 1 cover sheet: KL-000124, invoice
      page(['FACTUUR 2026-0412', 'Leverancier: Koeltechniek Oost', 'Bedrag: 1.250,00 euro'], 2), // 2
      page(['Factuur 2026-0412, pagina 2', 'Betalingstermijn 30 dagen', 'IBAN NL91 ABNA 0417 1643 00'], 3), // 3
      rotate(await renderPdfPage(separator, 1, DPI), 180), // 4 separator sheet, fed upside down
      page(['Geachte heer, mevrouw,', 'Hierbij zeggen wij de huur van de opslagruimte op.', 'Met vriendelijke groet'], 5), // 5
      addNoise(rotate(await renderPdfPage(letters, 1, DPI), -1.5), { speckle: 0.003, sigma: 10, seed: 6 }), // 6 a returned reply coupon
      addNoise(rotate(labelled, 0.9), { speckle: 0.002, sigma: 8, seed: 7 }), // 7 registered paper, its label stuck on
      page(['Servicecontract SC-4411, bijlage A', 'Storingen binnen 4 uur verholpen.'], 8), // 8
    ];
    stack = await toImagePdf(scans, { dpi: DPI });
    const res = await upload(t, stack, 'postkamer-stapel.pdf');
    parentId = (await json<DocumentView>(res, 202)).id;
  });
  after(() => t.close());

  it('given a mixed stack whose split is interrupted by a crash mid-way when it runs again then every part exists exactly once', async () => {
    const [job] = (await t.dl.queue.list({ kind: 'split', limit: 10, offset: 0 })) as Job<SplitPayload>[];
    assert.equal(job?.payload.documentId, parentId);
    // The first run dies inside the third part's transaction (the coupon), after two parts were made.
    const crashing = {
      batchFromStack: () => {
        throw new Error('simulated crash');
      },
    } as unknown as CouponsService;
    const s = t.dl.services;
    const first = new IntakeSplitService({ db: t.dl.db, store: t.dl.store, queue: t.dl.queue, audit: s.audit, scopes: s.scopes, clock: t.dl.clock, reader: createBarcodeReader(), digitise: s.digitise, coupons: crashing });
    const ctx: JobContext = { signal: new AbortController().signal, progress: async () => undefined };
    await assert.rejects(first.run(job!, ctx), /simulated crash/);
    const made = await t.dl.db.all<{ part_no: number }>('SELECT part_no FROM intake_split_parts WHERE document_id = ? ORDER BY part_no', [parentId]);
    assert.deepEqual(made.map((r) => r.part_no), [1, 2]);

    // The restarted worker picks the same job up and finishes it.
    await t.dl.startWorkers();
    const until = Date.now() + 120_000;
    for (;;) {
      split = await json<Split>(await t.api('GET', `/api/intake/splits/${parentId}`, { as: 'mailroom' }), 200);
      if (split.split) break;
      assert.ok(Date.now() < until, 'the split never finished');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(
      split.parts.map((p) => [p.kind, p.pages]),
      [
        ['document', [2, 3]],
        ['document', [5]],
        ['coupon', [6]],
        ['paper', [7, 8]],
      ],
    );
    assert.equal(split.stack?.pages, 8);
    assert.equal(split.stack?.sheets, 2);
    const keys = await t.dl.db.all<{ idempotency_key: string; n: number }>("SELECT idempotency_key, COUNT(*) AS n FROM jobs WHERE idempotency_key LIKE ? GROUP BY idempotency_key ORDER BY idempotency_key", [`split:${parentId}%`]);
    assert.deepEqual(keys.map((k) => [k.idempotency_key, k.n]), [[`split:${parentId}`, 1], [`split:${parentId}:1`, 1], [`split:${parentId}:2`, 1], [`split:${parentId}:3`, 1], [`split:${parentId}:4`, 1]]);
    const uploads = await t.dl.db.all<{ id: string }>("SELECT id FROM documents WHERE source = 'upload'");
    assert.equal(uploads.length, 2, 'the stack itself and one more document, nothing twice');
    const batches = await t.dl.db.all('SELECT id FROM coupon_batches');
    assert.equal(batches.length, 1);
    const { stack_sha256 } = (await t.dl.db.get<{ stack_sha256: string }>('SELECT stack_sha256 FROM intake_splits WHERE document_id = ?', [parentId]))!;
    // The split is visible once its transaction commits; the stack file goes just after that.
    await waitIngestIdle(t);
    assert.equal(await t.dl.store.stat(stack_sha256), null, 'the stack itself is not kept: destroying a part reaches every copy');
  });

  it('given a cover sheet for KL-000124 and invoice when the pages after it are ingested then they are that customer\'s invoice, without the sheet', async () => {
    const doc = await waitFinal(t, parentId);
    assert.equal(doc.customerId, 'KL-000124');
    assert.equal(doc.type, 'invoice');
    assert.equal(doc.pageCount, 2);
    const text = await textOf(t, parentId);
    assert.match(text, /FACTUUR 2026-0412/i);
    assert.match(text, /IBAN/);
    assert.doesNotMatch(text, /VOORBLAD/, 'the cover sheet is not part of the document');
  });

  it('given a separator sheet when the page after it is ingested then it is a document of its own, customer and type left to detection', async () => {
    const part = split.parts[1]!;
    assert.notEqual(part.documentId, parentId);
    const doc = await waitFinal(t, part.documentId!);
    assert.equal(doc.pageCount, 1);
    assert.equal(doc.customerId, null);
    assert.match(await textOf(t, doc.id), /opslagruimte/);
  });

  it('given a page with the label of registered paper when the stack is split then the scan digitises that paper record', async () => {
    assert.equal(split.parts[3]!.documentId, paper.id);
    const doc = await waitFinal(t, paper.id);
    assert.equal(doc.class, 'dynamic');
    assert.equal(doc.barcode, paper.barcode, 'the paper keeps its barcode');
    assert.equal(doc.pageCount, 2);
    const why = await t.dl.db.get<{ reason: string }>('SELECT reason FROM digitisations WHERE document_id = ?', [paper.id]);
    assert.match(why!.reason, new RegExp(`label ${paper.barcode}`));
    assert.match(await textOf(t, paper.id), /SC-4411/);
  });

  it('given a returned reply coupon in the stack when the split is done then it is settled as in a coupon batch', async () => {
    const batchId = split.parts[2]!.batchId!;
    const until = Date.now() + 60_000;
    let batch: { status: string; summary: Record<string, number> };
    do {
      batch = await json(await t.api('GET', `/api/coupons/batches/${batchId}`, { as: 'mailroom' }), 200);
      if (batch.status === 'done') break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < until);
    assert.equal(batch.status, 'done');
    assert.equal(batch.summary.received, 1);
    const dossier = await json<{ statuses: { name: string; detail: { barcode: string } }[] }>(await t.api('GET', `/api/customers/${letter.customerId}/dossier`, { as: 'crm' }), 200);
    assert.ok(dossier.statuses.some((s) => s.name === 'reply-received' && s.detail.barcode === letter.barcode));
  });

  it('given the same stack uploaded again when it was split before then the first document answers as the duplicate and nothing is split twice', async () => {
    const res = await upload(t, stack, 'postkamer-stapel-opnieuw.pdf');
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-duplicate-of'), parentId);
    const splits = await t.dl.db.all('SELECT document_id FROM intake_splits');
    assert.equal(splits.length, 1);
  });

  it('given a scan with a cover sheet in front dropped in the scanner inbox when it is taken then the sheet assigns the pages after it', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const cover = await pdfOf(t, '/api/cover-sheet.pdf?customerId=KL-000126&type=order');
    const scan = await toImagePdf([rotate(await renderPdfPage(cover, 1, DPI), -0.5), page(['ORDERBEVESTIGING 5531', 'Levering volgende week.'], 11)], { dpi: DPI });
    await t.dl.inbox.start();
    await writeFile(join(t.dl.inbox.dir, 'scan-0042.pdf'), scan);
    await t.dl.inbox.pollOnce();
    await t.dl.inbox.pollOnce();
    const row = await t.dl.db.get<{ id: string }>("SELECT id FROM documents WHERE source = 'inbox'");
    assert.ok(row, 'taken from the inbox');
    const doc = await waitFinal(t, row.id);
    assert.deepEqual([doc.customerId, doc.type, doc.pageCount], ['KL-000126', 'order', 1]);
    assert.equal(doc.title, 'scan-0042 (p. 2)');
  });

  it('given a born-digital PDF with the sheets merged in digitally when uploaded then it is split too', async () => {
    const out = await PDFDocument.create();
    const add = async (bytes: Uint8Array) => {
      const src = await PDFDocument.load(bytes);
      for (const p of await out.copyPages(src, src.getPageIndices())) out.addPage(p);
    };
    await add(await pdfOf(t, '/api/cover-sheet.pdf?customerId=KL-000127&type=quote'));
    await add(await makeTextPdf([['OFFERTE OF-2026-3001', 'Geldig tot 31 december 2026']]));
    await add(await pdfOf(t, '/api/separator-sheets', { method: 'POST', json: {} })); // Code 128 drawn as vector bars
    await add(await makeTextPdf([['Geachte heer, mevrouw,', 'Bijgaand de gevraagde offerte.']]));
    const res = await upload(t, await out.save(), 'offerte-digitaal.pdf');
    const id = (await json<DocumentView>(res, 202)).id;
    const doc = await waitFinal(t, id);
    assert.deepEqual([doc.customerId, doc.type, doc.pageCount], ['KL-000127', 'quote', 1]);
    const parts = await json<Split>(await t.api('GET', `/api/intake/splits/${id}`, { as: 'mailroom' }), 200);
    assert.deepEqual(parts.parts.map((p) => p.pages), [[2], [4]]);
  });

  it('given a scanned sheet of labels of registered paper when uploaded then no paper is linked and it is one plain document', async () => {
    const ids: string[] = [];
    for (const title of ['Order A', 'Order B']) {
      ids.push((await json<DocumentView>(await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000123', type: 'order', title } }), 201)).id);
    }
    const res = await t.api('POST', '/api/labels/sheet', { as: 'mailroom', json: { documentIds: ids } });
    assert.equal(res.status, 200);
    const sheet = await renderPdfPage(new Uint8Array(await res.arrayBuffer()), 1, DPI);
    const id = (await json<DocumentView>(await upload(t, await toImagePdf([sheet], { dpi: DPI }), 'etiketten.pdf'), 202)).id;
    await waitFinal(t, id);
    assert.equal((await json<Split>(await t.api('GET', `/api/intake/splits/${id}`, { as: 'mailroom' }), 200)).split, false);
    for (const p of ids) assert.equal((await json<DocumentView>(await t.api('GET', `/api/documents/${p}`, { as: 'mailroom' }), 200)).class, 'static', 'still paper');
  });

  it('given an unknown customer when a cover sheet is asked for then 422 and no sheet', async () => {
    const res = await t.api('GET', '/api/cover-sheet.pdf?customerId=KL-999999&type=invoice', { as: 'mailroom' });
    assert.equal(res.status, 422);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unknown_customer');
  });
});

describe('DOSSIER_INTAKE_BARCODES=off', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { DOSSIER_INTAKE_BARCODES: 'off' } });
    await t.dl.startWorkers();
  });
  after(() => t.close());

  it('given barcode reading switched off when a stack with a cover sheet is uploaded then it goes to ingest whole, unsplit', async () => {
    const out = await PDFDocument.create();
    for (const bytes of [await pdfOf(t, '/api/cover-sheet.pdf?customerId=KL-000124&type=invoice'), await makeTextPdf([['FACTUUR 77', 'Totaal 10,00']])]) {
      const src = await PDFDocument.load(bytes);
      for (const p of await out.copyPages(src, src.getPageIndices())) out.addPage(p);
    }
    const id = (await json<DocumentView>(await upload(t, await out.save(), 'stapel.pdf'), 202)).id;
    const doc = await waitFinal(t, id);
    assert.equal(doc.pageCount, 2);
    assert.equal((await t.dl.queue.list({ kind: 'split', limit: 5, offset: 0 })).length, 0);
  });
});
