import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderPdfPage, renderPdfPages, type GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import { LETTER_LAYOUT } from '../../src/domain/mailing.js';
import { tick } from '../helpers/coupon-marks.js';
import { addNoise, downsample, rotate } from '../helpers/degrade-image.js';
import { toImagePdf, toPng } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Letter = { seq: number; customerId: string; barcode: string };
type Status = { name: string; value: string; detail: Record<string, unknown> };
type Doc = { id: string; type: string; class: string; status: string; pageCount: number | null; fields: Record<string, unknown>; original: { mime: string } | null };
type Dossier = { statuses: Status[]; documents: Doc[] };
type Batch = { id: string; status: string; pageCount: number; progress: { done: number; total: number } | null; summary: Record<string, number>; pages: { pageNo: number; kind: string; outcome: string | null; answer: string | null }[] };
type Review = { id: string; batchId: string; reason: string; code: string | null; status: string; pages: number[] };
type ErrorBody = { error: { code: string } };

const px = (mm: number, dpi: number) => Math.round((mm / 25.4) * dpi);

/** The coupon's bars torn off or smudged beyond reading; the printed code under them stays. */
function smudgeBars(img: GreyImage, dpi: number): GreyImage {
  const bc = LETTER_LAYOUT.coupon.barcode;
  const out = new Uint8Array(img.data);
  for (let y = px(bc.y - 1, dpi); y < px(bc.y + bc.height + 1, dpi); y++) {
    for (let x = px(bc.x - 5, dpi); x < px(bc.x + 55, dpi); x++) out[y * img.width + x] = (x + y) % 7 < 3 ? 90 : 200;
  }
  return { ...img, data: out };
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

function form(files: [Uint8Array | Buffer, string][], field = 'files'): FormData {
  const fd = new FormData();
  for (const [bytes, name] of files) fd.append(field, new Blob([new Uint8Array(bytes)]), name);
  return fd;
}

async function waitDone(t: TestApp, id: string): Promise<Batch> {
  const until = Date.now() + 60_000;
  for (;;) {
    const b = await json<Batch>(await t.api('GET', `/api/coupons/batches/${id}`, { as: 'mailroom' }), 200);
    if (b.status === 'done' || b.status === 'failed') return b;
    if (Date.now() > until) throw new Error(`batch ${id} still ${b.status}: ${JSON.stringify(b.progress)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('returned coupons', () => {
  let t: TestApp;
  let letters: Letter[];
  let mailingId: string;
  let batchPdf: Uint8Array;
  let batch1: Batch;
  let batch2: Batch;
  const DPI = 150;

  before(async () => {
    const started = Date.now();
    t = await startTestApp();
    await t.dl.startWorkers();
    for (const [id, name] of [['KL-000301', 'Groothandel Noord B.V.'], ['KL-000302', 'Bloemenhuis Flora']]) {
      const res = await t.api('PUT', `/api/customers/${id}`, { as: 'crm', json: { name, address: 'Dorpsstraat 1', postcode: '9711 AA', city: 'Groningen' } });
      assert.equal(res.status, 201, await res.text());
    }
    const ids = ['KL-000123', 'KL-000124', 'KL-000125', 'KL-000127', 'KL-000301', 'KL-000302'];
    const m = await json<{ id: string; letters: Letter[] }>(await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Voorjaarsactie', customerIds: ids } }), 201);
    letters = m.letters;
    mailingId = m.id;
    await json(await t.api('POST', `/api/mailings/${m.id}/sent`, { as: 'crm' }), 200);
    const pdf = new Uint8Array(await (await t.api('GET', `/api/mailings/${m.id}/letters.pdf`, { as: 'mailroom' })).arrayBuffer());
    const rendered = new Map<number, GreyImage>();
    for await (const { pageNo, image } of renderPdfPages(pdf, { dpi: DPI })) rendered.set(pageNo, image);
    const page = async (n: number, dpi = DPI) => (dpi === DPI ? { ...rendered.get(n)! } : renderPdfPage(pdf, n, dpi));

    // Batch 1: one multi-page PDF from the scanner, as the mailroom feeds the returned coupons.
    const scans = [
      tick(await page(1), DPI, 0), // clean, "yes"
      rotate(tick(await page(2), DPI, 1), 3), // skewed 3°, "no"
      addNoise(rotate(tick(await page(3), DPI, 0), -4), { speckle: 0.01, sigma: 15, seed: 3 }), // skewed and dusty, "yes"
      rotate(tick(await page(5), DPI, 0), 180), // fed upside down, "yes"
      smudgeBars(await page(6), DPI), // unreadable → review
      rotate(tick(await page(1), DPI, 0), 1), // the first coupon again → review as duplicate
    ];
    batchPdf = await toImagePdf(scans, { dpi: DPI });
    const res = await t.api('POST', '/api/coupons/batches', { as: 'mailroom', body: form([[batchPdf, 'stapel-1.pdf']], 'file') });
    batch1 = await json<Batch>(res, 202);

    // Batch 2: loose images. A separator sheet, then a coupon scanned at 100 dpi with nothing
    // ticked, then a note the customer stapled to it: the separator keeps the two together.
    const sep = await t.api('POST', '/api/separator-sheets', { as: 'mailroom', json: {} });
    const sepPdf = new Uint8Array(await sep.arrayBuffer());
    const note = downsample(await renderPdfPage(pdf, 4, 200), 2);
    note.data.fill(255, note.width * Math.round(note.height * 0.64)); // the letter itself, its coupon cut off: no code
    const res2 = await t.api('POST', '/api/coupons/batches', {
      as: 'mailroom',
      body: form([
        [await toPng(await renderPdfPage(sepPdf, 1, DPI), DPI), 'scan-001.png'],
        [await toPng(downsample(await page(4, 200), 2), 100), 'scan-002.png'],
        [await toPng(note, 100), 'scan-003.png'],
      ]),
    });
    batch2 = await json<Batch>(res2, 202);
    if (process.env.TEST_TIMINGS) console.log(`set-up ${Date.now() - started} ms`);
  });
  after(() => t.close());

  it('given a scanned stack when uploaded then 202 with the batch queued and its page count', () => {
    assert.equal(batch1.pageCount, 6);
    assert.ok(['queued', 'processing'].includes(batch1.status));
    assert.equal(batch2.pageCount, 3);
  });

  it('given the batch job when it has run then every page has an outcome and the progress reached the end', async () => {
    batch1 = await waitDone(t, batch1.id);
    assert.equal(batch1.status, 'done', JSON.stringify(batch1));
    assert.deepEqual(batch1.progress, { done: 6, total: 6, note: 'done', noteCode: 'batch_read' });
    assert.deepEqual(batch1.pages.map((p) => p.outcome), ['received', 'received', 'received', 'received', 'unreadable', 'duplicate']);
    assert.deepEqual(batch1.pages.map((p) => p.answer).slice(0, 4), ['yes', 'no', 'yes', 'yes']);
    assert.equal(batch1.summary.received, 4);
  });

  it('given decoded coupons when the dossiers are opened then each shows reply-received with the ticked answer and the kept coupon', async () => {
    const expected: [number, string][] = [[0, 'yes'], [1, 'no'], [2, 'yes'], [4, 'yes']];
    for (const [i, answer] of expected) {
      const l = letters[i]!;
      const d = await json<Dossier>(await t.api('GET', `/api/customers/${l.customerId}/dossier`, { as: 'crm' }), 200);
      const s = d.statuses.find((x) => x.name === 'reply-received');
      assert.equal(s?.value, answer, `${l.customerId}: ${JSON.stringify(s)}`);
      assert.equal(s?.detail.barcode, l.barcode);
      assert.ok(d.statuses.some((x) => x.name === 'letter-sent'));
      const coupon = d.documents.find((x) => x.type === 'reply-coupon' && x.fields.number === l.barcode)!;
      assert.equal(coupon.class, 'static');
      assert.equal(coupon.status, 'ready', 'kept and linked, not sent to OCR');
      assert.equal(coupon.original?.mime, 'application/pdf');
      assert.equal(coupon.pageCount, 1);
      const file = await t.api('GET', `/api/documents/${coupon.id}/file`, { as: 'compliance' });
      assert.equal(file.status, 200);
      assert.equal(Buffer.from(await file.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
    }
  });

  it('given a separator sheet before a coupon and a note when the batch has run then both pages are one coupon document', async () => {
    batch2 = await waitDone(t, batch2.id);
    assert.deepEqual(batch2.pages.map((p) => [p.kind, p.outcome]), [['separator', 'separator'], ['letter', 'received'], ['none', 'attached']]);
    const l = letters[3]!;
    const d = await json<Dossier>(await t.api('GET', `/api/customers/${l.customerId}/dossier`, { as: 'crm' }), 200);
    const s = d.statuses.find((x) => x.name === 'reply-received');
    assert.equal(s?.value, 'unknown', 'received, but no box was ticked');
    assert.equal(s?.detail.note, 'none_ticked');
    assert.equal(d.documents.find((x) => x.type === 'reply-coupon' && x.fields.number === l.barcode)?.pageCount, 2);
  });

  it('given unreadable and duplicate pages when the review queue is read then both wait there with their page image', async () => {
    const { items } = await json<{ items: Review[] }>(await t.api('GET', '/api/coupons/review', { as: 'mailroom' }), 200);
    assert.deepEqual(items.map((r) => [r.reason, r.pages]).sort(), [['duplicate', [6]], ['unreadable', [5]]]);
    assert.equal(items.find((r) => r.reason === 'duplicate')?.code, letters[0]!.barcode);
    const img = await t.api('GET', `/api/coupons/review/${items[0]!.id}/image`, { as: 'compliance' });
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/png');
    assert.deepEqual([...Buffer.from(await img.arrayBuffer()).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  });

  it('given the unreadable coupon when the reviewer mistypes its code then 400, and when choosing the customer then reply-received is set and the page kept', async () => {
    const { items } = await json<{ items: Review[] }>(await t.api('GET', '/api/coupons/review', { as: 'mailroom' }), 200);
    const unreadable = items.find((r) => r.reason === 'unreadable')!;
    const l = letters[5]!;
    const mistyped = l.barcode.slice(0, 9) + ((Number(l.barcode[9]) + 1) % 10) + l.barcode.slice(10);
    const bad = await json<ErrorBody>(await t.api('POST', `/api/coupons/review/${unreadable.id}`, { as: 'mailroom', json: { action: 'code', barcode: mistyped } }), 400);
    assert.equal(bad.error.code, 'invalid_barcode');
    const r = await json<Review & { resolution: { customerId: string } }>(
      await t.api('POST', `/api/coupons/review/${unreadable.id}`, { as: 'mailroom', json: { action: 'customer', customerId: l.customerId, answer: 'no' } }),
      200,
    );
    assert.equal(r.status, 'resolved');
    assert.equal(r.resolution.customerId, l.customerId);
    const d = await json<Dossier>(await t.api('GET', `/api/customers/${l.customerId}/dossier`, { as: 'crm' }), 200);
    assert.equal(d.statuses.find((x) => x.name === 'reply-received')?.value, 'no');
    assert.ok(d.documents.find((x) => x.type === 'reply-coupon' && x.fields.number === l.barcode)?.original);
  });

  it('given the duplicate when resolved to its letter then 409, and when discarded it leaves the queue; a second decision is 409', async () => {
    const { items } = await json<{ items: Review[] }>(await t.api('GET', '/api/coupons/review', { as: 'mailroom' }), 200);
    const dup = items.find((r) => r.reason === 'duplicate')!;
    const conflict = await json<ErrorBody>(await t.api('POST', `/api/coupons/review/${dup.id}`, { as: 'mailroom', json: { action: 'customer', customerId: letters[0]!.customerId, mailingId } }), 422);
    assert.equal(conflict.error.code, 'no_open_letter');
    const again = await json<ErrorBody>(await t.api('POST', `/api/coupons/review/${dup.id}`, { as: 'mailroom', json: { action: 'code', barcode: letters[0]!.barcode } }), 409);
    assert.equal(again.error.code, 'already_received');
    await json(await t.api('POST', `/api/coupons/review/${dup.id}`, { as: 'mailroom', json: { action: 'discard', note: 'tweede scan' } }), 200);
    const twice = await json<ErrorBody>(await t.api('POST', `/api/coupons/review/${dup.id}`, { as: 'mailroom', json: { action: 'discard' } }), 409);
    assert.equal(twice.error.code, 'already_resolved');
    assert.deepEqual((await json<{ items: Review[] }>(await t.api('GET', '/api/coupons/review', { as: 'mailroom' }), 200)).items, []);
  });

  it('given the same stack uploaded again then 409 and no second batch', async () => {
    const body = await json<ErrorBody>(await t.api('POST', '/api/coupons/batches', { as: 'mailroom', body: form([[batchPdf, 'stapel-1-opnieuw.pdf']], 'file') }), 409);
    assert.equal(body.error.code, 'duplicate_upload');
  });

  it('given a corrupt or foreign file in a stack when uploaded then 4xx and nothing is kept', async () => {
    const count = async () => (await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM coupon_batches'))!.n;
    const before = await count();
    const broken = new TextEncoder().encode('%PDF-1.4\n1 0 obj<</Type/Catalog>>\nthis is not a pdf');
    for (const [files, status] of [
      [[[broken, 'kapot.pdf']], 400],
      [[[batchPdf.slice(0, 2000), 'afgebroken.pdf']], 400],
      [[[new TextEncoder().encode('naam,code\n'), 'lijst.csv']], 415],
    ] as [[Uint8Array, string][], number][]) {
      const res = await t.api('POST', '/api/coupons/batches', { as: 'mailroom', body: form(files) });
      assert.equal(res.status, status, await res.text());
    }
    assert.equal(await count(), before);
    const tmp = path.join(t.dataDir, 'tmp', 'uploads');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await readdir(tmp), []);
  });
});
