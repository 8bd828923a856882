/**
 * The document overview (issue 17): list with filters and cursor paging, thumbnails made once at
 * ingest and kept in the object store (and destroyed with the document), corrections one by one
 * and in bulk, saved views per user, names for ids.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeTextPdf } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Doc = { id: string; customerId: string | null; type: string; class: string; title: string; status: string; retention: { period: string } };

describe('document overview', () => {
  let t: TestApp;
  let uploaded: Doc;
  const json = async <T>(res: Response, status = 200): Promise<T> => {
    const body = await res.text();
    assert.equal(res.status, status, body);
    return JSON.parse(body) as T;
  };

  before(async () => {
    t = await startTestApp();
    await t.dl.startWorkers();
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(await makeTextPdf([['Offerte OF-2026-4711', 'Klantnummer: KL-000125', 'Datum: 2 november 2026', 'Het totaalbedrag is EUR 950,00.']]))]), 'overzicht.pdf');
    const up = await json<{ id: string }>(await t.api('POST', '/api/documents', { as: 'mailroom', body: fd }), 202);
    for (let i = 0; i < 150; i++) {
      uploaded = await json<Doc>(await t.api('GET', `/api/documents/${up.id}`, { as: 'crm' }));
      if (!['queued', 'processing'].includes(uploaded.status)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(uploaded.status, 'ready');
  });
  after(() => t.close());

  it('given documents when listed with a filter then they come newest first, page by cursor without overlap, and an invalid cursor is refused', async () => {
    const all = await json<{ documents: Doc[]; nextCursor: string | null }>(await t.api('GET', '/api/documents?limit=200', { as: 'crm' }));
    assert.equal(all.documents[0]!.id, uploaded.id, 'the newest upload is first');
    const named = all.documents[0] as Doc & { customerName?: string | null };
    assert.deepEqual([named.customerId, named.customerName], ['KL-000125', 'Zorggroep Het Baken'], 'whose document it is, by name');
    const p1 = await json<{ documents: Doc[]; nextCursor: string }>(await t.api('GET', '/api/documents?limit=3', { as: 'crm' }));
    assert.ok(p1.nextCursor);
    const p2 = await json<{ documents: Doc[] }>(await t.api('GET', `/api/documents?limit=3&cursor=${p1.nextCursor}`, { as: 'crm' }));
    assert.deepEqual([...p1.documents, ...p2.documents].map((d) => d.id), all.documents.slice(0, 6).map((d) => d.id));
    const someInvoice = all.documents.find((d) => d.type === 'invoice' && d.customerId)!;
    const invoices = await json<{ documents: Doc[] }>(await t.api('GET', `/api/documents?type=invoice&customerId=${someInvoice.customerId}`, { as: 'compliance' }));
    assert.ok(invoices.documents.length > 0);
    assert.ok(invoices.documents.every((d) => d.type === 'invoice' && d.customerId === someInvoice.customerId));
    assert.ok(invoices.documents.length < all.documents.length);
    const byTitle = await json<{ documents: Doc[] }>(await t.api('GET', '/api/documents?q=OF-2026-4711', { as: 'mailroom' }));
    assert.deepEqual(byTitle.documents.map((d) => d.id), [uploaded.id]);
    const bad = await t.api('GET', '/api/documents?cursor=nonsense', { as: 'crm' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_cursor');
  });

  it('given a restricted customer when a CRM user lists then its documents are left out, and compliance sees them', async () => {
    await t.dl.db.run('UPDATE customers SET restricted = 1 WHERE id = ?', ['KL-000126']);
    try {
      const crm = await json<{ documents: Doc[] }>(await t.api('GET', '/api/documents?customerId=KL-000126', { as: 'crm' }));
      assert.equal(crm.documents.length, 0);
      const comp = await json<{ documents: Doc[] }>(await t.api('GET', '/api/documents?customerId=KL-000126', { as: 'compliance' }));
      assert.ok(comp.documents.length > 0);
      const digital = comp.documents.find((d) => d.status === 'ready')!;
      const res = await t.api('GET', `/api/documents/${digital.id}/thumbnail`, { as: 'crm' });
      assert.equal(res.status, 403);
    } finally {
      await t.dl.db.run('UPDATE customers SET restricted = 0 WHERE id = ?', ['KL-000126']);
    }
  });

  it('given an ingested document when its thumbnail is asked twice then it was made at ingest, is a small WebP, and is not made again', async () => {
    // The ingest job makes it right after the document turns final (the page is drawn in a render
    // thread): wait for the job, never asking for the thumbnail before it is there.
    let row: { sha256: string; width: number } | undefined;
    for (let i = 0; i < 150 && !row; i++) {
      row = await t.dl.db.get<{ sha256: string; width: number }>('SELECT sha256, width FROM document_thumbnails WHERE document_id = ?', [uploaded.id]);
      if (!row) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(row, 'the thumbnail was made at ingest');
    assert.ok(row.width <= 240);
    for (let i = 0; i < 2; i++) {
      const res = await t.api('GET', `/api/documents/${uploaded.id}/thumbnail`, { as: 'mailroom' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/webp');
      const buf = Buffer.from(await res.arrayBuffer());
      assert.equal(buf.subarray(8, 12).toString(), 'WEBP');
      assert.ok(buf.length < 30_000, `${buf.length} bytes`);
    }
    const n = await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM document_thumbnails WHERE document_id = ?', [uploaded.id]);
    assert.equal(n!.n, 1);
  });

  it('given demo documents from before thumbnails when the admin backfills then each digital one gets one, and paper gets none', async () => {
    const r = await json<{ made: number; remaining: number }>(await t.api('POST', '/api/thumbnails/backfill?limit=500', { as: 'admin' }));
    assert.ok(r.made > 0);
    assert.equal(r.remaining, 0);
    const paper = (await json<{ documents: { id: string; barcode: string | null; original: unknown }[] }>(await t.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' }))).documents.find((d) => d.barcode && !d.original)!;
    const res = await t.api('GET', `/api/documents/${paper.id}/thumbnail`, { as: 'crm' });
    assert.equal(res.status, 404);
  });

  it('given a document when a CRM user corrects its type then class and retention follow and the correction is audited', async () => {
    const fixed = await json<Doc>(await t.api('PATCH', `/api/documents/${uploaded.id}`, { as: 'crm', json: { type: 'invoice', title: 'Factuur (was offerte)' } }));
    assert.equal(fixed.type, 'invoice');
    assert.equal(fixed.title, 'Factuur (was offerte)');
    assert.equal(fixed.retention.period, 'P7Y');
    const log = await json<{ events: { action: string; details: { changes: { field: string }[] } }[] }>(await t.api('GET', `/api/audit?subjectId=${uploaded.id}&action=document.correct`, { as: 'compliance' }));
    assert.deepEqual(log.events[0]!.details.changes.map((c) => c.field).sort(), ['title', 'type']);
    assert.equal((await t.api('PATCH', `/api/documents/${uploaded.id}`, { as: 'crm', json: {} })).status, 400);
    assert.equal((await t.api('PATCH', `/api/documents/${uploaded.id}`, { as: 'mailroom', json: { title: 'x' } })).status, 403);
  });

  it('given a selection with an unknown id when set in bulk then the others change and the unknown one is reported', async () => {
    const some = (await json<{ documents: Doc[] }>(await t.api('GET', '/api/documents?customerId=KL-000124&status=ready&limit=2', { as: 'crm' }))).documents;
    const r = await json<{ updated: number; failed: { id: string; error: { code: string; message: string } }[] }>(
      await t.api('POST', '/api/documents/bulk', { as: 'crm', json: { ids: [...some.map((d) => d.id), 'doc_does_not_exist'], set: { customerId: 'KL-000127' } } }),
    );
    assert.equal(r.updated, some.length);
    assert.deepEqual(r.failed, [{ id: 'doc_does_not_exist', error: { code: 'unknown_document', message: r.failed[0]!.error.message } }]);
    for (const d of some) assert.equal((await json<Doc>(await t.api('GET', `/api/documents/${d.id}`, { as: 'crm' }))).customerId, 'KL-000127');
    const unknownCustomer = await json<{ failed: { error: { code: string } }[] }>(await t.api('POST', '/api/documents/bulk', { as: 'crm', json: { ids: [some[0]!.id], set: { customerId: 'KL-999999' } } }));
    assert.equal(unknownCustomer.failed[0]!.error.code, 'unknown_customer');
  });

  it('given saved views when a user saves, replaces and deletes one then only that user sees them', async () => {
    await json(await t.api('POST', '/api/views', { as: 'crm', json: { name: 'Facturen', filter: { type: 'invoice' } } }), 201);
    await json(await t.api('POST', '/api/views', { as: 'crm', json: { name: 'Facturen', filter: { type: 'invoice', customerId: 'KL-000125' } } }), 201);
    const mine = await json<{ views: { id: string; name: string; filter: Record<string, string> }[] }>(await t.api('GET', '/api/views', { as: 'crm' }));
    assert.deepEqual(mine.views.map((v) => [v.name, v.filter]), [['Facturen', { type: 'invoice', customerId: 'KL-000125' }]]);
    assert.deepEqual((await json<{ views: unknown[] }>(await t.api('GET', '/api/views', { as: 'mailroom' }))).views, []);
    assert.equal((await t.api('POST', '/api/views', { as: 'crm', json: { name: 'x', filter: { nonsense: '1' } } })).status, 400);
    assert.equal((await t.api('DELETE', `/api/views/${mine.views[0]!.id}`, { as: 'mailroom' })).status, 204);
    assert.equal((await json<{ views: unknown[] }>(await t.api('GET', '/api/views', { as: 'crm' }))).views.length, 1, 'another user cannot delete it');
    assert.equal((await t.api('DELETE', `/api/views/${mine.views[0]!.id}`, { as: 'crm' })).status, 204);
    assert.deepEqual((await json<{ views: unknown[] }>(await t.api('GET', '/api/views', { as: 'crm' }))).views, []);
  });

  it('given a document with a thumbnail when it is destroyed then the thumbnail row and object go too', async () => {
    const row = (await t.dl.db.get<{ sha256: string }>('SELECT sha256 FROM document_thumbnails WHERE document_id = ?', [uploaded.id]))!;
    const tomb = await json<{ removedObjects: string[] }>(await t.api('DELETE', `/api/documents/${uploaded.id}?reason=${encodeURIComponent('test of thumbnail removal')}`, { as: 'admin' }));
    assert.ok(tomb.removedObjects.includes(row.sha256));
    assert.equal(await t.dl.store.stat(row.sha256), null);
    assert.equal((await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM document_thumbnails WHERE document_id = ?', [uploaded.id]))!.n, 0);
  });

  it('given ids when names are asked then users, customers, document titles and mailings come back', async () => {
    const users = (await json<{ users: { id: string }[] }>(await t.api('GET', '/api/users/directory', { as: 'compliance' }))).users;
    const mailing = await json<{ id: string; name: string }>(await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Najaarsactie names', customerIds: ['KL-000123'] } }), 201);
    const r = await json<{ users: { name: string }[]; customers: { name: string }[]; documents: unknown[]; mailings: { id: string; name: string }[] }>(
      await t.api('GET', `/api/names?users=${users[0]!.id}&customers=KL-000123,KL-000124&documents=${uploaded.id}&mailings=${mailing.id},mlg_unknown`, { as: 'compliance' }),
    );
    assert.equal(r.users.length, 1);
    assert.deepEqual(r.customers.map((c) => c.name).sort().length, 2);
    assert.equal(r.documents.length, 1);
    assert.deepEqual(r.mailings, [{ id: mailing.id, name: 'Najaarsactie names' }], 'the mailing by its name; an unknown id is left out');
  });

  it('given ids of places, coupon batches, disposals and webhooks when names are asked then each comes back by what a person knows it by', async () => {
    const place = await json<{ id: string }>(await t.api('POST', '/api/locations', { as: 'mailroom', json: { name: 'Archief namen', kind: 'site' } }), 201);
    const db = t.dl.db;
    await db.run("INSERT INTO coupon_batches (id, status, page_count, created_at) VALUES ('cbt_names', 'done', 3, '2026-11-02T09:00:00.000Z')");
    await db.run("INSERT INTO coupon_batch_files (batch_id, file_no, sha256, mime, name, size, page_count) VALUES ('cbt_names', 2, 'b', 'application/pdf', 'stapel-2.pdf', 1, 1), ('cbt_names', 1, 'a', 'application/pdf', 'stapel-1.pdf', 1, 2)");
    await db.run("INSERT INTO disposals (id, kind, status, reason, proposed_by, proposed_at) VALUES ('dsp_names', 'retention', 'proposed', 'test', 'usr_x', '2026-11-03T10:00:00.000Z')");
    await db.run(
      "INSERT INTO webhooks (id, url, secret, description, created_at) VALUES ('whk_named', 'https://crm.example/hook', 's', 'CRM-koppeling', '2026-11-01T00:00:00Z'), ('whk_bare', 'https://user:pw@crm.example:8443/hooks/k3y?token=geheim', 's', NULL, '2026-11-01T00:00:00Z')",
    );
    const r = await json<{ locations: unknown[]; batches: unknown[]; disposals: unknown[]; webhooks: { id: string; name: string }[] }>(
      await t.api('GET', `/api/names?locations=${place.id},loc_unknown&batches=cbt_names&disposals=dsp_names,dsp_unknown&webhooks=whk_named,whk_bare`, { as: 'compliance' }),
    );
    assert.deepEqual(r.locations, [{ id: place.id, name: 'Archief namen', kind: 'site' }]);
    assert.deepEqual(r.batches, [{ id: 'cbt_names', createdAt: '2026-11-02T09:00:00.000Z', files: ['stapel-1.pdf', 'stapel-2.pdf'] }], 'its files in upload order');
    assert.deepEqual(r.disposals, [{ id: 'dsp_names', kind: 'retention', status: 'proposed', proposedAt: '2026-11-03T10:00:00.000Z' }]);
    assert.deepEqual(
      r.webhooks.sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: 'whk_bare', name: 'https://crm.example:8443' },
        { id: 'whk_named', name: 'CRM-koppeling' },
      ],
      'without a description, only where it posts to: no path, query or credentials',
    );
    // A legal hold by what it covers and why: for compliance, not for the mailroom (its reason can name a dispute).
    const hold = await json<{ id: string }>(
      await t.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Geschil onderhoud', query: { customerId: 'KL-000124', type: 'invoice', from: '2025-01-01' } } }),
      201,
    );
    const holds = await json<{ holds: unknown[] }>(await t.api('GET', `/api/names?holds=${hold.id},hold_unknown`, { as: 'compliance' }));
    assert.deepEqual(holds.holds, [{ id: hold.id, kind: 'query', reason: 'Geschil onderhoud', customerId: 'KL-000124', query: { type: 'invoice', from: '2025-01-01', to: null, text: null } }]);
    assert.deepEqual((await json<{ holds: unknown[] }>(await t.api('GET', `/api/names?holds=${hold.id}`, { as: 'mailroom' }))).holds, []);
    // An e-mail by subject and sender; a destroyed one (its tombstone keeps neither) says so.
    await db.run(
      `INSERT INTO mail_messages (id, mailbox, sender, subject, eml_sha256, eml_size, status, received_at, created_at, updated_at, destroyed_at) VALUES
       ('msg_names', 'INBOX', 'inkoop@klant.nl', 'Getekende offerte', 'e', 1, 'done', '2026-11-04T08:00:00.000Z', '2026-11-04T08:01:00.000Z', '2026-11-04T08:01:00.000Z', NULL),
       ('msg_gone', 'INBOX', NULL, NULL, 'f', 1, 'done', NULL, '2026-11-05T08:01:00.000Z', '2026-11-05T08:01:00.000Z', '2026-11-20T00:00:00.000Z')`,
    );
    const messages = await json<{ messages: unknown[] }>(await t.api('GET', '/api/names?messages=msg_names,msg_gone', { as: 'compliance' }));
    assert.deepEqual(
      (messages.messages as { id: string }[]).sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: 'msg_gone', subject: null, sender: null, receivedAt: '2026-11-05T08:01:00.000Z', destroyed: true },
        { id: 'msg_names', subject: 'Getekende offerte', sender: 'inkoop@klant.nl', receivedAt: '2026-11-04T08:00:00.000Z', destroyed: false },
      ],
    );
    // A coupon review item by its pages in its stack (the stack named with the batches, unasked),
    // a held single scan by its code.
    await db.run(
      `INSERT INTO coupon_reviews (id, batch_id, unit, pages, reason, code, status, created_at) VALUES
       ('crv_names', 'cbt_names', 2, '[2,3]', 'unreadable', NULL, 'open', '2026-11-02T09:05:00.000Z'),
       ('crv_scan', NULL, 0, '[]', 'restricted', 'L-0042', 'open', '2026-11-06T09:00:00.000Z')`,
    );
    const reviews = await json<{ reviews: { id: string }[]; batches: unknown[] }>(await t.api('GET', '/api/names?reviews=crv_names,crv_scan,crv_unknown', { as: 'compliance' }));
    assert.deepEqual(
      reviews.reviews.sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: 'crv_names', batchId: 'cbt_names', pages: [2, 3], code: null, createdAt: '2026-11-02T09:05:00.000Z' },
        { id: 'crv_scan', batchId: null, pages: [], code: 'L-0042', createdAt: '2026-11-06T09:00:00.000Z' },
      ],
    );
    assert.deepEqual(reviews.batches, [{ id: 'cbt_names', createdAt: '2026-11-02T09:00:00.000Z', files: ['stapel-1.pdf', 'stapel-2.pdf'] }], 'its stack named too');
    // Asked for nothing of these kinds: empty lists, as before they were added.
    const none = await json<{ locations: unknown[]; webhooks: unknown[]; reviews: unknown[] }>(await t.api('GET', '/api/names?customers=KL-000123', { as: 'compliance' }));
    assert.deepEqual([none.locations, none.webhooks, none.reviews], [[], [], []]);
  });
});
