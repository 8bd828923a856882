import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { renderPdfPage, renderPdfPages, type GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import { extractPdfText } from '../../src/adapters/pdf/pdf-text.js';
import type { BatchFileRow, BatchRow, CouponPageRow } from '../../src/db/mailings.repository.js';
import { redactErasedBatchPages } from '../../src/services/coupon-batch-redaction.js';
import type { DisposalView } from '../../src/services/disposal.service.js';
import { tick } from '../helpers/coupon-marks.js';
import { toImagePdf } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { unzip } from '../helpers/unzip.js';

type Letter = { seq: number; customerId: string; barcode: string };
type PageExport = { batchId: string; pageNo: number; kind: string; code: string | null; answer: string | null; outcome: string | null; reviewId: string | null };
type LetterExport = { barcode: string; customerId: string; mailing: string };
type BatchView = { status: string; pages: { pageNo: number; kind: string; code: string | null; answer: string | null; outcome: string | null; erased?: boolean }[] };
type Erasure = { couponPages: { remove: number; keep: number }; other: { code?: string; count: number | null; action: string }[]; disposal: DisposalView | null };

const DPI = 150;

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

/**
 * Subject rights (GDPR art. 15 and 17) over coupon page readings: what the coupons job read on each
 * page of a returned batch (code, answer, ticks) is about the customer the page belongs to, also
 * through a cover sheet, an attached page and a number merged into the customer. The export shows
 * them, with the letters of merged numbers; erasure blanks them unless a legal hold keeps them, and
 * the batch still lists every page.
 */
describe('subject rights over coupon page readings', () => {
  let t: TestApp;
  const [A, B, C, D, E] = ['KL-000501', 'KL-000502', 'KL-000503', 'KL-000504', 'KL-000505'];
  let letters: Letter[];
  let batchId: string;
  const letterRow = (customerId: string) =>
    t.dl.db.get<{ barcode: string; answer: string | null; replied_at: string | null }>('SELECT barcode, answer, replied_at FROM mailing_letters WHERE customer_id = ?', [customerId]);
  const pageRows = () => t.dl.db.all<CouponPageRow>('SELECT * FROM coupon_pages WHERE batch_id = ? ORDER BY page_no', [batchId]);
  const exportOf = async (id: string) => unzip(Buffer.from(await (await t.api('GET', `/api/customers/${id}/subject-access.zip?lang=en`, { as: 'compliance' })).arrayBuffer()));
  const pagesIn = (files: Map<string, Buffer>) => (JSON.parse(files.get('coupon-pages.json')!.toString()) as PageExport[]).map((p) => p.pageNo);
  const erase = async (id: string) => {
    const r = await json<Erasure>(await t.api('POST', `/api/customers/${id}/erasure`, { as: 'compliance', json: { dryRun: false, reason: 'Request by letter' } }));
    await json(await t.api('POST', `/api/disposals/${r.disposal!.id}/approve`, { as: 'compliance2', json: {} }));
    const exec = await json<{ summary: { couponPagesErased: number; couponBatchFilesRedacted: number } }>(await t.api('POST', `/api/disposals/${r.disposal!.id}/execute`, { as: 'compliance2' }));
    return { report: r, erased: exec.summary.couponPagesErased, redacted: exec.summary.couponBatchFilesRedacted, disposalId: r.disposal!.id };
  };

  before(async () => {
    t = await startTestApp();
    await t.dl.startWorkers();
    for (const id of [A, B, C, D, E]) await json(await t.api('PUT', `/api/customers/${id}`, { as: 'crm', json: { name: `Klant ${id}`, address: 'Dorpsstraat 1', postcode: '9711 AA', city: 'Groningen' } }), 201);
    const m = await json<{ id: string; letters: Letter[] }>(await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Voorjaarsactie', customerIds: [A, B, C, D, E] } }), 201);
    letters = m.letters;
    await json(await t.api('POST', `/api/mailings/${m.id}/sent`, { as: 'crm' }));
    const pdf = new Uint8Array(await (await t.api('GET', `/api/mailings/${m.id}/letters.pdf`, { as: 'mailroom' })).arrayBuffer());
    // D restricts processing after the letters went out: its coupon is held as a review item.
    await json(await t.api('POST', `/api/customers/${D}/restriction`, { as: 'compliance', json: { restricted: true, reason: 'Customer objects' } }));
    const pages = new Map<number, GreyImage>();
    for await (const { pageNo, image } of renderPdfPages(pdf, { dpi: DPI })) pages.set(pageNo, image);
    const letter = (c: string) => pages.get(letters.find((l) => l.customerId === c)!.seq)!;
    const sheet = async (customerId?: string) => {
      const res = await t.api('POST', '/api/separator-sheets', { as: 'mailroom', json: customerId ? { customerId } : {} });
      assert.equal(res.status, 201);
      return renderPdfPage(new Uint8Array(await res.arrayBuffer()), 1, DPI);
    };
    // A's covering letter without its coupon: no code, so it is attached to A's coupon.
    const note = letter(A);
    const noteData = new Uint8Array(note.data);
    noteData.fill(255, note.width * Math.round(note.height * 0.64));
    // 1 cover sheet for A, 2 A's coupon ("yes"), 3 A's note, 4 a plain separator, 5 B, 6 C, 7 D (held), 8 E.
    const stack = [await sheet(A), tick(letter(A), DPI, 0), { ...note, data: noteData }, await sheet(), letter(B), letter(C), letter(D), letter(E)];
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(await toImagePdf(stack, { dpi: DPI }))], { type: 'application/pdf' }), 'retour.pdf');
    batchId = (await json<{ id: string }>(await t.api('POST', '/api/coupons/batches', { as: 'mailroom', body: fd }), 202)).id;
    for (const until = Date.now() + 90_000; ; ) {
      const b = await json<BatchView>(await t.api('GET', `/api/coupons/batches/${batchId}`, { as: 'mailroom' }));
      if (b.status === 'done') break;
      assert.notEqual(b.status, 'failed');
      assert.ok(Date.now() < until, 'batch still running');
      await new Promise((r) => setTimeout(r, 150));
    }
    const rows = await pageRows();
    assert.deepEqual(
      rows.map((r) => [r.kind, r.outcome]),
      [['separator', 'separator'], ['letter', 'received'], ['none', 'attached'], ['separator', 'separator'], ['letter', 'received'], ['letter', 'received'], ['letter', 'restricted'], ['letter', 'received']],
    );
    assert.equal(rows[1]!.answer, 'yes');
    // C turns out to be a duplicate of A. The mailing reached both, so C's letter stays on C's number.
    await json(await t.api('POST', `/api/customers/${C}/merge`, { as: 'crm', json: { into: A } }));
  });
  after(() => t.close());

  it("given a customer's coupon pages when the export is made then their readings are in coupon-pages.json, with the merged number's page and letter", async () => {
    const files = await exportOf(A);
    const pages = JSON.parse(files.get('coupon-pages.json')!.toString()) as PageExport[];
    assert.deepEqual(pages.map((p) => p.pageNo), [1, 2, 3, 6], "A's cover sheet, coupon and attached note, and the merged-away C's coupon");
    const code = (c: string) => letters.find((l) => l.customerId === c)!.barcode;
    assert.deepEqual(pages.map((p) => [p.kind, p.code?.startsWith('S') ? 'S' : p.code, p.answer, p.outcome]), [
      ['separator', 'S', null, 'separator'],
      ['letter', code(A), 'yes', 'received'],
      ['none', null, null, 'attached'],
      ['letter', code(C), null, 'received'],
    ]);
    assert.ok(pages.every((p) => p.batchId === batchId && p.reviewId === null));
    assert.match(files.get('README.txt')!.toString(), /Coupon pages read: 4 \(coupon-pages\.json\)/);
    assert.match(files.get('README.txt')!.toString(), /coupon-pages\.json +per page of a returned stack/);
    assert.match(files.get('index.html')!.toString(), /<h2>Coupon pages read \(4\)<\/h2>/);
    const audit = await t.dl.services.audit.query({ customerId: A, action: 'customer.subject-access' }, 5);
    assert.equal(audit[0]!.details.couponPages, 4, 'the export is audited with its count');

    // The letter the mailing sent to C's number, now part of A, is in A's mailings.json.
    const mailed = JSON.parse(files.get('mailings.json')!.toString()) as LetterExport[];
    assert.deepEqual(mailed.map((l) => [l.barcode, l.customerId]).sort(), [[code(A), A], [code(C), C]].sort());
    assert.match(files.get('index.html')!.toString(), new RegExp(`<h2>Letters mailed \\(2\\)</h2>.*${code(C)}`, 's'));

    assert.deepEqual(pagesIn(await exportOf(B)), [5], "B's export has B's page only");
    assert.deepEqual(pagesIn(await exportOf(D)), [7], "a held coupon's page belongs to the review item's customer");
  });

  it("given an erasure when executed then the customer's page readings are blanked, audited, another customer's stay, and the batch view still lists every page", async () => {
    const before = await pageRows();
    // A reply coupon is consent evidence, kept until a year after consent is withdrawn: the answer
    // read from it is kept with it.
    const consenting = await json<Erasure>(await t.api('POST', `/api/customers/${A}/erasure`, { as: 'compliance', json: { dryRun: true, reason: 'Request by letter' } }));
    const keptAnswers = consenting.other.find((o) => o.code === 'letter_answers_kept');
    assert.deepEqual([keptAnswers?.count, keptAnswers?.action, consenting.other.some((o) => o.code === 'letter_answers')], [1, 'keep', false]);
    // A withdrew consent long ago: its reply coupons may go, and the answer with them.
    await json(await t.api('PUT', `/api/customers/${A}`, { as: 'crm', json: { name: `Klant ${A}`, address: 'Dorpsstraat 1', postcode: '9711 AA', city: 'Groningen', attributes: { consentWithdrawnOn: '2024-06-01' } } }));
    const dry = await json<Erasure>(await t.api('POST', `/api/customers/${A}/erasure`, { as: 'compliance', json: { dryRun: true, reason: 'Request by letter' } }));
    assert.deepEqual(dry.couponPages, { remove: 4, keep: 0 });
    const listed = dry.other.find((o) => o.code === 'coupon_pages');
    assert.deepEqual([listed?.count, listed?.action], [4, 'remove']);
    const scans = dry.other.find((o) => o.code === 'coupon_batch_scans');
    assert.deepEqual([scans?.count, scans?.action], [4, 'remove'], 'the page images in the stack as kept go too');
    assert.deepEqual(await pageRows(), before, 'a dry run changes nothing');
    // The answer read from A's reply goes with it (its reply-coupon document is erased too); the letter stays.
    const answers = dry.other.find((o) => o.code === 'letter_answers');
    assert.deepEqual([answers?.count, answers?.action], [1, 'remove']);
    assert.equal(dry.other.find((o) => o.code === 'letters')?.action, 'keep');
    assert.equal((await letterRow(A))?.answer, 'yes', 'a dry run keeps the answer');
    const otherLetters = await t.dl.db.all("SELECT * FROM mailing_letters WHERE customer_id <> ? AND customer_id <> ? ORDER BY barcode", [A, C]);

    const upload = (await t.dl.db.get<BatchFileRow>('SELECT * FROM coupon_batch_files WHERE batch_id = ?', [batchId]))!;
    const uploaded = new Uint8Array(await t.dl.store.getBuffer(upload.sha256));

    const { erased, redacted, disposalId } = await erase(A);
    assert.equal(erased, 4);
    assert.equal(redacted, 1, 'the stack the pages came in is redacted');
    const letter = await letterRow(A);
    assert.deepEqual([letter?.answer, letter?.barcode, Boolean(letter?.replied_at)], [null, letters.find((l) => l.customerId === A)!.barcode, true], "A's letter stays, without the answer");
    assert.deepEqual(await t.dl.db.all("SELECT * FROM mailing_letters WHERE customer_id <> ? AND customer_id <> ? ORDER BY barcode", [A, C]), otherLetters, "other customers' letters are untouched");
    const erasedEvent = (await t.dl.services.audit.query({ customerId: A, action: 'customer.erase' }, 5))[0]!;
    assert.equal(erasedEvent.details.letterAnswersErased, 1);
    const after = await pageRows();
    for (const n of [1, 2, 3, 6]) {
      const r = after[n - 1]!;
      assert.deepEqual([r.code, r.answer, r.ticks], [null, null, null], `page ${n}'s readings are gone`);
      assert.ok(r.erased_at, `page ${n} is marked erased`);
      assert.deepEqual([r.kind, r.outcome, r.unit], [before[n - 1]!.kind, before[n - 1]!.outcome, before[n - 1]!.unit], 'the page keeps its place in the batch');
    }
    for (const n of [4, 5, 7, 8]) assert.deepEqual(after[n - 1], before[n - 1], `page ${n} (another customer's, or nobody's) is untouched`);
    const events = await t.dl.services.audit.query({ action: 'coupon.page-erase' }, 10);
    assert.deepEqual(
      events.map((e) => [e.subjectId, e.customerId, e.details.pages]),
      [[batchId, A, [1, 2, 3, 6]]],
    );

    const view = await json<BatchView>(await t.api('GET', `/api/coupons/batches/${batchId}`, { as: 'mailroom' }));
    assert.deepEqual(view.pages.map((p) => p.pageNo), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(view.pages.map((p) => p.erased), [true, true, true, false, false, true, false, false]);
    assert.deepEqual([view.pages[1]!.code, view.pages[1]!.answer, view.pages[1]!.outcome], [null, null, 'received']);
    assert.ok(view.pages[4]!.code, "B's page still shows its code");
    assert.deepEqual(pagesIn(await exportOf(A)), [], 'nothing left to export');
    assert.deepEqual(pagesIn(await exportOf(B)), [5]);

    // The stack's scan as kept: A's pages replaced by placeholders, the others as they were; the
    // upload (which shows A's pages) is gone from the store.
    const kept = (await t.dl.db.get<BatchFileRow>('SELECT * FROM coupon_batch_files WHERE batch_id = ?', [batchId]))!;
    assert.notEqual(kept.sha256, upload.sha256);
    assert.deepEqual([kept.original_sha256, kept.mime, kept.page_count], [upload.sha256, 'application/pdf', 8]);
    assert.equal(await t.dl.store.stat(upload.sha256), null, 'the upload is deleted');
    const copy = new Uint8Array(await t.dl.store.getBuffer(kept.sha256));
    assert.equal(kept.size, copy.length);
    const text = await extractPdfText(copy);
    assert.equal(text.pageCount, 8);
    const dark = (g: GreyImage) => g.data.reduce((n, v) => n + (v < 128 ? 1 : 0), 0);
    for (let p = 1; p <= 8; p++) {
      const [was, now] = [await renderPdfPage(uploaded, p, 50), await renderPdfPage(copy, p, 50)];
      assert.deepEqual([now.width, now.height], [was.width, was.height], `page ${p} keeps its size`);
      if ([1, 2, 3, 6].includes(p)) {
        assert.match(text.pages[p - 1]!.text, /Page erased on \d{4}-\d{2}-\d{2} \(GDPR art\. 17\)/, `page ${p} is a placeholder`);
        assert.ok(dark(now) < dark(was) / 4, `page ${p} no longer shows the scan (${dark(now)} dark pixels, were ${dark(was)})`);
      } else {
        assert.ok(Buffer.from(now.data).equals(Buffer.from(was.data)), `page ${p} (another customer's, or nobody's) is as scanned`);
      }
    }
    const [event] = await t.dl.services.audit.query({ action: 'coupon.batch-file-redact' }, 5);
    assert.deepEqual([event?.subjectId, event?.details], [batchId, { disposalId, fileNo: 1, pages: [1, 2, 3, 6], replaced: upload.sha256, by: kept.sha256 }]);
    assert.ok((await pageRows()).every((r) => Boolean(r.redacted_at) === Boolean(r.erased_at)), 'each erased page is marked redacted');
    const withFiles = await json<BatchView & { files: { redacted: boolean }[] }>(await t.api('GET', `/api/coupons/batches/${batchId}`, { as: 'mailroom' }));
    assert.deepEqual(withFiles.files.map((f) => f.redacted), [true]);

    // The same stack uploaded again is still recognised, and nothing of it is kept.
    const again = new FormData();
    again.append('file', new Blob([uploaded], { type: 'application/pdf' }), 'retour-opnieuw.pdf');
    const refused = await t.api('POST', '/api/coupons/batches', { as: 'mailroom', body: again });
    assert.equal(refused.status, 409, await refused.clone().text());
    assert.match(await refused.text(), new RegExp(batchId));
    assert.equal(await t.dl.store.stat(upload.sha256), null, 'the refused upload left nothing behind');
  });

  it('given a legal hold when erasure is executed then the held page readings are kept: with the held review item, or as the held reply-coupon', async () => {
    const before = await pageRows();
    // D: a hold on the customer keeps the held coupon's review item, and its page with it.
    await json(await t.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Dispute about the reply', customerId: D } }), 201);
    const d = await erase(D);
    assert.deepEqual([d.report.couponPages, d.erased], [{ remove: 0, keep: 1 }, 0]);
    // E: a query hold on E's reply coupons keeps a received coupon's page.
    const hold = await json<{ id: string }>(await t.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Audit of replies', query: { customerId: E, type: 'reply-coupon' } } }), 201);
    const e = await erase(E);
    assert.deepEqual([e.report.couponPages, e.erased], [{ remove: 0, keep: 1 }, 0]);
    assert.equal(e.report.other.find((o) => o.code === 'coupon_pages_held')?.action, 'keep');
    assert.deepEqual(await pageRows(), before, 'held readings are untouched');
    const audit = (await t.dl.services.audit.query({ customerId: E, action: 'customer.erase' }, 5))[0]!;
    assert.deepEqual(audit.details.couponPagesHeld, [{ batchId, pages: [8], holds: [hold.id] }]);
  });

  it('given pages erased before the coupons job settled them (it resumed after the erasure) when it settles the batch then nothing is made of them: no review item keeps their image', async () => {
    // A's coupon and note (pages 2-3, erased above) as a crash between reading and settling leaves
    // them: read, no outcome. Their readings are gone, so they would group as an unknown letter.
    await t.dl.db.run('UPDATE coupon_pages SET outcome = NULL, unit = NULL WHERE batch_id = ? AND page_no IN (2, 3)', [batchId]);
    await t.dl.db.run("UPDATE coupon_batches SET status = 'processing' WHERE id = ?", [batchId]);
    const reviews = async () => (await t.dl.db.all<{ id: string; batch_id: string }>('SELECT id, batch_id FROM coupon_reviews')).filter((r) => r.batch_id === batchId).map((r) => r.id);
    const reviewsBefore = await reviews();

    // Settling that unit directly: refused before any artefact is made.
    const batch = (await t.dl.db.get<BatchRow>('SELECT * FROM coupon_batches WHERE id = ?', [batchId]))!;
    const unit = { unit: 2, pages: [2, 3], keyPage: 2, kind: 'letter' as const, code: null, separator: null };
    const made: string[] = [];
    const outcome = await t.dl.services.coupons.applyUnit(batch, unit, await pageRows(), {
      original: async () => (made.push('original'), Promise.reject(new Error('no original is made of erased pages'))),
      image: async () => (made.push('image'), Promise.reject(new Error('no image is made of erased pages'))),
    });
    assert.deepEqual([outcome, made], [null, []]);
    // The erasure committed after the job read the rows (they still look unerased): the settling
    // transaction reads the pages again and makes nothing of them.
    const stale = (await pageRows()).map((r) => ({ ...r, erased_at: null }));
    const late = await t.dl.services.coupons.applyUnit(batch, unit, stale, {
      original: async () => ({ sha256: 'f'.repeat(64), mime: 'application/pdf', size: 1, pages: 2 }),
      image: async () => ({ sha256: 'e'.repeat(64) }),
    });
    assert.equal(late, null);
    assert.deepEqual(await reviews(), reviewsBefore, 'no review item refers to the erased pages');

    // The job run again over the batch: it finishes, counts the erased pages, and opens no review item.
    await t.dl.db.tx((q) => t.dl.queue.enqueue(q, { kind: 'coupons', payload: { batchId }, idempotencyKey: `coupons:${batchId}:resumed` }));
    for (const until = Date.now() + 60_000; ; ) {
      const b = await json<BatchView & { summary?: Record<string, number> }>(await t.api('GET', `/api/coupons/batches/${batchId}`, { as: 'mailroom' }));
      if (b.status === 'done') break;
      assert.notEqual(b.status, 'failed');
      assert.ok(Date.now() < until, 'batch still running');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await reviews(), reviewsBefore, 'no review item was opened for the erased pages');
    const rows = await pageRows();
    assert.deepEqual([rows[1]!.outcome, rows[2]!.outcome, rows[1]!.code], [null, null, null]);
    const summary = JSON.parse((await t.dl.db.get<{ summary: string }>('SELECT summary FROM coupon_batches WHERE id = ?', [batchId]))!.summary) as Record<string, number>;
    assert.equal(summary.erasedPages, 4, 'pages 1, 2, 3 and 6 were left out as erased');
  });

  it("given a page erased whose image is still in the stack's scan (the execution stopped after the erasure) when redaction runs again then it is replaced too, and the copy it replaces goes", async () => {
    const first = (await t.dl.db.get<BatchFileRow>('SELECT * FROM coupon_batch_files WHERE batch_id = ?', [batchId]))!;
    // B's page, erased in a transaction that committed before the process stopped.
    await t.dl.db.run("UPDATE coupon_pages SET erased_at = '2026-11-30T12:00:00.000Z' WHERE batch_id = ? AND page_no = 5", [batchId]);
    const s = t.dl.services;
    const r = await redactErasedBatchPages({ db: t.dl.db, store: t.dl.store, audit: s.audit, clock: { now: () => new Date() } }, { actorId: 'usr_compliance', disposalId: 'dsp_resumed' });
    assert.deepEqual(r, { files: 1, failed: 0, objectsRemoved: [first.sha256] });
    const now = (await t.dl.db.get<BatchFileRow>('SELECT * FROM coupon_batch_files WHERE batch_id = ?', [batchId]))!;
    assert.equal(now.original_sha256, first.original_sha256, "the upload's hash stays");
    const text = await extractPdfText(new Uint8Array(await t.dl.store.getBuffer(now.sha256)));
    assert.deepEqual(text.pages.map((p) => /Page erased/.test(p.text)), [true, true, true, false, true, true, false, false]);
    const redact = () => redactErasedBatchPages({ db: t.dl.db, store: t.dl.store, audit: s.audit, clock: { now: () => new Date() } }, { actorId: 'usr_compliance', disposalId: 'dsp_resumed' });
    assert.deepEqual(await redact(), { files: 0, failed: 0, objectsRemoved: [] }, 'nothing left to do');

    // A scan that cannot be read (its object lost) is reported, not thrown: the erasure's
    // execution goes on, and its pages stay to be redacted by the next run.
    await t.dl.db.run('UPDATE coupon_batch_files SET sha256 = ? WHERE batch_id = ?', ['0'.repeat(64), batchId]);
    await t.dl.db.run("UPDATE coupon_pages SET erased_at = '2026-11-30T12:00:00.000Z' WHERE batch_id = ? AND page_no = 7", [batchId]);
    assert.deepEqual(await redact(), { files: 0, failed: 1, objectsRemoved: [] });
    assert.equal((await pageRows())[6]!.redacted_at, null, 'page 7 is still to be redacted');
    await t.dl.db.run('UPDATE coupon_batch_files SET sha256 = ? WHERE batch_id = ?', [now.sha256, batchId]);
    assert.deepEqual((await redact()).files, 1, 'redacted once the scan is back');
  });
});
