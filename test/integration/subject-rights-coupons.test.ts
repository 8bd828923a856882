import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { renderPdfPages, type GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import type { ReviewRow } from '../../src/db/mailings.repository.js';
import { LETTER_LAYOUT } from '../../src/domain/mailing.js';
import type { DisposalView } from '../../src/services/disposal.service.js';
import { toImagePdf } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { unzip } from '../helpers/unzip.js';

type Letter = { seq: number; customerId: string; barcode: string };
type ReviewExport = { id: string; reason: string; status: string; batchId: string | null; folder: string; resolution: Record<string, unknown> | null; files: { image: string | null; original: string | null } };
type Erasure = { couponReviews: { remove: number; keep: number }; other: { code?: string; count: number | null; action: string }[]; disposal: DisposalView | null };

const DPI = 150;
const px = (mm: number) => Math.round((mm / 25.4) * DPI);

/** The coupon's bars smudged beyond reading (as in coupons.test.ts): the page goes to review as unreadable. */
function smudgeBars(img: GreyImage): GreyImage {
  const bc = LETTER_LAYOUT.coupon.barcode;
  const out = new Uint8Array(img.data);
  for (let y = px(bc.y - 1); y < px(bc.y + bc.height + 1); y++) {
    for (let x = px(bc.x - 5); x < px(bc.x + 55); x++) out[y * img.width + x] = (x + y) % 7 < 3 ? 90 : 200;
  }
  return { ...img, data: out };
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Subject rights (GDPR art. 15 and 17) over coupon review items: returned coupons that needed a
 * person hold the scan of the customer's coupon, so the export includes them and erasure removes
 * them (unless a legal hold keeps them), also after a customer merge.
 */
describe('subject rights over coupon review items', () => {
  let t: TestApp;
  const [A, B, C] = ['KL-000401', 'KL-000402', 'KL-000403'];
  const review = new Map<string, ReviewRow>(); // by customer
  const row = (id: string) => t.dl.db.get<ReviewRow>('SELECT * FROM coupon_reviews WHERE id = ?', [id]);
  const stored = async (h: string | null) => h !== null && (await t.dl.store.stat(h)) !== null;

  before(async () => {
    t = await startTestApp();
    await t.dl.startWorkers();
    for (const id of [A, B, C]) await json(await t.api('PUT', `/api/customers/${id}`, { as: 'crm', json: { name: `Klant ${id}`, address: 'Dorpsstraat 1', postcode: '9711 AA', city: 'Groningen' } }), 201);
    const m = await json<{ id: string; letters: Letter[] }>(await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Najaarsactie', customerIds: [A, B, C] } }), 201);
    await json(await t.api('POST', `/api/mailings/${m.id}/sent`, { as: 'crm' }));
    const pdf = new Uint8Array(await (await t.api('GET', `/api/mailings/${m.id}/letters.pdf`, { as: 'mailroom' })).arrayBuffer());
    // B and C restrict processing after the letters went out: their coupons are held for compliance.
    for (const id of [B, C]) await json(await t.api('POST', `/api/customers/${id}/restriction`, { as: 'compliance', json: { restricted: true, reason: 'Customer objects' } }));
    const pages = new Map<number, GreyImage>();
    for await (const { pageNo, image } of renderPdfPages(pdf, { dpi: DPI })) pages.set(pageNo, image);
    const seq = (c: string) => m.letters.find((l) => l.customerId === c)!.seq;
    // A's coupon is unreadable (no code, no separator: nobody yet); B's and C's are held (restricted).
    const stack = await toImagePdf([smudgeBars(pages.get(seq(A))!), pages.get(seq(B))!, pages.get(seq(C))!], { dpi: DPI });
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(stack)], { type: 'application/pdf' }), 'retour.pdf');
    const batch = await json<{ id: string }>(await t.api('POST', '/api/coupons/batches', { as: 'mailroom', body: fd }), 202);
    for (const until = Date.now() + 60_000; ; ) {
      const b = await json<{ status: string }>(await t.api('GET', `/api/coupons/batches/${batch.id}`, { as: 'mailroom' }));
      if (b.status === 'done') break;
      assert.notEqual(b.status, 'failed');
      assert.ok(Date.now() < until, 'batch still running');
      await new Promise((r) => setTimeout(r, 150));
    }
    const rows = await t.dl.db.all<ReviewRow>('SELECT * FROM coupon_reviews WHERE batch_id = ? ORDER BY unit', [batch.id]);
    assert.deepEqual(rows.map((r) => r.reason), ['unreadable', 'restricted', 'restricted']);
    for (const [i, c] of [A, B, C].entries()) review.set(c, rows[i]!);
    // A's: the mailroom recognises the coupon and resolves it to A (its reply is recorded).
    await json(await t.api('POST', `/api/coupons/review/${review.get(A)!.id}`, { as: 'mailroom', json: { action: 'customer', customerId: A, answer: 'yes' } }));
    // C's: compliance sets the held coupon aside; then C turns out to be a duplicate of A. The
    // mailing reached both, so C's letter stays on C's number and the discarded item names C.
    await json(await t.api('POST', `/api/coupons/review/${review.get(C)!.id}`, { as: 'compliance', json: { action: 'discard', note: 'dubbele klant' } }));
    await json(await t.api('POST', `/api/customers/${C}/merge`, { as: 'crm', json: { into: A } }));
    for (const r of review.values()) assert.ok(r.image_sha256 && r.original_sha256 && (await stored(r.image_sha256)) && (await stored(r.original_sha256)));
  });
  after(() => t.close());

  it("given a customer's coupon review items when the export is made then each is in it with its metadata, page image and scan; another customer's is not", async () => {
    const res = await t.api('GET', `/api/customers/${A}/subject-access.zip?lang=en`, { as: 'compliance' });
    assert.equal(res.status, 200);
    const files = unzip(Buffer.from(await res.arrayBuffer()));
    const items = JSON.parse(files.get('coupon-reviews.json')!.toString()) as ReviewExport[];
    assert.deepEqual(items.map((i) => i.id), [review.get(A)!.id, review.get(C)!.id], 'the resolved item, and the merged-away number\'s discarded one');
    assert.deepEqual(items.map((i) => [i.reason, i.status]), [['unreadable', 'resolved'], ['restricted', 'discarded']]);
    assert.equal(items[0]!.resolution?.customerId, A);
    for (const [i, c] of [[0, A], [1, C]] as const) {
      const r = review.get(c)!;
      const item = items[i]!;
      assert.match(item.folder, new RegExp(`^coupon-reviews/00${i + 1}-${r.id}$`));
      assert.equal(JSON.parse(files.get(`${item.folder}/metadata.json`)!.toString()).id, r.id);
      assert.equal(sha(files.get(item.files.image!)!), r.image_sha256, 'the page image, byte for byte');
      assert.equal(item.files.original, `${item.folder}/original.pdf`);
      assert.equal(sha(files.get(item.files.original!)!), r.original_sha256, 'the scan as kept, byte for byte');
    }
    assert.ok(![...files.keys()].some((k) => k.includes(review.get(B)!.id)), "B's coupon is not in A's export");
    assert.match(files.get('README.txt')!.toString(), /Reply coupons reviewed: 2 \(coupon-reviews\.json\)/);
    assert.match(files.get('index.html')!.toString(), /<h2>Reply coupons reviewed \(2\)<\/h2>/);
    const audit = await t.dl.services.audit.query({ customerId: A, action: 'customer.subject-access' }, 5);
    assert.equal(audit[0]!.details.couponReviews, 2, 'the export is audited with its count');

    const other = unzip(Buffer.from(await (await t.api('GET', `/api/customers/${B}/subject-access.zip`, { as: 'compliance' })).arrayBuffer()));
    assert.deepEqual((JSON.parse(other.get('coupon-reviews.json')!.toString()) as ReviewExport[]).map((i) => i.id), [review.get(B)!.id]);
  });

  it('given an erasure when asked and executed after four eyes then the items and their objects go, audited; another customer\'s item stays', async () => {
    const dry = await json<Erasure>(await t.api('POST', `/api/customers/${A}/erasure`, { as: 'compliance', json: { dryRun: true, reason: 'Request by letter' } }));
    assert.deepEqual(dry.couponReviews, { remove: 2, keep: 0 });
    const listed = dry.other.find((o) => o.code === 'coupon_reviews');
    assert.deepEqual([listed?.count, listed?.action], [2, 'remove']);
    assert.ok(await row(review.get(A)!.id), 'a dry run removes nothing');

    const r = await json<Erasure>(await t.api('POST', `/api/customers/${A}/erasure`, { as: 'compliance', json: { dryRun: false, reason: 'Request by letter' } }));
    await json(await t.api('POST', `/api/disposals/${r.disposal!.id}/approve`, { as: 'compliance2', json: {} }));
    const exec = await json<{ summary: { couponReviewsRemoved: number; objectsRemoved: number } }>(await t.api('POST', `/api/disposals/${r.disposal!.id}/execute`, { as: 'compliance2' }));
    assert.equal(exec.summary.couponReviewsRemoved, 2);

    for (const c of [A, C]) {
      const gone = review.get(c)!;
      assert.equal(await row(gone.id), undefined, `${c}'s item is gone`);
      assert.equal(await stored(gone.image_sha256), false, `${c}'s page image is gone`);
      // A's scan became the original of its reply-coupon document: it stays exactly as long as that document does.
      const doc = await t.dl.db.get('SELECT 1 FROM documents WHERE original_sha256 = ? AND destroyed_at IS NULL', [gone.original_sha256]);
      assert.equal(await stored(gone.original_sha256), Boolean(doc), `${c}'s scan goes unless a kept document holds the same bytes`);
      const events = await t.dl.services.audit.query({ action: 'coupon.review-destroy' }, 50);
      assert.ok(events.some((e) => e.subjectId === gone.id && e.customerId === A), `destruction of ${gone.id} audited`);
    }
    assert.equal(await stored(review.get(C)!.original_sha256), false, "C's scan had nothing else referring to it");
    const kept = review.get(B)!;
    assert.deepEqual(await row(kept.id), kept, "B's item is untouched");
    assert.ok((await stored(kept.image_sha256)) && (await stored(kept.original_sha256)), "B's objects stay");
  });

  it('given a legal hold on the customer when erasure is executed then its coupon review items are kept, reported and audited as held', async () => {
    const hold = await json<{ id: string }>(await t.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Dispute about the reply', customerId: B } }), 201);
    const r = await json<Erasure>(await t.api('POST', `/api/customers/${B}/erasure`, { as: 'compliance', json: { dryRun: false, reason: 'Request by email' } }));
    assert.deepEqual(r.couponReviews, { remove: 0, keep: 1 });
    assert.equal(r.other.find((o) => o.code === 'coupon_review_held')?.action, 'keep');
    await json(await t.api('POST', `/api/disposals/${r.disposal!.id}/approve`, { as: 'compliance2', json: {} }));
    const exec = await json<{ summary: { couponReviewsRemoved: number } }>(await t.api('POST', `/api/disposals/${r.disposal!.id}/execute`, { as: 'compliance2' }));
    assert.equal(exec.summary.couponReviewsRemoved, 0);
    const kept = review.get(B)!;
    assert.ok(await row(kept.id), 'kept under the hold');
    assert.ok(await stored(kept.image_sha256));
    const erase = (await t.dl.services.audit.query({ customerId: B, action: 'customer.erase' }, 5))[0]!;
    assert.deepEqual(erase.details.couponReviewsHeld, [{ id: kept.id, holds: [hold.id] }]);
    const customer = await json<{ name: string; restricted: boolean }>(await t.api('GET', `/api/customers/${B}`, { as: 'compliance' }));
    assert.deepEqual([customer.name, customer.restricted], [`Klant ${B}`, true], 'the held item names the customer: the record is restricted, not pseudonymised');
  });
});
