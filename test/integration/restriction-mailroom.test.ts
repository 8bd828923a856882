import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../src/domain/roles.js';
import { RestrictionGuard } from '../../src/services/restriction.guard.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, any>;

const RESTRICTED = 'KL-000123';
const RESTRICTED_NAME = 'Gouden Korst';
const RESTRICTED_EMAIL = 'inkoop@goudenkorst.nl';
const OTHER = 'KL-000124';
/** A word only the restricted customer's mail carries: it must not reach the mailroom. */
const SECRET = 'Zwartboek';

/**
 * GDPR art. 18 (API.md "Restricted customers") on the routes the mailroom works from: e-mail
 * intake, split stacks, jobs, labels, the file tracker, inventory audits, paper requests, disposal
 * transfers and duplicate uploads. Each keeps working for the mailroom but no longer names a
 * restricted customer or shows its titles; compliance (or admin, where the route is mailroom-only)
 * still sees everything.
 */
describe(`${RestrictionGuard.name} on the mailroom's routes`, () => {
  let t: TestApp;
  let scanned: { id: string; sha256: string; title: string }; // RESTRICTED, with an original
  let paper: { id: string; barcode: string; title: string }; // RESTRICTED, static paper with a barcode
  let otherDoc: string; // OTHER, with an original
  let otherPaper: { id: string; barcode: string };
  let requestId: string; // a CRM request for the restricted paper, made before the restriction
  let shelf: string; // the barcode of a shelf that holds the restricted paper
  let transfer: { disposalId: string; restrictedDoc: string; otherDoc: string };

  const call = async (method: string, path: string, as: 'mailroom' | 'crm' | 'compliance' | 'admin', json?: unknown) => {
    const res = await t.api(method, path, { as, json });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, body: (type.includes('json') ? await res.json() : await res.text()) as Json & string };
  };
  const refused = (r: { status: number; body: Json }, what: string) => {
    assert.equal(r.status, 403, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'restricted', what);
  };
  /** Nothing in the body names the restricted customer or what its documents are about. */
  const namesNothing = (body: unknown, what: string, words: string[] = []) => {
    const text = JSON.stringify(body);
    for (const w of [RESTRICTED, RESTRICTED_NAME, RESTRICTED_EMAIL, SECRET, scanned.title, paper.title, ...words]) assert.ok(!text.includes(w), `${what} names ${JSON.stringify(w)}: ${text}`);
  };
  const officer: Principal = { id: 'officer-1', name: 'Officer', roles: ['compliance'] };
  const second: Principal = { id: 'officer-2', name: 'Second officer', roles: ['admin'] };

  before(async () => {
    t = await startTestApp();
    const { db } = t.dl;
    const docs = await db.all<{ id: string; barcode: string | null; customer_id: string; original_sha256: string | null; title: string }>(
      'SELECT id, barcode, customer_id, original_sha256, title FROM documents ORDER BY id',
    );
    const s = docs.find((d) => d.customer_id === RESTRICTED && d.original_sha256)!;
    scanned = { id: s.id, sha256: s.original_sha256!, title: s.title };
    const p = docs.find((d) => d.customer_id === RESTRICTED && d.barcode)!;
    paper = { id: p.id, barcode: p.barcode!, title: p.title };
    otherDoc = docs.find((d) => d.customer_id === OTHER && d.original_sha256)!.id;
    const op = await t.dl.services.paper.register({ customerId: OTHER, type: 'order', title: 'Order overig' }, officer);
    otherPaper = { id: op.id, barcode: op.barcode! };

    // E-mail intake: a message matched to the restricted customer (its document, a skipped
    // attachment, an error), one from its address that failed before it was matched, one of OTHER.
    const at = '2026-11-01T10:00:00.000Z';
    const mail = async (id: string, m: { customer: string | null; sender: string; subject: string; status: string; error?: string; skipped?: unknown[]; job?: string }) =>
      db.run(
        `INSERT INTO mail_messages (id, message_id, mailbox, uid, sender, subject, eml_sha256, eml_size, customer_id, status, job_id, error, skipped, received_at, created_at, updated_at)
         VALUES (?, ?, 'INBOX', 1, ?, ?, ?, 100, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, `<${id}@${m.sender.split('@')[1]}>`, m.sender, m.subject, 'a'.repeat(64), m.customer, m.status, m.job ?? null, m.error ?? null, JSON.stringify(m.skipped ?? []), at, at, at],
      );
    await mail('mm_r', { customer: RESTRICTED, sender: 'boekhouding@goudenkorst.nl', subject: `${SECRET}: factuur`, status: 'done', skipped: [{ name: `${SECRET}.jpg`, reason: 'embedded in the message body' }] });
    await db.run('INSERT INTO mail_message_documents (message_id, document_id, name, duplicate) VALUES (?, ?, ?, 0)', ['mm_r', scanned.id, `${SECRET}-factuur.pdf`]);
    await db.run(
      "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_after, last_error, progress, created_at, updated_at) VALUES ('job_mail_r', 'mail-message', ?, 'failed', 5, 5, ?, ?, '{}', ?, ?)",
      [JSON.stringify({ messageId: 'mm_s' }), at, `attachment ${SECRET}.pdf is damaged`, at, at],
    );
    await mail('mm_s', { customer: null, sender: RESTRICTED_EMAIL.toUpperCase(), subject: `Vraag over ${SECRET}`, status: 'failed', error: `attachment ${SECRET}.pdf is damaged`, job: 'job_mail_r' });
    await mail('mm_o', { customer: OTHER, sender: 'info@overig.nl', subject: 'Offerte overig', status: 'done' });
    await db.run('INSERT INTO mail_message_documents (message_id, document_id, name, duplicate) VALUES (?, ?, ?, 0)', ['mm_o', otherDoc, 'offerte-overig.pdf']);

    // A stack taken in as OTHER's document: part 1 stayed OTHER's, part 2 went to the restricted
    // customer by its cover sheet, part 3 duplicates the restricted customer's document. And a
    // stack taken in as the restricted customer's document.
    await db.run("INSERT INTO intake_splits (document_id, stack_sha256, stack_mime, page_count, sheets, parts, created_at) VALUES (?, ?, 'application/pdf', 6, 2, '[]', ?)", [otherDoc, 'b'.repeat(64), at]);
    const parts = [
      ['document', [1, 2], { documentId: otherDoc, customerId: OTHER, type: 'invoice', sheet: `DLCOVER|${OTHER}|invoice` }],
      ['document', [4, 5], { documentId: scanned.id, customerId: RESTRICTED, type: 'invoice', sheet: `DLCOVER|${RESTRICTED}|invoice` }],
      ['duplicate', [6], { duplicateOf: scanned.id, note: 'these pages were taken in before' }],
    ] as const;
    for (const [i, [kind, pages, result]] of parts.entries()) {
      await db.run('INSERT INTO intake_split_parts (document_id, part_no, kind, pages, result, created_at) VALUES (?, ?, ?, ?, ?, ?)', [otherDoc, i + 1, kind, JSON.stringify(pages), JSON.stringify(result), at]);
    }
    await db.run("INSERT INTO intake_splits (document_id, stack_sha256, stack_mime, page_count, sheets, parts, created_at) VALUES (?, ?, 'application/pdf', 2, 1, '[]', ?)", [scanned.id, 'c'.repeat(64), at]);
    await db.run('INSERT INTO intake_split_parts (document_id, part_no, kind, pages, result, created_at) VALUES (?, 1, ?, ?, ?, ?)', [scanned.id, 'document', '[2]', JSON.stringify({ documentId: scanned.id, customerId: RESTRICTED, type: 'invoice', sheet: `DLCOVER|${RESTRICTED}|invoice` }), at]);

    // The file tracker: the restricted paper filed on a shelf with a note, and requested by CRM.
    const place = async (name: string, kind: string, parent?: string) => {
      const r = await call('POST', '/api/locations', 'mailroom', { name, kind, parent });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.barcode as string;
    };
    const room = await place('Archief M', 'room', await place('Mailroom', 'site'));
    shelf = await place('Plank M', 'shelf', await place('Kast M', 'cabinet', room));
    const filed = await call('POST', '/api/tracking/scan', 'mailroom', { barcode: paper.barcode, to: shelf, note: `voor ${RESTRICTED}` });
    assert.ok(filed.status < 300, JSON.stringify(filed.body));
    const req = await call('POST', `/api/documents/${paper.id}/requests`, 'crm', { note: `voor ${SECRET}` });
    assert.equal(req.status, 201, JSON.stringify(req.body));
    requestId = req.body.id;

    // A disposal whose paper goes to an archive service: one item of each customer, executed.
    const due = async (customerId: string, title: string) => {
      const d = await t.dl.services.paper.register({ customerId, type: 'order', title, docDate: '2010-01-01' }, officer);
      await db.run("UPDATE documents SET retention_disposition = 'transfer' WHERE id = ?", [d.id]);
      return d.id;
    };
    transfer = { disposalId: '', restrictedDoc: await due(RESTRICTED, `${SECRET} order 2010`), otherDoc: await due(OTHER, 'Order overig 2010') };
    const d = await t.dl.services.disposals.propose({ reason: 'retention ended', documentIds: [transfer.restrictedDoc, transfer.otherDoc] }, officer);
    await t.dl.services.disposals.approve(d.id, undefined, second);
    await t.dl.services.disposals.execute(d.id, second);
    transfer.disposalId = d.id;

    const r = await call('POST', `/api/customers/${RESTRICTED}/restriction`, 'compliance', { restricted: true, reason: 'Customer contests the accuracy of the data' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });
  after(() => t.close());

  describe('e-mail intake and split stacks', () => {
    it('given mail about a restricted customer when the mailroom lists the e-mail intake then each message stays listed with its documents but without sender, subject, customer or names', async () => {
      const mail = await call('GET', '/api/mail-intake', 'mailroom');
      assert.equal(mail.status, 200, JSON.stringify(mail.body));
      const byId = (body: Json, id: string) => body.messages.find((m: Json) => m.id === id);
      const r = byId(mail.body, 'mm_r');
      assert.ok(r, 'the message is still listed');
      assert.equal(r.restricted, true);
      assert.equal(r.status, 'done');
      assert.deepEqual(r.documents.map((d: Json) => d.documentId), [scanned.id], 'it still shows that the message became a document');
      assert.equal(r.customerId, null);
      assert.equal(r.skipped.length, 1, 'and that an attachment was skipped');
      const s = byId(mail.body, 'mm_s');
      assert.equal(s.restricted, true, 'a failed message from the customer\'s address is hidden too, though it was never matched');
      assert.equal(s.job.id, 'job_mail_r', 'its job can still be found and retried');
      for (const m of mail.body.messages.filter((x: Json) => x.restricted)) namesNothing(m, `message ${m.id}`, ['goudenkorst']);
      const o = byId(mail.body, 'mm_o');
      assert.equal(o.subject, 'Offerte overig', 'other customers\' mail is unchanged');
      assert.equal(o.customerId, OTHER);
      assert.equal(o.restricted, undefined);
      assert.equal(mail.body.counts.done, 2, 'the counts still count every message');

      const admin = await call('GET', '/api/mail-intake', 'admin');
      assert.equal(byId(admin.body, 'mm_r').subject, `${SECRET}: factuur`);
      assert.equal(byId(admin.body, 'mm_r').customerId, RESTRICTED);
      assert.equal(byId(admin.body, 'mm_r').documents[0].name, `${SECRET}-factuur.pdf`);
      assert.equal(byId(admin.body, 'mm_s').sender, RESTRICTED_EMAIL.toUpperCase());
    });

    it('given mail about a restricted customer when the mailroom asks /api/names for it then those messages are left out; compliance gets them', async () => {
      const q = '/api/names?messages=mm_r,mm_s,mm_o';
      const mail = await call('GET', q, 'mailroom');
      assert.equal(mail.status, 200);
      assert.deepEqual(mail.body.messages.map((m: Json) => m.id), ['mm_o'], 'matched to it or from its address: both left out');
      namesNothing(mail.body, 'names for the mailroom', ['goudenkorst']);
      const comp = await call('GET', q, 'compliance');
      assert.deepEqual(comp.body.messages.map((m: Json) => m.id).sort(), ['mm_o', 'mm_r', 'mm_s']);
    });

    it('given a failed mail job of a restricted customer when the mailroom lists and retries jobs then it sees the job without its error, payload other than the message id', async () => {
      const list = await call('GET', '/api/jobs?kind=mail-message&status=failed', 'mailroom');
      assert.equal(list.status, 200);
      const job = list.body.jobs.find((j: Json) => j.id === 'job_mail_r');
      assert.equal(job.restricted, true);
      assert.deepEqual(job.payload, { messageId: 'mm_s' });
      namesNothing(job, 'mail job');
      const comp = await call('GET', '/api/jobs?kind=mail-message&status=failed', 'compliance');
      assert.match(comp.body.jobs.find((j: Json) => j.id === 'job_mail_r').lastError, new RegExp(SECRET));
      const retry = await call('POST', '/api/jobs/job_mail_r/retry', 'mailroom');
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body.restricted, true);
      namesNothing(retry.body, 'retried job');
    });

    it('given a stack with a part of a restricted customer when the mailroom asks where its pages went then that part shows its pages and document but no customer or sheet code', async () => {
      const mail = await call('GET', `/api/intake/splits/${otherDoc}`, 'mailroom');
      assert.equal(mail.status, 200, JSON.stringify(mail.body));
      assert.deepEqual(mail.body.parts.map((p: Json) => [p.partNo, p.restricted ?? false]), [[1, false], [2, true], [3, true]]);
      assert.equal(mail.body.parts[0].customerId, OTHER);
      assert.equal(mail.body.parts[1].documentId, scanned.id, 'the operator still sees where the pages went');
      assert.deepEqual(mail.body.parts[1].pages, [4, 5]);
      assert.equal(mail.body.parts[1].customerId, null);
      namesNothing(mail.body, 'split parts');
      const admin = await call('GET', `/api/intake/splits/${otherDoc}`, 'admin');
      assert.equal(admin.body.parts[1].customerId, RESTRICTED);
      assert.equal(admin.body.parts[1].sheet, `DLCOVER|${RESTRICTED}|invoice`);
    });

    it('given a stack taken in as a restricted customer\'s document when the mailroom asks for it then 403 restricted, audited; admin reads it', async () => {
      refused(await call('GET', `/api/intake/splits/${scanned.id}`, 'mailroom'), 'split of a restricted document');
      const audit = await t.dl.services.audit.query({ customerId: RESTRICTED, action: 'restricted.refused' }, 50);
      assert.ok(audit.some((e) => e.subjectId === scanned.id), 'the refusal is in the audit log');
      const admin = await call('GET', `/api/intake/splits/${scanned.id}`, 'admin');
      assert.equal(admin.status, 200);
      assert.equal(admin.body.parts[0].customerId, RESTRICTED);
    });

    it('given a coupon review item about a restricted customer when the mailroom names or resolves it by its id then it is left out, or 403 restricted, audited; other items and admin resolve', async () => {
      await t.dl.db.run("INSERT INTO coupon_batches (id, status, page_count, created_at) VALUES ('cb_m', 'done', 2, '2026-01-01T00:00:00Z')");
      for (const [id, unit, cust] of [['cm_r', 1, RESTRICTED], ['cm_o', 2, OTHER]] as const) {
        await t.dl.db.run(
          "INSERT INTO coupon_reviews (id, batch_id, unit, pages, reason, hint_customer_id, image_sha256, original_sha256, original_mime, original_size, status, created_at) VALUES (?, 'cb_m', ?, '[1]', 'unreadable', ?, ?, ?, 'application/pdf', 1, 'open', '2026-01-01T00:00:00Z')",
          [id, unit, cust, scanned.sha256, scanned.sha256],
        );
      }
      // Named for the mailroom only where it is not about the restricted customer; compliance gets both.
      assert.deepEqual((await call('GET', '/api/names?reviews=cm_r,cm_o', 'mailroom')).body.reviews.map((x: Json) => x.id), ['cm_o']);
      assert.deepEqual((await call('GET', '/api/names?reviews=cm_r,cm_o', 'compliance')).body.reviews.map((x: Json) => x.id).sort(), ['cm_o', 'cm_r']);
      const discard = { action: 'discard', note: 'unreadable' };
      refused(await call('POST', '/api/coupons/review/cm_r', 'mailroom', discard), 'resolve a restricted coupon');
      const audit = await t.dl.services.audit.query({ customerId: RESTRICTED, action: 'restricted.refused' }, 50);
      assert.ok(audit.some((e) => e.subjectId === 'cm_r'));
      assert.equal((await call('POST', '/api/coupons/review/cm_o', 'mailroom', discard)).status, 200);
      assert.equal((await call('POST', '/api/coupons/review/cm_r', 'admin', discard)).status, 200);
    });

    it('given a file taken in before for a restricted customer when the mailroom uploads it again then 403 restricted instead of the document; admin gets the duplicate', async () => {
      const bytes = await t.dl.store.getBuffer(scanned.sha256);
      const upload = async (as: 'mailroom' | 'admin') => {
        const fd = new FormData();
        fd.append('file', new Blob([new Uint8Array(bytes)]), 'again.pdf');
        const res = await t.api('POST', '/api/documents', { as, body: fd });
        return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
      };
      const mail = await upload('mailroom');
      refused(mail, 'duplicate upload');
      namesNothing(mail.body, 'duplicate upload');
      const admin = await upload('admin');
      assert.equal(admin.status, 200, JSON.stringify(admin.body));
      assert.equal(admin.headers.get('x-duplicate-of'), scanned.id);
    });
  });

  describe('labels and the file tracker', () => {
    it('given restricted paper when the mailroom prints its label in a sheet (by id or code) or as a place label then 403 restricted; other paper and admin print', async () => {
      refused(await call('POST', '/api/labels/sheet', 'mailroom', { documentIds: [otherPaper.id, paper.id] }), 'sheet by id');
      refused(await call('POST', '/api/labels/sheet', 'mailroom', { barcodes: [paper.barcode] }), 'sheet by code');
      refused(await call('GET', `/api/locations/${paper.barcode}/label.pdf`, 'mailroom'), 'document code as place label');
      const other = await t.api('POST', '/api/labels/sheet', { as: 'mailroom', json: { documentIds: [otherPaper.id], barcodes: [shelf] } });
      assert.equal(other.status, 200);
      assert.equal(other.headers.get('x-label-count'), '2');
      await other.arrayBuffer();
      const admin = await t.api('POST', '/api/labels/sheet', { as: 'admin', json: { documentIds: [paper.id] } });
      assert.equal(admin.status, 200);
      await admin.arrayBuffer();
    });

    it('given restricted paper when the mailroom looks it up by barcode then it sees where it is and its history, without title, customer or notes; compliance sees them', async () => {
      const mail = await call('GET', `/api/tracking/items/${paper.barcode}`, 'mailroom');
      assert.equal(mail.status, 200);
      assert.equal(mail.body.restricted, true);
      assert.equal(mail.body.location.barcode, shelf, 'where it is stays: storing it is allowed');
      assert.ok(mail.body.history.length > 0, 'the movements stay');
      namesNothing(mail.body, 'tracking item');
      const comp = await call('GET', `/api/tracking/items/${paper.barcode}`, 'compliance');
      assert.equal(comp.body.title, paper.title);
      assert.equal(comp.body.customerId, RESTRICTED);
      assert.ok(comp.body.history.some((h: Json) => h.note === `voor ${RESTRICTED}`));
    });

    it('given an inventory audit that misses restricted paper when the mailroom finishes it then the report it gets back has no title', async () => {
      const audit = await call('POST', '/api/tracking/audits', 'mailroom', { location: shelf });
      assert.equal(audit.status, 201, JSON.stringify(audit.body));
      const done = await call('POST', `/api/tracking/audits/${audit.body.id}/finish`, 'mailroom', {});
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const missing = done.body.report.missing.find((i: Json) => i.documentId === paper.id);
      assert.ok(missing, JSON.stringify(done.body.report));
      assert.equal(missing.restricted, true);
      namesNothing(done.body, 'finished audit');
      const comp = await call('GET', `/api/tracking/audits/${audit.body.id}`, 'compliance');
      assert.equal(comp.body.report.missing.find((i: Json) => i.documentId === paper.id).title, paper.title);
    });

    it('given a request for restricted paper when its requester cancels it then the cancelled request comes back without title, customer or note', async () => {
      const r = await call('POST', `/api/requests/${requestId}/cancel`, 'crm');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'cancelled');
      assert.equal(r.body.restricted, true);
      assert.equal(r.body.documentId, paper.id);
      namesNothing(r.body, 'cancelled request');
    });

    it('given a restricted customer\'s document in a bulk correction by CRM then that one fails with restricted and is unchanged, the others are corrected', async () => {
      const r = await call('POST', '/api/documents/bulk', 'crm', { ids: [scanned.id, otherPaper.id], set: { title: 'Gecorrigeerd' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.updated, 1);
      assert.deepEqual(r.body.failed.map((f: Json) => [f.id, f.error.code]), [[scanned.id, 'restricted']]);
      namesNothing(r.body, 'bulk answer');
      assert.equal((await t.dl.db.get<{ title: string }>('SELECT title FROM documents WHERE id = ?', [scanned.id]))!.title, scanned.title);
    });

    it('given a disposal with restricted paper to transfer when the mailroom confirms another item then the disposal it gets back hides the restricted item\'s title and customer; compliance sees them', async () => {
      const r = await call('POST', `/api/disposals/${transfer.disposalId}/transfer`, 'mailroom', { documentId: transfer.otherDoc, recipient: 'Regionaal Archief Utrecht', reference: 'RAU-1' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const item = r.body.items.find((i: Json) => i.documentId === transfer.restrictedDoc);
      assert.equal(item.restricted, true);
      assert.equal(r.body.items.find((i: Json) => i.documentId === transfer.otherDoc).customerId, OTHER);
      namesNothing(r.body, 'disposal after transfer');
      const comp = await call('GET', `/api/disposals/${transfer.disposalId}`, 'compliance');
      assert.equal(comp.body.items.find((i: Json) => i.documentId === transfer.restrictedDoc).customerId, RESTRICTED);
    });
  });
});
