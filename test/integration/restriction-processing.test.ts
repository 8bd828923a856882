import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CouponsService } from '../../src/services/coupons.service.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, any>;

const RESTRICTED = 'KL-000123';
const RESTRICTED_NAME = 'Gouden Korst';
const OTHER = 'KL-000124';
/** A word only the restricted customer's mail carries: it must not reach the mailroom. */
const SECRET = 'Zwartboek';

/**
 * GDPR art. 18 (API.md "Restricted customers"): a restricted customer's data may be stored but not
 * processed further. A returned reply coupon (single scan or batch) is kept and held for
 * compliance instead of setting the customer's status; a mailing marked as sent withholds its
 * letter instead of recording it as sent; e-mail from an address the intake links to the customer
 * by its domain is hidden like mail from its exact address.
 */
describe(`${CouponsService.name} and mailings under a restriction (GDPR art. 18)`, () => {
  let t: TestApp;
  /** Created before the restriction: a letter to each customer. */
  let sent: { id: string; letters: { customerId: string; barcode: string }[] };
  let scanned: { id: string; letters: { customerId: string; barcode: string }[] };
  /** The restricted customer's letter alone, printed before the restriction: the coupon the batch reads. */
  let batchOnly: { id: string; barcode: string; pdf: Uint8Array };

  const call = async (method: string, path: string, as: 'mailroom' | 'crm' | 'compliance' | 'admin', json?: unknown) => {
    const res = await t.api(method, path, { as, json });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: (type.includes('json') ? await res.json() : await res.text()) as Json };
  };
  const ok = (r: { status: number; body: Json }, status = 200) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    return r.body;
  };
  const restrict = async (restricted: boolean) => ok(await call('POST', `/api/customers/${RESTRICTED}/restriction`, 'compliance', { restricted, reason: restricted ? 'Customer contests the accuracy of the data' : 'Accuracy verified' }));
  const statusOf = (customerId: string, name: string) =>
    t.dl.db.get<{ value: string; detail: string }>('SELECT value, detail FROM status_variables WHERE customer_id = ? AND name = ?', [customerId, name]);
  const audited = async (action: string, customerId: string) => t.dl.services.audit.query({ customerId, action }, 50);
  const namesNothing = (body: unknown, what: string) => {
    const text = JSON.stringify(body);
    for (const w of [RESTRICTED, RESTRICTED_NAME, 'goudenkorst', SECRET]) assert.ok(!text.includes(w), `${what} names ${JSON.stringify(w)}: ${text}`);
  };
  const mailing = async (name: string, customerIds: string[]) => ok(await call('POST', '/api/mailings', 'crm', { name, customerIds }), 201);

  before(async () => {
    t = await startTestApp();
    await t.dl.startWorkers();
    sent = (await mailing('Najaarsactie', [RESTRICTED, OTHER])) as typeof sent;
    scanned = (await mailing('Winteractie', [RESTRICTED, OTHER])) as typeof scanned;
    await ok(await call('POST', `/api/mailings/${scanned.id}/sent`, 'crm'));
    const only = await mailing('Klantdag', [RESTRICTED]);
    const pdf = await t.api('GET', `/api/mailings/${only.id}/letters.pdf`, { as: 'crm' });
    assert.equal(pdf.status, 200);
    batchOnly = { id: only.id, barcode: only.letters[0].barcode, pdf: new Uint8Array(await pdf.arrayBuffer()) };
    await restrict(true);
  });
  after(() => t.close());

  describe('mailings', () => {
    it('given a mailing with a restricted addressee when CRM marks it as sent then that letter is withheld: no letter-sent, counted, audited; the others are sent', async () => {
      const r = ok(await call('POST', `/api/mailings/${sent.id}/sent`, 'crm'));
      assert.ok(r.sentAt, 'the mailing is sent');
      assert.equal(r.withheld, 1, 'the answer counts the withheld letter');
      assert.equal(r.letterCount, 2);
      namesNothing(r, 'marked-as-sent answer');
      assert.equal(await statusOf(RESTRICTED, 'letter-sent').then((s) => (s ? JSON.parse(s.detail).mailingId : undefined)), scanned.id, 'the restricted customer keeps the status of the earlier mailing only');
      assert.equal(JSON.parse((await statusOf(OTHER, 'letter-sent'))!.detail).mailingId, sent.id);
      const letter = sent.letters.find((l) => l.customerId === RESTRICTED)!;
      assert.ok((await audited('mailing.withheld', RESTRICTED)).some((e) => e.subjectId === letter.barcode), 'the withheld letter is in the customer\'s audit trail');

      const crm = ok(await call('GET', `/api/mailings/${sent.id}`, 'crm'));
      assert.equal(crm.withheld, 1, 'the mailing view shows the withheld count');
      assert.deepEqual(crm.letters.map((l: Json) => l.customerId), [OTHER]);
      const list = ok(await call('GET', '/api/mailings', 'mailroom'));
      assert.equal(list.mailings.find((m: Json) => m.id === sent.id).withheld, 1);
      const comp = ok(await call('GET', `/api/mailings/${sent.id}`, 'compliance'));
      assert.deepEqual(comp.letters.map((l: Json) => [l.customerId, l.withheld ?? false]), [[RESTRICTED, true], [OTHER, false]]);
    });
  });

  describe('reply coupons', () => {
    it('given a restricted customer\'s coupon when the mailroom scans it then it is held: no status, no reply, no document, an answer that names nothing, audited', async () => {
      const letter = scanned.letters.find((l) => l.customerId === RESTRICTED)!;
      const r = ok(await call('POST', '/api/coupons/scan', 'mailroom', { barcode: letter.barcode, answer: 'yes' }));
      assert.equal(r.held, true);
      assert.equal(r.restricted, true);
      assert.equal(r.customerId, null);
      assert.equal(r.documentId, null);
      assert.equal(r.status, null);
      assert.ok(r.reviewId);
      namesNothing(r, 'scan answer');
      assert.equal(await statusOf(RESTRICTED, 'reply-received'), undefined, 'the status variable is not set');
      const row = (await t.dl.db.get<{ replied_at: string | null }>('SELECT replied_at FROM mailing_letters WHERE barcode = ?', [letter.barcode]))!;
      assert.equal(row.replied_at, null, 'the letter has no reply yet');
      assert.equal((await t.dl.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM documents WHERE type = 'reply-coupon' AND customer_id = ?", [RESTRICTED]))!.n, 0);
      assert.ok((await audited('coupon.held', RESTRICTED)).some((e) => e.subjectId === letter.barcode));

      const again = ok(await call('POST', '/api/coupons/scan', 'mailroom', { barcode: letter.barcode, answer: 'yes' }));
      assert.equal(again.reviewId, r.reviewId, 'scanning it again finds the same hold');

      const mail = ok(await call('GET', '/api/coupons/review', 'mailroom'));
      assert.ok(!mail.items.some((i: Json) => i.id === r.reviewId), 'the mailroom does not see the held coupon');
      const comp = ok(await call('GET', '/api/coupons/review', 'compliance'));
      const held = comp.items.find((i: Json) => i.id === r.reviewId);
      assert.equal(held.reason, 'restricted');
      assert.equal(held.code, letter.barcode);
      assert.equal(held.answer, 'yes');
      assert.equal(held.batchId, null);
      assert.equal((await t.api('GET', `/api/coupons/review/${r.reviewId}/image`, { as: 'compliance' })).status, 404, 'a single scan has no image');

      const other = scanned.letters.find((l) => l.customerId === OTHER)!;
      const o = ok(await call('POST', '/api/coupons/scan', 'mailroom', { barcode: other.barcode, answer: 'no' }));
      assert.equal(o.customerId, OTHER, 'another customer\'s coupon is received as before');
      assert.equal((await statusOf(OTHER, 'reply-received'))!.value, 'no');
    });

    it('given a held coupon when it is resolved while the customer is restricted then the mailroom gets 403 and compliance 409 still_restricted; after lifting, compliance applies it', async () => {
      const letter = scanned.letters.find((l) => l.customerId === RESTRICTED)!;
      const reviewId = (await t.dl.db.get<{ id: string }>("SELECT id FROM coupon_reviews WHERE code = ? AND reason = 'restricted'", [letter.barcode]))!.id;
      const apply = { action: 'code', barcode: letter.barcode };
      const mail = await call('POST', `/api/coupons/review/${reviewId}`, 'mailroom', apply);
      assert.equal(mail.status, 403, JSON.stringify(mail.body));
      assert.equal(mail.body.error.code, 'restricted');
      const early = await call('POST', `/api/coupons/review/${reviewId}`, 'compliance', apply);
      assert.equal(early.status, 409, JSON.stringify(early.body));
      assert.equal(early.body.error.code, 'still_restricted');
      assert.equal(await statusOf(RESTRICTED, 'reply-received'), undefined);

      await restrict(false);
      try {
        const done = ok(await call('POST', `/api/coupons/review/${reviewId}`, 'compliance', apply));
        assert.equal(done.status, 'resolved');
        assert.equal(done.resolution.customerId, RESTRICTED);
        const s = (await statusOf(RESTRICTED, 'reply-received'))!;
        assert.equal(s.value, 'yes', 'the answer scanned while held is applied');
        assert.equal(JSON.parse(s.detail).via, 'review');
      } finally {
        await restrict(true);
      }
    });

    it('given a batch with a restricted customer\'s coupon when the job reads it then the coupon is held for compliance with its scan, the status is not set and the mailroom sees only the outcome', async () => {
      const fd = new FormData();
      fd.append('file', new Blob([new Uint8Array(batchOnly.pdf)]), 'klantdag.pdf');
      const res = await t.api('POST', '/api/coupons/batches', { as: 'mailroom', body: fd });
      const accepted = (await res.json()) as Json;
      assert.equal(res.status, 202, JSON.stringify(accepted));
      const until = Date.now() + 60_000;
      let b: Json;
      for (;;) {
        b = ok(await call('GET', `/api/coupons/batches/${accepted.id}`, 'mailroom'));
        if (b.status === 'done' || b.status === 'failed') break;
        assert.ok(Date.now() < until, `batch still ${b.status}`);
        await new Promise((r) => setTimeout(r, 150));
      }
      assert.equal(b.status, 'done', JSON.stringify(b));
      assert.equal(b.summary.restricted, 1, JSON.stringify(b.summary));
      assert.equal(b.summary.received, undefined);
      assert.deepEqual(b.pages.map((p: Json) => [p.code, p.outcome]), [[batchOnly.barcode, 'restricted']]);
      namesNothing(b, 'batch view');
      assert.equal(b.reviews[0].reason, 'restricted');

      const s = await statusOf(RESTRICTED, 'reply-received');
      assert.notEqual(s && JSON.parse(s.detail).barcode, batchOnly.barcode, 'the status variable is not set by this coupon');
      const row = (await t.dl.db.get<{ replied_at: string | null }>('SELECT replied_at FROM mailing_letters WHERE barcode = ?', [batchOnly.barcode]))!;
      assert.equal(row.replied_at, null);
      assert.ok((await audited('coupon.held', RESTRICTED)).some((e) => e.subjectId === b.reviews[0].id));
      const mail = ok(await call('GET', `/api/coupons/review?batchId=${accepted.id}`, 'mailroom'));
      assert.deepEqual(mail.items, [], 'the mailroom\'s review queue leaves it out');
      const comp = ok(await call('GET', `/api/coupons/review?batchId=${accepted.id}`, 'compliance'));
      assert.equal(comp.items[0].reason, 'restricted');
      const image = await t.api('GET', `/api/coupons/review/${comp.items[0].id}/image`, { as: 'compliance' });
      assert.equal(image.status, 200, 'the scanned coupon is kept');
      await image.arrayBuffer();
    });

    it('given a restricted customer\'s coupon received before the restriction when the mailroom scans it again then the 409 does not name the customer or its answer', async () => {
      const other = scanned.letters.find((l) => l.customerId === OTHER)!;
      // OTHER's coupon was received above; make the restricted customer's letter one that was received too.
      const letter = sent.letters.find((l) => l.customerId === RESTRICTED)!;
      await t.dl.db.run("UPDATE mailing_letters SET replied_at = '2026-11-01T10:00:00.000Z', answer = 'yes', reply_via = 'scan' WHERE barcode = ?", [letter.barcode]);
      const r = await call('POST', '/api/coupons/scan', 'mailroom', { barcode: letter.barcode });
      assert.equal(r.status, 409);
      assert.equal(r.body.error.code, 'already_received');
      namesNothing(r.body, 'already-received answer');
      const o = await call('POST', '/api/coupons/scan', 'mailroom', { barcode: other.barcode });
      assert.equal(o.body.error.details.customerId, OTHER, 'another customer\'s 409 still says whose it is');
    });
  });

  describe('e-mail intake', () => {
    const at = '2026-11-02T10:00:00.000Z';
    const mail = (id: string, sender: string, subject: string) =>
      t.dl.db.run(
        `INSERT INTO mail_messages (id, message_id, mailbox, uid, sender, subject, eml_sha256, eml_size, customer_id, status, job_id, error, skipped, received_at, created_at, updated_at)
         VALUES (?, ?, 'INBOX', 1, ?, ?, ?, 100, NULL, 'failed', ?, ?, '[]', ?, ?, ?)`,
        [id, `<${id}@${sender.split('@')[1]}>`, sender, subject, 'a'.repeat(64), `job_${id}`, `attachment ${SECRET}.pdf is damaged`, at, at, at],
      );
    const job = (id: string) =>
      t.dl.db.run(
        "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_after, last_error, progress, created_at, updated_at) VALUES (?, 'mail-message', ?, 'failed', 5, 5, ?, ?, '{}', ?, ?)",
        [`job_${id}`, JSON.stringify({ messageId: id }), at, `attachment ${SECRET}.pdf is damaged`, at, at],
      );

    it('given unmatched mail from another address at a restricted customer\'s own domain when the mailroom lists the intake and jobs then it is hidden; mail from a public mail service is not', async () => {
      // The intake links boekhouding@goudenkorst.nl to the one customer at goudenkorst.nl.
      await job('mm_dom');
      await mail('mm_dom', 'boekhouding@goudenkorst.nl', `${SECRET}: factuur`);
      // A restricted private customer at gmail.com: its exact address names it, gmail.com names no one.
      ok(await call('PUT', '/api/customers/KL-000777', 'crm', { name: 'J. Jansen', email: 'j.jansen@gmail.com' }), 201);
      ok(await call('POST', '/api/customers/KL-000777/restriction', 'compliance', { restricted: true, reason: 'Objection pending' }));
      await job('mm_gm');
      await mail('mm_gm', 'j.jansen@gmail.com', 'Vraag van Jansen');
      await job('mm_pub');
      await mail('mm_pub', 'p.pietersen@gmail.com', 'Offerteaanvraag Pietersen');

      const list = ok(await call('GET', '/api/mail-intake?status=failed', 'mailroom'));
      const byId = (id: string) => list.messages.find((m: Json) => m.id === id);
      assert.equal(byId('mm_dom').restricted, true, 'mail from the customer\'s domain is about the customer');
      assert.equal(byId('mm_dom').job.id, 'job_mm_dom', 'its job can still be found and retried');
      namesNothing(byId('mm_dom'), 'message from the domain');
      assert.equal(byId('mm_gm').restricted, true, 'the exact address at a public service is hidden');
      assert.equal(byId('mm_pub').restricted, undefined, 'another address at gmail.com names no one');
      assert.equal(byId('mm_pub').subject, 'Offerteaanvraag Pietersen');

      const jobs = ok(await call('GET', '/api/jobs?kind=mail-message&status=failed', 'mailroom'));
      const j = jobs.jobs.find((x: Json) => x.id === 'job_mm_dom');
      assert.equal(j.restricted, true);
      namesNothing(j, 'mail job');
      assert.equal(jobs.jobs.find((x: Json) => x.id === 'job_mm_pub').restricted, undefined);

      const admin = ok(await call('GET', '/api/mail-intake?status=failed', 'admin'));
      assert.equal(admin.messages.find((m: Json) => m.id === 'mm_dom').sender, 'boekhouding@goudenkorst.nl');
    });
  });
});
