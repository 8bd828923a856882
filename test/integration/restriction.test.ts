import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/domain/roles.js';
import { RestrictionGuard } from '../../src/services/restriction.guard.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, any>;
type As = Role | 'compliance2';

const RESTRICTED = 'KL-000123';
const OTHER = 'KL-000124';

/**
 * GDPR art. 18 (API.md "Restricted customers"): one test per read path. KL-000123 has scanned
 * documents (file, text, search hits) and static paper with a barcode in the demo data.
 */
describe(RestrictionGuard.name, () => {
  let t: TestApp;
  let scanned: string; // a dynamic document with a file and text
  let paper: { id: string; barcode: string }; // static paper with a barcode
  let otherDoc: string;
  let rx: { server: Server; hits: number; url: string };
  let mailingId: string; // a mailing to RESTRICTED and OTHER, made before the restriction

  const call = async (method: string, path: string, as: As, json?: unknown) => {
    const res = await t.api(method, path, { as, json });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, body: (type.includes('json') ? await res.json() : await res.text()) as Json & string };
  };
  const restricted = (r: { status: number; body: Json }, what: string) => {
    assert.equal(r.status, 403, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'restricted', what);
  };

  before(async () => {
    rx = { server: createServer((req, res) => (req.resume(), rx.hits++, res.end('ok'))), hits: 0, url: '' };
    await new Promise<void>((r) => rx.server.listen(0, '127.0.0.1', () => r()));
    const addr = rx.server.address();
    rx.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;
    t = await startTestApp({ env: { DOSSIER_WEBHOOK_ALLOW: '127.0.0.1/32', DOSSIER_SEARCH_RATE_LIMIT: '0' } });
    const docs = await t.dl.db.all<{ id: string; class: string; barcode: string | null; customer_id: string; original_sha256: string | null }>(
      'SELECT id, class, barcode, customer_id, original_sha256 FROM documents ORDER BY id',
    );
    scanned = docs.find((d) => d.customer_id === RESTRICTED && d.original_sha256)!.id;
    const p = docs.find((d) => d.customer_id === RESTRICTED && d.barcode)!;
    paper = { id: p.id, barcode: p.barcode! };
    otherDoc = docs.find((d) => d.customer_id === OTHER && d.original_sha256)!.id;
    // Before the restriction: a paper request by the CRM user, a document in review, an event.
    const req = await call('POST', `/api/documents/${paper.id}/requests`, 'crm', { note: 'for the meeting' });
    assert.equal(req.status, 201, JSON.stringify(req.body));
    await t.dl.db.run("UPDATE documents SET status = 'needs_review' WHERE id = (SELECT id FROM documents WHERE customer_id = ? AND original_sha256 IS NOT NULL AND id <> ? LIMIT 1)", [RESTRICTED, scanned]);
    const m = await call('POST', '/api/mailings', 'crm', { name: 'Voor de beperking', customerIds: [RESTRICTED, OTHER] });
    assert.equal(m.status, 201, JSON.stringify(m.body));
    mailingId = m.body.id;
    const r = await call('POST', `/api/customers/${RESTRICTED}/restriction`, 'compliance', { restricted: true, reason: 'Customer contests the accuracy of the data' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });
  after(async () => {
    await t.close();
    await new Promise<void>((r) => rx.server.close(() => r()));
  });

  describe('one dossier or document', () => {
    it('given a restricted customer when CRM opens the dossier then 403 restricted; compliance and admin still read it', async () => {
      restricted(await call('GET', `/api/customers/${RESTRICTED}/dossier`, 'crm'), 'dossier as crm');
      const refused = await t.dl.services.audit.query({ customerId: RESTRICTED, action: 'restricted.refused' }, 1);
      assert.equal(refused[0]?.subjectType, 'customer', 'the refused attempt is in the audit log');
      assert.equal((await call('GET', `/api/customers/${RESTRICTED}/dossier`, 'compliance')).status, 200);
      assert.equal((await call('GET', `/api/customers/${RESTRICTED}/dossier`, 'admin')).status, 200);
      assert.equal((await call('GET', `/api/customers/${OTHER}/dossier`, 'crm')).status, 200, 'other dossiers stay open');
    });

    it('given a restricted customer when its document is asked then 403 restricted for crm and mailroom, 200 for compliance', async () => {
      restricted(await call('GET', `/api/documents/${scanned}`, 'crm'), 'document as crm');
      restricted(await call('GET', `/api/documents/${scanned}`, 'mailroom'), 'document as mailroom');
      assert.equal((await call('GET', `/api/documents/${scanned}`, 'compliance')).status, 200);
      assert.equal((await call('GET', `/api/documents/${otherDoc}`, 'crm')).status, 200);
    });

    it('given a restricted customer when its text is asked then 403 restricted, and compliance reads it', async () => {
      restricted(await call('GET', `/api/documents/${scanned}/text`, 'crm'), 'text');
      const ok = await call('GET', `/api/documents/${scanned}/text`, 'compliance');
      assert.equal(ok.status, 200);
      assert.match(ok.body, /KL-000123/);
    });

    it('given a restricted customer when its file is asked (original or archive) then 403 restricted, and compliance gets the bytes', async () => {
      restricted(await call('GET', `/api/documents/${scanned}/file`, 'crm'), 'original file');
      restricted(await call('GET', `/api/documents/${scanned}/file?variant=archive`, 'crm'), 'archive copy');
      const ok = await t.api('GET', `/api/documents/${scanned}/file`, { as: 'compliance' });
      assert.equal(ok.status, 200);
      assert.ok((await ok.arrayBuffer()).byteLength > 100);
    });

    it('given restricted paper when the mailroom asks for its label then 403 restricted; admin may print it', async () => {
      restricted(await call('GET', `/api/documents/${paper.id}/label.pdf`, 'mailroom'), 'label');
      const ok = await t.api('GET', `/api/documents/${paper.id}/label.pdf`, { as: 'admin' });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('content-type'), 'application/pdf');
    });

    it('given restricted paper when CRM requests it or the mailroom digitises it then 403 restricted', async () => {
      restricted(await call('POST', `/api/documents/${paper.id}/requests`, 'crm', {}), 'paper request');
      const fd = new FormData();
      fd.append('file', new Blob(['%PDF-1.4\n%%EOF\n']), 'scan.pdf');
      const res = await t.api('POST', `/api/documents/${paper.id}/digitise`, { as: 'mailroom', body: fd });
      restricted({ status: res.status, body: (await res.json()) as Json }, 'digitise');
    });

    it('given a restricted document in review when the mailroom resolves it then 403 restricted', async () => {
      const inReview = (await t.dl.db.get<{ id: string }>("SELECT id FROM documents WHERE customer_id = ? AND status = 'needs_review'", [RESTRICTED]))!.id;
      restricted(await call('POST', `/api/documents/${inReview}/review`, 'mailroom', { type: 'quote' }), 'review');
    });

    it('given restricted paper when looked up by barcode then CRM gets 403, the mailroom that stores it still finds it', async () => {
      restricted(await call('GET', `/api/tracking/items/${paper.barcode}`, 'crm'), 'tracking item as crm');
      assert.equal((await call('GET', `/api/tracking/items/${paper.barcode}`, 'mailroom')).status, 200, 'storage is still allowed under art. 18');
    });

    it('given a document that does not exist when asked then still 404, not 403', async () => {
      assert.equal((await call('GET', '/api/documents/doc_nope', 'crm')).status, 404);
    });
  });

  describe('lists, search, exports and feeds', () => {
    it('given a restricted customer when CRM searches then its documents are left out; compliance finds them', async () => {
      for (const q of ['KL-000123', 'klantnummer']) {
        const crm = await call('GET', `/api/search?q=${encodeURIComponent(q)}`, 'crm');
        assert.equal(crm.status, 200);
        assert.ok(!crm.body.hits.some((h: Json) => h.customerId === RESTRICTED), `no hit of ${RESTRICTED} for crm (${q})`);
        const comp = await call('GET', `/api/search?q=${encodeURIComponent(q)}`, 'compliance');
        assert.ok(comp.body.hits.some((h: Json) => h.customerId === RESTRICTED), `compliance finds ${RESTRICTED} (${q})`);
      }
      const filtered = await call('GET', `/api/search?q=klantnummer&customerId=${RESTRICTED}`, 'crm');
      assert.equal(filtered.body.total, 0, 'not with a customer filter either');
      const typed = await call('GET', '/api/search?q=klantnummer&type=invoice', 'crm');
      assert.ok(!typed.body.hits.some((h: Json) => h.customerId === RESTRICTED), 'nor with another filter');
    });

    it('given a restricted customer when the key points are exported (JSON and CSV) then its paper is left out', async () => {
      const json = await call('GET', '/api/exports/key-points', 'crm');
      assert.equal(json.status, 200);
      assert.ok(json.body.items.length > 0);
      assert.ok(!json.body.items.some((i: Json) => i.customerId === RESTRICTED));
      const byDate = await call('GET', '/api/exports/key-points?since=2000-01-01', 'crm');
      assert.ok(!byDate.body.items.some((i: Json) => i.customerId === RESTRICTED));
      const csv = await call('GET', '/api/exports/key-points?format=csv', 'crm');
      assert.ok(!String(csv.body).includes(RESTRICTED));
      assert.ok(String(csv.body).includes(OTHER));
    });

    it('given a restricted customer when the mobile delta feed syncs then none of its documents, statuses or record come', async () => {
      const feed = await call('GET', '/api/changes?limit=5000', 'crm');
      assert.equal(feed.status, 200);
      assert.ok(feed.body.changes.length > 0);
      assert.ok(!feed.body.changes.some((c: Json) => c.customerId === RESTRICTED && c.op === 'upsert'));
    });

    it('given a restricted customer when the event feed is read then its events are left out', async () => {
      await t.dl.db.tx((q) => t.dl.services.status.set(q, { customerId: RESTRICTED, name: 'letter-sent', value: 'mlg_r', actorId: 'test', source: 'restriction-test' }));
      await t.dl.db.tx((q) => t.dl.services.status.set(q, { customerId: OTHER, name: 'letter-sent', value: 'mlg_o', actorId: 'test', source: 'restriction-test' }));
      const feed = await call('GET', '/api/events?limit=1000', 'crm');
      assert.equal(feed.status, 200);
      assert.ok(feed.body.events.some((e: Json) => e.customerId === OTHER));
      assert.ok(!feed.body.events.some((e: Json) => e.customerId === RESTRICTED));
    });

    it('given a restricted customer when its events are due for a webhook then they are cancelled, not sent', async () => {
      const hook = await call('POST', '/api/webhooks', 'admin', { url: rx.url, events: ['status.set'] });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      await t.dl.db.tx((q) => t.dl.services.status.set(q, { customerId: RESTRICTED, name: 'reply-received', value: 'yes', actorId: 'test', source: 'restriction-test' }));
      await t.dl.services.webhooks.dispatcher.drain(3000);
      const rows = await t.dl.db.all<{ status: string; last_error: string | null }>('SELECT status, last_error FROM webhook_deliveries WHERE webhook_id = ?', [hook.body.id]);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].status, 'cancelled');
      assert.match(String(rows[0].last_error), /restricted/);
      assert.equal(rx.hits, 0, 'the receiver got nothing');
    });

    it('given a restricted document in review when the review queue is listed then only compliance and admin see it', async () => {
      const mail = await call('GET', '/api/review', 'mailroom');
      assert.ok(!mail.body.documents.some((d: Json) => d.customerId === RESTRICTED));
      const admin = await call('GET', '/api/review', 'admin');
      assert.ok(admin.body.documents.some((d: Json) => d.customerId === RESTRICTED));
    });

    it('given an open request for restricted paper when requests and the pick list are listed then it is left out', async () => {
      const mine = await call('GET', '/api/requests', 'crm');
      assert.equal(mine.status, 200);
      assert.ok(!mine.body.requests.some((r: Json) => r.documentId === paper.id), 'the requester does not see it');
      const pick = await call('GET', '/api/requests/pick-list', 'mailroom');
      assert.equal(pick.status, 200);
      assert.ok(!JSON.stringify(pick.body).includes(paper.id), 'the mailroom is not sent to fetch it');
    });

    it('given a restricted document when the mailroom asks /api/names then its title and file name are left out; compliance gets them', async () => {
      const q = `/api/names?documents=${scanned},${otherDoc}`;
      const mail = await call('GET', q, 'mailroom');
      assert.equal(mail.status, 200);
      assert.deepEqual(mail.body.documents.map((d: Json) => d.id), [otherDoc]);
      const comp = await call('GET', q, 'compliance');
      assert.ok(comp.body.documents.some((d: Json) => d.id === scanned));
    });

    it('given a failed job on a restricted document when the mailroom lists jobs then it is shown without its error text and can still be retried', async () => {
      const job = { id: 'job_restricted_test' };
      await t.dl.db.run(
        `INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_after, last_error, last_error_code, last_error_details, progress, created_at, updated_at)
         VALUES (?, 'ingest', ?, 'failed', 5, 5, '2026-01-01T00:00:00Z', ?, 'unknown_customer', ?, ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
        [
          job.id,
          JSON.stringify({ documentId: scanned }),
          `OCR failed on ${RESTRICTED}`,
          JSON.stringify({ customerId: RESTRICTED }),
          JSON.stringify({ done: 1, total: 2, note: `page 1: ${RESTRICTED}`, noteCode: 'coupon_page', noteParams: { page: 1, kind: 'letter', code: RESTRICTED } }),
        ],
      );
      const mail = await call('GET', '/api/jobs?status=failed&limit=500', 'mailroom');
      assert.equal(mail.status, 200);
      const seen = mail.body.jobs.find((j: Json) => j.id === job.id);
      assert.ok(seen, 'the operator still sees the failed job');
      assert.equal(seen.restricted, true);
      assert.ok(!JSON.stringify(seen).includes(RESTRICTED), JSON.stringify(seen));
      // The interface says it is hidden, in its own words; the reason's code and parameters go too.
      assert.equal(seen.lastErrorCode, 'restricted_hidden');
      assert.equal(seen.lastErrorDetails, null);
      assert.deepEqual(seen.progress, { done: 1, total: 2 });
      const comp = await call('GET', '/api/jobs?status=failed&limit=500', 'compliance');
      const full = comp.body.jobs.find((j: Json) => j.id === job.id);
      assert.match(full.lastError, /KL-000123/);
      assert.equal(full.lastErrorCode, 'unknown_customer');
      assert.deepEqual(full.lastErrorDetails, { customerId: RESTRICTED });
      const retry = await call('POST', `/api/jobs/${job.id}/retry`, 'mailroom');
      assert.ok(retry.status < 300, `retry: ${retry.status} ${JSON.stringify(retry.body)}`);
    });

    it('given a mailing to a restricted customer when CRM prints its letters (PDF, CSV) then that letter is left out and the response says so', async () => {
      const pdf = await t.api('GET', `/api/mailings/${mailingId}/letters.pdf`, { as: 'crm' });
      assert.equal(pdf.status, 200);
      assert.equal(pdf.headers.get('x-letters-restricted'), '1');
      await pdf.arrayBuffer();
      const csv = await call('GET', `/api/mailings/${mailingId}/letters.csv`, 'crm');
      assert.equal(csv.headers.get('x-letters-restricted'), '1');
      assert.ok(!csv.body.includes(RESTRICTED) && csv.body.includes(OTHER));
      const comp = await call('GET', `/api/mailings/${mailingId}/letters.csv`, 'compliance');
      if (comp.status === 200) assert.ok(comp.body.includes(RESTRICTED));
      const view = await call('GET', `/api/mailings/${mailingId}`, 'crm');
      assert.deepEqual(view.body.letters.map((l: Json) => l.customerId), [OTHER], 'the mailing view leaves the letter out too');
      const compView = await call('GET', `/api/mailings/${mailingId}`, 'compliance');
      assert.equal(compView.body.letters.length, 2);
      const seq = compView.body.letters.find((l: Json) => l.customerId === RESTRICTED).seq;
      const onlyRestricted = await call('GET', `/api/mailings/${mailingId}/letters.pdf?part=${seq}&partSize=1`, 'crm');
      assert.equal(onlyRestricted.status, 409, 'a part with nothing left to print says why instead of an empty PDF');
      assert.equal(onlyRestricted.body.error.code, 'restricted');
      const admin = await t.api('GET', `/api/mailings/${mailingId}/letters.pdf`, { as: 'admin' });
      assert.equal(admin.headers.get('x-letters-restricted'), '0');
      await admin.arrayBuffer();
    });

    it('given a coupon review item about a restricted customer when the mailroom lists or opens it then it is left out and its image is 403 restricted', async () => {
      const sha = (await t.dl.db.get<{ original_sha256: string }>('SELECT original_sha256 FROM documents WHERE id = ?', [otherDoc]))!.original_sha256;
      await t.dl.db.run("INSERT INTO coupon_batches (id, status, page_count, created_at) VALUES ('cb_r', 'done', 2, '2026-01-01T00:00:00Z')");
      for (const [id, unit, cust] of [['cr_r', 1, RESTRICTED], ['cr_o', 2, OTHER]] as const) {
        await t.dl.db.run(
          "INSERT INTO coupon_reviews (id, batch_id, unit, pages, reason, hint_customer_id, image_sha256, original_sha256, original_mime, original_size, status, created_at) VALUES (?, 'cb_r', ?, '[1]', 'unreadable', ?, ?, ?, 'application/pdf', 1, 'open', '2026-01-01T00:00:00Z')",
          [id, unit, cust, sha, sha],
        );
      }
      const mail = await call('GET', '/api/coupons/review?batchId=cb_r', 'mailroom');
      assert.deepEqual(mail.body.items.map((i: Json) => i.id), ['cr_o']);
      const comp = await call('GET', '/api/coupons/review?batchId=cb_r', 'compliance');
      assert.deepEqual(comp.body.items.map((i: Json) => i.id).sort(), ['cr_o', 'cr_r']);
      restricted(await call('GET', '/api/coupons/review/cr_r/image', 'mailroom'), 'coupon image');
      assert.equal((await t.api('GET', '/api/coupons/review/cr_r/image', { as: 'compliance' })).status, 200);
      assert.equal((await t.api('GET', '/api/coupons/review/cr_o/image', { as: 'mailroom' })).status, 200);
    });

    it('given restricted paper on a shelf and checked out past its due date when the mailroom lists the shelf and the overdue list then it moves and shows, but without title or customer', async () => {
      const place = async (name: string, kind: string, parent?: string) => {
        const r = await call('POST', '/api/locations', 'mailroom', { name, kind, parent });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body as Json;
      };
      const site = await place('Beperkt', 'site');
      const room = await place('Archief B', 'room', site.barcode);
      const cab = await place('Kast B', 'cabinet', room.barcode);
      const shelf = await place('Plank B', 'shelf', cab.barcode);
      const filed = await call('POST', '/api/tracking/scan', 'mailroom', { barcode: paper.barcode, to: shelf.barcode });
      assert.ok(filed.status < 300, `filing restricted paper is storage, allowed: ${JSON.stringify(filed.body)}`);
      const title = (await t.dl.db.get<{ title: string }>('SELECT title FROM documents WHERE id = ?', [paper.id]))!.title;
      const mail = await call('GET', `/api/locations/${shelf.barcode}`, 'mailroom');
      assert.equal(mail.status, 200);
      const entry = mail.body.documents.find((d: Json) => d.id === paper.id);
      assert.ok(entry, 'the paper is still listed where it is');
      assert.equal(entry.restricted, true);
      assert.ok(!JSON.stringify(mail.body).includes(title) && !JSON.stringify(mail.body).includes(RESTRICTED));
      const comp = await call('GET', `/api/locations/${shelf.barcode}`, 'compliance');
      assert.equal(comp.body.documents.find((d: Json) => d.id === paper.id).title, title);

      const me = (await call('GET', '/api/me', 'crm')).body.id;
      const out = await call('POST', '/api/tracking/scan', 'mailroom', { barcode: paper.barcode, to: `user:${me}` });
      assert.ok(out.status < 300, JSON.stringify(out.body));
      const overdue = await call('GET', '/api/tracking/overdue?asOf=2099-01-01', 'mailroom');
      assert.equal(overdue.status, 200);
      const item = overdue.body.items.find((i: Json) => i.documentId === paper.id);
      assert.ok(item, 'the holder must still be chased to bring it back');
      assert.equal(item.restricted, true);
      assert.equal(item.customerId, null);
      assert.ok(!JSON.stringify(overdue.body).includes(title));
      const compOverdue = await call('GET', '/api/tracking/overdue?asOf=2099-01-01', 'compliance');
      assert.equal(compOverdue.body.items.find((i: Json) => i.documentId === paper.id).customerId, RESTRICTED);
      assert.ok((await call('POST', '/api/tracking/scan', 'mailroom', { barcode: paper.barcode, to: shelf.barcode })).status < 300, 'check-in');

      // An inventory audit of the shelf that does not find the paper: the report names it as missing, without its title.
      const audit = await call('POST', '/api/tracking/audits', 'mailroom', { location: shelf.barcode });
      assert.equal(audit.status, 201, JSON.stringify(audit.body));
      const done = await call('POST', `/api/tracking/audits/${audit.body.id}/finish`, 'mailroom', {});
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const report = await call('GET', `/api/tracking/audits/${audit.body.id}`, 'mailroom');
      const missing = report.body.report.missing.find((i: Json) => i.documentId === paper.id);
      assert.ok(missing, JSON.stringify(report.body.report));
      assert.equal(missing.restricted, true);
      assert.equal(missing.title, null);
      const compReport = await call('GET', `/api/tracking/audits/${audit.body.id}`, 'compliance');
      assert.equal(compReport.body.report.missing.find((i: Json) => i.documentId === paper.id).title, title);
    });

    it('given the restriction lifted when CRM reads again then the dossier, document and search hits are back', async () => {
      const lift = await call('POST', `/api/customers/${RESTRICTED}/restriction`, 'compliance', { restricted: false, reason: 'Data corrected' });
      assert.equal(lift.status, 200);
      try {
        assert.equal((await call('GET', `/api/customers/${RESTRICTED}/dossier`, 'crm')).status, 200);
        assert.equal((await call('GET', `/api/documents/${scanned}/text`, 'crm')).status, 200);
        const s = await call('GET', '/api/search?q=KL-000123', 'crm');
        assert.ok(s.body.hits.some((h: Json) => h.customerId === RESTRICTED));
      } finally {
        await call('POST', `/api/customers/${RESTRICTED}/restriction`, 'compliance', { restricted: true, reason: 'again, for the route check' });
      }
    });
  });

  it('given the route table when every route on one document or customer is checked then each declares what it reads, or is listed here with why not', () => {
    // Routes only compliance (and admin) may call need no check: they see restricted customers anyway.
    const exempt: Record<string, string> = {
      'put /api/customers/:id': 'CRM master data; the CRM is leading',
      'get /api/customers/:id': 'the customer record itself, which says restricted: true; no documents',
      'post /api/customers/:id/merge': 'CRM master data; the CRM is leading',
      'delete /api/documents/:id': 'admin only: destruction',
    };
    const missing = t.dl.app.routeTable
      .filter((r) => /^\/api\/(documents|customers)\/:id(\/|$)/.test(r.path))
      .filter((r) => !(Array.isArray(r.access) && r.access.every((a) => a === 'compliance' || a === 'admin')))
      .filter((r) => !r.reads && !exempt[`${r.method} ${r.path}`])
      .map((r) => `${r.method.toUpperCase()} ${r.path}`);
    assert.deepEqual(missing, [], 'a new read path must declare `reads` (GDPR art. 18) or be exempted here with a reason');
  });

  it('given the route table when every GET route is checked then each declares what it reads, filters restricted customers out, or is listed here with why it needs neither', () => {
    const onlyCompliance = (r: { access: unknown }) => Array.isArray(r.access) && r.access.every((a) => a === 'compliance' || a === 'admin');
    // Lists that leave a restricted customer's documents out (notRestricted) or hide their details; each has its test above.
    const filtered = new Set([
      'get /api/search', 'get /api/review', 'get /api/jobs', 'get /api/events', 'get /api/changes', 'get /api/exports/key-points',
      'get /api/names', 'get /api/locations/:barcode', 'get /api/tracking/overdue', 'get /api/tracking/items/:barcode',
      'get /api/requests', 'get /api/requests/pick-list', 'get /api/requests/pick-list.pdf', 'get /api/mailings/:id/letters.pdf',
      'get /api/mailings/:id/letters.csv', 'get /api/coupons/review', 'get /api/coupons/review/:id/image', 'get /api/documents',
      'get /api/mailings/:id', 'get /api/tracking/audits/:id', 'get /api/disposals/:id/pick-list', 'get /api/disposals/:id/pick-list.pdf',
      // Tested in restriction-mailroom.test.ts.
      'get /api/mail-intake',
    ]);
    const exempt: Record<string, string> = {
      'get /api/me': 'the caller itself',
      'get /api/users/directory': 'staff names only',
      'get /api/customers': 'CRM master data, each record says restricted: true; no documents (the CRM is leading)',
      'get /api/customers/:id': 'the customer record itself, which says restricted: true; no documents',
      'get /api/retention/schedules': 'configuration',
      'get /api/scopes': 'configuration',
      'get /api/labels/layouts': 'configuration',
      'get /api/mailings/templates': 'configuration',
      'get /api/views': 'the caller\'s saved filters',
      'get /api/openapi.json': 'the API description',
      'get /api/locations': 'the tree of places and boxes; no documents',
      'get /api/locations/:barcode/label.pdf': 'the label of a place or box; no documents',
      'get /api/mailings': 'mailings with counts only; the letters are in GET /api/mailings/:id, filtered',
      'get /api/coupons/batches/:id': 'per page only a code, answer and outcome, no customer or image; the review items with the image are filtered',
      'get /api/imports': 'CRM master-data import runs (the CRM is leading); no documents',
      'get /api/imports/:id': 'CRM master-data import report; no documents',
      'get /api/cover-sheet.pdf': 'prints a blank cover sheet for a customer number the caller typed; reads nothing',
    };
    const missing = t.dl.app.routeTable
      .filter((r) => r.method === 'get' && r.access !== 'public' && !onlyCompliance(r))
      .filter((r) => !r.reads && !filtered.has(`get ${r.path}`) && !exempt[`get ${r.path}`])
      .map((r) => `${r.method.toUpperCase()} ${r.path} ${JSON.stringify(r.access)}`);
    assert.deepEqual(missing, [], 'a GET route must declare `reads`, filter restricted customers (GDPR art. 18), or be exempted here with a reason');
    const stale = [...filtered, ...Object.keys(exempt)].filter((k) => !t.dl.app.routeTable.some((r) => `${r.method} ${r.path}` === k));
    assert.deepEqual(stale, [], 'listed here but no longer a route');
  });

  it('given the route table when every route that changes something is checked then each declares what it reads, checks or redacts restricted customers in what it answers, or is listed here with why it needs neither', () => {
    const onlyCompliance = (r: { access: unknown }) => Array.isArray(r.access) && r.access.every((a) => a === 'compliance' || a === 'admin');
    // Answers that would show a restricted customer's documents: refused or redacted for roles but compliance and admin; each has its test.
    const checked = new Set([
      // restriction-mailroom.test.ts
      'post /api/documents', 'post /api/jobs/:id/retry', 'post /api/labels/sheet', 'post /api/tracking/audits/:id/finish',
      'post /api/requests/:id/cancel', 'post /api/disposals/:id/transfer', 'post /api/coupons/review/:id',
      // each id goes through the correction check, a restricted one fails with `restricted` (restriction-mailroom.test.ts)
      'post /api/documents/bulk',
      // restriction-processing.test.ts: a restricted customer's letter is withheld, its coupon held (not processed, answer names no one)
      'post /api/mailings/:id/sent', 'post /api/coupons/scan',
    ]);
    const exempt: Record<string, string> = {
      'delete /api/session': 'the caller\'s own session',
      'delete /api/sessions': 'the caller\'s own sessions',
      'put /api/customers/:id': 'CRM master data; the CRM is leading',
      'post /api/customers/:id/merge': 'CRM master data; the CRM is leading',
      'post /api/imports/customers': 'CRM master data; the CRM is leading',
      'post /api/documents/paper': 'registers new paper from what the caller typed and answers with just that; storing is allowed',
      'post /api/locations': 'a place or box; no documents',
      'patch /api/locations/:barcode': 'a place or box; no documents',
      'post /api/labels/blank': 'codes without any text',
      'post /api/jobs/retry-failed': 'answers two counts; each job is retried as by post /api/jobs/:id/retry, which a restricted customer\'s job allows',
      'post /api/tracking/scan': 'moving paper is storage (allowed under art. 18); the answer has codes, ids and places, no title or customer',
      'post /api/tracking/audits': 'starts an audit: the place, no report yet',
      'post /api/tracking/audits/:id/scans': 'per code only recorded/rejected and where it was found; no title or customer',
      'post /api/mailings': 'a restricted customer cannot be mailed (422 not_mailable)',
      'post /api/coupons/batches': 'accepts a scanned stack; the answer is the batch with page counts',
      'post /api/separator-sheets': 'prints a sheet for a customer number the caller typed; reads no documents',
      'post /api/disposals/:id/shred': 'answers with the barcode, ids and counts only',
      'post /api/mail-intake/poll': 'counts of one pass over the mailbox',
      'post /api/views': 'the caller\'s saved filters',
      'delete /api/views/:id': 'the caller\'s saved filters',
    };
    const missing = t.dl.app.routeTable
      .filter((r) => r.method !== 'get' && r.access !== 'public' && !onlyCompliance(r))
      .filter((r) => !r.reads && !checked.has(`${r.method} ${r.path}`) && !exempt[`${r.method} ${r.path}`])
      .map((r) => `${r.method.toUpperCase()} ${r.path} ${JSON.stringify(r.access)}`);
    assert.deepEqual(missing, [], 'a route must declare `reads`, check or redact restricted customers in its answer (GDPR art. 18), or be exempted here with a reason');
    const stale = [...checked, ...Object.keys(exempt)].filter((k) => !t.dl.app.routeTable.some((r) => `${r.method} ${r.path}` === k));
    assert.deepEqual(stale, [], 'listed here but no longer a route');
  });
});
