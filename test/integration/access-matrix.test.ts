import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/domain/roles.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { storeMailMessage } from '../helpers/mail-message.js';
import { events } from '../../src/services/events.service.js';
import { mailingsRepository } from '../../src/db/mailings.repository.js';

/**
 * THE table of who may do what. Every route the app serves must be here (the first test fails
 * otherwise), and every row is walked with every role, no token and an unknown token.
 * `sample` gives a request that succeeds for an allowed role; ids come from the demo data.
 */
type Sample = { path?: string; json?: unknown; form?: FormData };
type Row = { allowed: readonly Role[] | 'any' | 'public'; sample?: (ctx: Ctx) => Sample | Promise<Sample> };
type Ctx = { docId: string; paperId: string; paperBarcode: string; n: number; t: TestApp };

/** A job in the failed state, as the operator view shows it, to retry. */
async function failedJob(t: TestApp, n: number): Promise<string> {
  const { id } = await t.dl.db.tx((q) => t.dl.queue.enqueue(q, { kind: 'noop', payload: {}, idempotencyKey: `matrix-${n}` }));
  await t.dl.db.run("UPDATE jobs SET status = 'failed', last_error = 'boom' WHERE id = ?", [id]);
  return id;
}

function pdfForm(n: number): FormData {
  // A minimal valid one-page PDF, different bytes per call so no upload is an exact duplicate.
  const body = `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n% ${n}\ntrailer<</Root 1 0 R>>\n%%EOF\n`;
  const fd = new FormData();
  fd.append('file', new Blob([body]), `matrix-${n}.pdf`);
  return fd;
}

/** The file tracker's fixtures: a fresh place (one open audit per place), an audit, a request by the CRM user. */
const tracker = {
  actor: { id: 'matrix', name: 'Access matrix', roles: ['admin'] as Role[] },
  boxOf: async (t: TestApp, paperId: string) => (await t.dl.services.documents.get(paperId, tracker.actor)).location!.barcode!,
  site: (t: TestApp, n: number) => t.dl.services.locations.create({ name: `Matrix site ${n}`, kind: 'site' }, tracker.actor),
  audit: async (t: TestApp, n: number) => (await t.dl.services.inventory.start((await tracker.site(t, n)).barcode, tracker.actor)).id,
  request: async (t: TestApp, paperId: string) => {
    const crm = (await t.dl.services.users.authenticate(t.tokens.crm))!;
    const { request } = await t.dl.services.requests.request(paperId, {}, crm);
    if (request.status !== 'open') throw new Error('expected an open request');
    return request.id;
  },
  paper: (t: TestApp, n: number) => t.dl.services.paper.register({ customerId: 'KL-000124', type: 'order', title: `Matrix ${n}` }, tracker.actor),
};

/** Retention fixtures (issue #8): paper whose retention ended, and disposals in each state, by two actors so four eyes hold. */
const disposals = {
  second: { id: 'matrix-2', name: 'Access matrix (second officer)', roles: ['admin'] as Role[] },
  duePaper: async (t: TestApp, n: number, disposition?: 'transfer') => {
    const doc = await t.dl.services.paper.register({ customerId: 'KL-000124', type: 'order', title: `Matrix due ${n}`, docDate: '2010-01-01' }, tracker.actor);
    if (disposition) await t.dl.db.run('UPDATE documents SET retention_disposition = ? WHERE id = ?', [disposition, doc.id]);
    return doc;
  },
  proposed: async (t: TestApp, n: number, disposition?: 'transfer') =>
    t.dl.services.disposals.propose({ reason: `matrix ${n}`, documentIds: [(await disposals.duePaper(t, n, disposition)).id] }, tracker.actor),
  approved: async (t: TestApp, n: number, disposition?: 'transfer') => {
    const d = await disposals.proposed(t, n, disposition);
    await t.dl.services.disposals.approve(d.id, undefined, disposals.second);
    return d;
  },
  executed: async (t: TestApp, n: number, disposition?: 'transfer') => {
    const d = await disposals.approved(t, n, disposition);
    await t.dl.services.disposals.execute(d.id, disposals.second);
    return d;
  },
  hold: (t: TestApp, n: number) => t.dl.services.holds.place({ reason: `matrix hold ${n}`, query: { customerId: 'KL-000125', type: 'invoice' } }, tracker.actor),
  review: async (t: TestApp, n: number) => {
    const doc = await t.dl.services.paper.register({ customerId: 'KL-000124', type: 'service-contract', title: `Matrix contract ${n}`, docDate: '2008-01-01', fields: { endsOn: '2010-01-01' } }, tracker.actor);
    return { doc, d: await t.dl.services.disposals.propose({ reason: `matrix review ${n}`, documentIds: [doc.id] }, tracker.actor) };
  },
};

/** Mailing fixtures (issue #6): a fresh mailing per call (sent and scanned only once), an open coupon review item. */
const mailingFx = {
  create: (t: TestApp, n: number) => t.dl.services.mailings.create({ name: `Matrix mailing ${n}`, customerIds: ['KL-000124', 'KL-000125'] }, tracker.actor),
  review: async (t: TestApp, n: number) => {
    const image = await t.dl.store.putBuffer(Buffer.from(`matrix review page ${n}`), { contentType: 'image/png' });
    const ids = { id: `rev_matrix_${n}`, batchId: `cpb_matrix_${n}` };
    await t.dl.db.tx(async (q) => {
      await mailingsRepository.insertBatch(q, { id: ids.batchId, status: 'done', page_count: 1, job_id: null, created_by: 'matrix', created_at: new Date().toISOString() }, []);
      await mailingsRepository.insertReview(q, {
        id: ids.id, batch_id: ids.batchId, unit: 1, pages: '[1]', reason: 'unreadable', code: null, answer: null, hint_customer_id: null,
        image_sha256: image.sha256, original_sha256: image.sha256, original_mime: 'image/png', original_size: image.size, created_at: new Date().toISOString(),
      });
    });
    return ids;
  },
};

/** Integration fixtures (issue #10): a CSV upload, a fresh pair of customers to merge, a webhook, a dead letter, an import. */
const integrationFx = {
  csvForm: (n: number) => {
    const fd = new FormData();
    fd.append('file', new Blob([`id,name\nKL-95${String(n).padStart(4, '0')},Matrix ${n}\n`]), `matrix-${n}.csv`);
    return fd;
  },
  mergePair: async (t: TestApp, n: number) => {
    const [a, b] = [`KL-96${String(n).padStart(4, '0')}`, `KL-97${String(n).padStart(4, '0')}`];
    for (const id of [a, b]) await t.dl.services.customers.upsert(id, { name: `Matrix ${id}` }, tracker.actor);
    return { path: `/api/customers/${a}/merge`, json: { into: b } };
  },
  webhook: (t: TestApp, n: number) => t.dl.services.webhooks.create({ url: `http://127.0.0.1:9/matrix-${n}` }, tracker.actor),
  deadLetter: async (t: TestApp, n: number) => {
    const hook = await integrationFx.webhook(t, n);
    const eventId = await t.dl.db.tx((q) => events.emit(q, { type: 'status.set', subjectType: 'customer', subjectId: 'KL-000123', customerId: 'KL-000123', data: { matrix: n } }));
    await t.dl.db.run("UPDATE webhook_deliveries SET status = 'dead' WHERE webhook_id = ? AND event_seq = (SELECT seq FROM outbox_events WHERE id = ?)", [hook.id, eventId]);
    return (await t.dl.services.webhooks.deadLetters(1, hook.id))[0]!.id;
  },
  importId: async (t: TestApp, n: number) =>
    (await t.dl.services.imports.submit({ bytes: Buffer.from(`id,name\nKL-98${String(n).padStart(4, '0')},Matrix\n`), fileName: null, contentType: 'text/csv', dryRun: true }, tracker.actor)).report.id,
};

const MATRIX: Record<string, Row> = {
  'GET /api/health': { allowed: 'public' },
  'GET /api/openapi.json': { allowed: 'any' },
  'GET /api/me': { allowed: 'any' },
  'POST /api/users': { allowed: ['admin'], sample: ({ n }) => ({ json: { name: `User ${n}`, roles: ['crm'] } }) },
  'GET /api/users': { allowed: ['admin'] },
  'GET /api/users/directory': { allowed: ['mailroom', 'crm', 'compliance'] },
  // Accounts (issue #16).
  'PATCH /api/users/:id': {
    allowed: ['admin'],
    sample: async ({ t, n }) => ({ path: `/api/users/${(await t.dl.services.users.create({ name: `Patch ${n}`, roles: ['crm'] }, null)).id}`, json: { roles: ['crm', 'mailroom'] } }),
  },
  'DELETE /api/users/:id/sessions': { allowed: ['admin'], sample: async ({ t, n }) => ({ path: `/api/users/${(await t.dl.services.users.create({ name: `Out ${n}`, roles: ['crm'] }, null)).id}/sessions` }) },
  'POST /api/session': { allowed: 'public', sample: ({ t }) => ({ json: t.logins.crm }) },
  'DELETE /api/session': { allowed: 'any' },
  'DELETE /api/sessions': { allowed: 'any' },
  'GET /api/auth/config': { allowed: 'public' },
  'POST /api/tokens': { allowed: ['admin'], sample: ({ n }) => ({ json: { name: `Matrix token ${n}`, roles: ['crm'] } }) },
  'GET /api/tokens': { allowed: ['admin'] },
  'DELETE /api/tokens/:id': {
    allowed: ['admin'],
    sample: async ({ t, n }) => ({ path: `/api/tokens/${(await t.dl.services.apiTokens.create({ name: `Revoke ${n}`, roles: ['crm'] }, tracker.actor)).id}` }),
  },
  'GET /api/customers': { allowed: 'any', sample: () => ({ path: '/api/customers?q=Bakkerij' }) },
  'PUT /api/customers/:id': { allowed: ['crm'], sample: () => ({ path: '/api/customers/KL-000123', json: { name: 'Bakkerij De Gouden Korst B.V.' } }) },
  'GET /api/customers/:id': { allowed: 'any', sample: () => ({ path: '/api/customers/KL-000123' }) },
  'GET /api/customers/:id/dossier': { allowed: ['crm', 'compliance'], sample: () => ({ path: '/api/customers/KL-000123/dossier' }) },
  'POST /api/documents/paper': {
    allowed: ['mailroom'],
    sample: () => ({ json: { customerId: 'KL-000124', type: 'order', fields: { number: 'ORD-1' } } }),
  },
  'DELETE /api/documents/:id': {
    allowed: ['admin'],
    sample: async ({ t, n }) => {
      const res = await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000127', type: 'letter', title: `to destroy ${n}` } });
      const { id } = (await res.json()) as { id: string };
      return { path: `/api/documents/${id}?reason=${encodeURIComponent('mistaken registration')}` };
    },
  },
  'GET /api/documents/:id': { allowed: 'any', sample: ({ docId }) => ({ path: `/api/documents/${docId}` }) },
  'GET /api/documents/:id/text': { allowed: ['crm', 'compliance'], sample: ({ docId }) => ({ path: `/api/documents/${docId}/text` }) },
  'GET /api/documents/:id/file': { allowed: ['crm', 'compliance'], sample: ({ docId }) => ({ path: `/api/documents/${docId}/file` }) },
  'POST /api/documents': { allowed: ['mailroom'], sample: ({ n }) => ({ form: pdfForm(n) }) },
  'GET /api/search': { allowed: ['crm', 'compliance'], sample: () => ({ path: '/api/search?q=offerte' }) },
  'GET /api/jobs': { allowed: ['mailroom', 'compliance'] },
  'POST /api/jobs/:id/retry': { allowed: ['mailroom'], sample: async ({ t, n }) => ({ path: `/api/jobs/${await failedJob(t, n)}/retry` }) },
  'POST /api/jobs/retry-failed': { allowed: ['mailroom'], sample: () => ({ path: '/api/jobs/retry-failed', json: { kind: 'no-such-kind' } }) },
  'GET /api/scopes': { allowed: 'any' },
  'PUT /api/scopes/active': { allowed: ['admin'], sample: () => ({ path: '/api/scopes/active?dryRun=true', json: { scopes: ['sales', 'care'] } }) },
  'GET /api/review': { allowed: ['mailroom', 'crm'] },
  'POST /api/documents/:id/review': {
    allowed: ['mailroom'],
    sample: async ({ t, docId }) => {
      await t.dl.db.run("UPDATE documents SET status = 'needs_review' WHERE id = ?", [docId]);
      return { path: `/api/documents/${docId}/review`, json: {} };
    },
  },
  'GET /api/audit/verify': { allowed: ['compliance'] },
  'GET /api/audit': { allowed: ['compliance'], sample: () => ({ path: '/api/audit?customerId=KL-000123' }) },
  'POST /api/locations': { allowed: ['mailroom'], sample: ({ n }) => ({ json: { name: `Site ${n}`, kind: 'site' } }) },
  'GET /api/locations': { allowed: ['mailroom', 'compliance'] },
  'GET /api/locations/:barcode': { allowed: ['mailroom', 'compliance'], sample: async ({ t, paperId }) => ({ path: `/api/locations/${await tracker.boxOf(t, paperId)}` }) },
  'PATCH /api/locations/:barcode': {
    allowed: ['mailroom'],
    sample: async ({ t, n }) => ({ path: `/api/locations/${(await tracker.site(t, n)).barcode}`, json: { name: `Renamed ${n}` } }),
  },
  'GET /api/locations/:barcode/label.pdf': { allowed: ['mailroom'], sample: async ({ t, paperId }) => ({ path: `/api/locations/${await tracker.boxOf(t, paperId)}/label.pdf` }) },
  'GET /api/documents/:id/label.pdf': { allowed: ['mailroom'], sample: ({ paperId }) => ({ path: `/api/documents/${paperId}/label.pdf` }) },
  'GET /api/labels/layouts': { allowed: ['mailroom'] },
  'POST /api/labels/sheet': { allowed: ['mailroom'], sample: ({ paperId }) => ({ json: { documentIds: [paperId] } }) },
  'POST /api/labels/blank': { allowed: ['mailroom'], sample: () => ({ json: { count: 1 } }) },
  'POST /api/tracking/scan': {
    allowed: ['mailroom'],
    sample: async ({ t, paperId, paperBarcode }) => ({ json: { barcode: paperBarcode, to: await tracker.boxOf(t, paperId) } }),
  },
  'GET /api/tracking/items/:barcode': { allowed: 'any', sample: ({ paperBarcode }) => ({ path: `/api/tracking/items/${paperBarcode}` }) },
  'GET /api/tracking/overdue': { allowed: ['mailroom', 'compliance'] },
  'POST /api/tracking/audits': { allowed: ['mailroom'], sample: async ({ t, n }) => ({ json: { location: (await tracker.site(t, n)).barcode } }) },
  'GET /api/tracking/audits/:id': { allowed: ['mailroom', 'compliance'], sample: async ({ t, n }) => ({ path: `/api/tracking/audits/${await tracker.audit(t, n)}` }) },
  'POST /api/tracking/audits/:id/scans': {
    allowed: ['mailroom'],
    sample: async ({ t, n, paperBarcode }) => ({ path: `/api/tracking/audits/${await tracker.audit(t, n)}/scans`, json: { barcodes: [paperBarcode] } }),
  },
  'POST /api/tracking/audits/:id/finish': { allowed: ['mailroom'], sample: async ({ t, n }) => ({ path: `/api/tracking/audits/${await tracker.audit(t, n)}/finish`, json: {} }) },
  'POST /api/documents/:id/requests': { allowed: ['crm'], sample: ({ paperId }) => ({ path: `/api/documents/${paperId}/requests`, json: {} }) },
  'GET /api/requests': { allowed: ['crm', 'mailroom'] },
  'POST /api/requests/:id/cancel': { allowed: ['crm', 'mailroom'], sample: async ({ t, paperId }) => ({ path: `/api/requests/${await tracker.request(t, paperId)}/cancel` }) },
  'GET /api/requests/pick-list': { allowed: ['mailroom'] },
  'GET /api/requests/pick-list.pdf': { allowed: ['mailroom'] },
  'POST /api/documents/:id/digitise': {
    allowed: ['mailroom'],
    sample: async ({ t, n }) => ({ path: `/api/documents/${(await tracker.paper(t, n)).id}/digitise`, form: pdfForm(n) }),
  },
  'GET /api/retention/schedules': { allowed: 'any' },
  'GET /api/retention/due': { allowed: ['compliance'], sample: () => ({ path: '/api/retention/due?before=2030-01-01' }) },
  'POST /api/retention/recompute': { allowed: ['compliance'], sample: () => ({ json: { customerId: 'KL-000123' } }) },
  'GET /api/retention/recompute': { allowed: ['compliance'] },
  'POST /api/holds': { allowed: ['compliance'], sample: ({ n }) => ({ json: { reason: `matrix ${n}`, query: { customerId: 'KL-000125', type: 'invoice' } } }) },
  'GET /api/holds': { allowed: ['compliance'] },
  'GET /api/holds/:id': { allowed: ['compliance'], sample: async ({ t, n }) => ({ path: `/api/holds/${(await disposals.hold(t, n)).id}` }) },
  'POST /api/holds/:id/release': { allowed: ['compliance'], sample: async ({ t, n }) => ({ path: `/api/holds/${(await disposals.hold(t, n)).id}/release`, json: { reason: 'matrix release' } }) },
  'POST /api/disposals': { allowed: ['compliance'], sample: async ({ t, n }) => ({ json: { reason: `matrix ${n}`, documentIds: [(await disposals.duePaper(t, n)).id] } }) },
  'GET /api/disposals': { allowed: ['compliance'] },
  'GET /api/disposals/:id': { allowed: ['compliance'], sample: async ({ t, n }) => ({ path: `/api/disposals/${(await disposals.proposed(t, n)).id}` }) },
  'POST /api/disposals/:id/review': {
    allowed: ['compliance'],
    sample: async ({ t, n }) => {
      const { doc, d } = await disposals.review(t, n);
      return { path: `/api/disposals/${d.id}/review`, json: { documentId: doc.id, decision: 'destroy', note: 'no claims' } };
    },
  },
  'POST /api/disposals/:id/approve': { allowed: ['compliance'], sample: async ({ t, n }) => ({ path: `/api/disposals/${(await disposals.proposed(t, n)).id}/approve`, json: {} }) },
  'POST /api/disposals/:id/cancel': { allowed: ['compliance'], sample: async ({ t, n }) => ({ path: `/api/disposals/${(await disposals.proposed(t, n)).id}/cancel`, json: { reason: 'matrix cancel' } }) },
  'POST /api/disposals/:id/execute': { allowed: ['compliance'], sample: async ({ t, n }) => ({ path: `/api/disposals/${(await disposals.approved(t, n)).id}/execute` }) },
  'GET /api/disposals/:id/pick-list': { allowed: ['mailroom', 'compliance'], sample: async ({ t, n }) => ({ path: `/api/disposals/${(await disposals.executed(t, n)).id}/pick-list` }) },
  'GET /api/disposals/:id/pick-list.pdf': { allowed: ['mailroom', 'compliance'], sample: async ({ t, n }) => ({ path: `/api/disposals/${(await disposals.executed(t, n)).id}/pick-list.pdf` }) },
  'POST /api/disposals/:id/shred': {
    allowed: ['mailroom', 'compliance'],
    sample: async ({ t, n }) => {
      const d = await disposals.executed(t, n);
      return { path: `/api/disposals/${d.id}/shred`, json: { barcode: d.items[0].barcode } };
    },
  },
  'POST /api/disposals/:id/transfer': {
    allowed: ['mailroom', 'compliance'],
    sample: async ({ t, n }) => {
      const d = await disposals.executed(t, n, 'transfer');
      return { path: `/api/disposals/${d.id}/transfer`, json: { documentId: d.items[0].documentId, recipient: 'Regionaal Archief Utrecht', reference: `RAU-${n}` } };
    },
  },
  'GET /api/disposals/:id/certificate.pdf': { allowed: ['compliance'], sample: async ({ t, n }) => ({ path: `/api/disposals/${(await disposals.executed(t, n)).id}/certificate.pdf` }) },
  'GET /api/customers/:id/subject-access.zip': { allowed: ['compliance'], sample: () => ({ path: '/api/customers/KL-000123/subject-access.zip' }) },
  'POST /api/customers/:id/erasure': { allowed: ['compliance'], sample: () => ({ path: '/api/customers/KL-000123/erasure', json: { dryRun: true, reason: 'matrix dry run' } }) },
  'POST /api/customers/:id/restriction': { allowed: ['compliance'], sample: () => ({ path: '/api/customers/KL-000123/restriction', json: { restricted: false, reason: 'matrix check' } }) },
  'GET /api/compliance/report': { allowed: ['compliance'] },
  'GET /api/compliance/report.pdf': { allowed: ['compliance'] },
  'POST /api/mailings': { allowed: ['crm'], sample: ({ n }) => ({ json: { name: `Matrix ${n}`, customerIds: ['KL-000124'] } }) },
  'GET /api/mailings': { allowed: ['crm', 'compliance', 'mailroom'] },
  'GET /api/mailings/templates': { allowed: 'any' },
  'GET /api/mailings/:id': { allowed: ['crm', 'compliance', 'mailroom'], sample: async ({ t, n }) => ({ path: `/api/mailings/${(await mailingFx.create(t, n)).id}` }) },
  'GET /api/mailings/:id/letters.pdf': { allowed: ['crm', 'mailroom'], sample: async ({ t, n }) => ({ path: `/api/mailings/${(await mailingFx.create(t, n)).id}/letters.pdf` }) },
  'GET /api/mailings/:id/letters.csv': { allowed: ['crm', 'mailroom'], sample: async ({ t, n }) => ({ path: `/api/mailings/${(await mailingFx.create(t, n)).id}/letters.csv` }) },
  'POST /api/mailings/:id/sent': { allowed: ['crm', 'mailroom'], sample: async ({ t, n }) => ({ path: `/api/mailings/${(await mailingFx.create(t, n)).id}/sent` }) },
  'POST /api/coupons/scan': { allowed: ['mailroom'], sample: async ({ t, n }) => ({ json: { barcode: (await mailingFx.create(t, n)).letters[0]!.barcode } }) },
  'POST /api/coupons/batches': { allowed: ['mailroom'], sample: ({ n }) => ({ form: pdfForm(n) }) },
  'GET /api/coupons/batches/:id': { allowed: ['mailroom', 'crm', 'compliance'], sample: async ({ t, n }) => ({ path: `/api/coupons/batches/${(await mailingFx.review(t, n)).batchId}` }) },
  'GET /api/coupons/review': { allowed: ['mailroom', 'compliance'] },
  'GET /api/coupons/review/:id/image': { allowed: ['mailroom', 'compliance'], sample: async ({ t, n }) => ({ path: `/api/coupons/review/${(await mailingFx.review(t, n)).id}/image` }) },
  'POST /api/coupons/review/:id': { allowed: ['mailroom', 'compliance'], sample: async ({ t, n }) => ({ path: `/api/coupons/review/${(await mailingFx.review(t, n)).id}`, json: { action: 'discard' } }) },
  'POST /api/separator-sheets': { allowed: ['mailroom'], sample: () => ({ json: {} }) },
  'POST /api/imports/customers': { allowed: ['crm'], sample: ({ n }) => ({ form: integrationFx.csvForm(n) }) },
  'GET /api/imports': { allowed: ['crm'] },
  'GET /api/imports/:id': { allowed: ['crm'], sample: async ({ t, n }) => ({ path: `/api/imports/${await integrationFx.importId(t, n)}` }) },
  'POST /api/customers/:id/merge': { allowed: ['crm'], sample: ({ t, n }) => integrationFx.mergePair(t, n) },
  'POST /api/webhooks': { allowed: ['admin'], sample: ({ n }) => ({ json: { url: `http://127.0.0.1:9/matrix-${n}`, events: ['document.*'] } }) },
  'GET /api/webhooks': { allowed: ['admin'] },
  'DELETE /api/webhooks/:id': { allowed: ['admin'], sample: async ({ t, n }) => ({ path: `/api/webhooks/${(await integrationFx.webhook(t, n)).id}` }) },
  'GET /api/webhooks/dead-letters': { allowed: ['admin'] },
  'POST /api/webhooks/dead-letters/:id/replay': { allowed: ['admin'], sample: async ({ t, n }) => ({ path: `/api/webhooks/dead-letters/${await integrationFx.deadLetter(t, n)}/replay` }) },
  'GET /api/events': { allowed: ['crm'] },
  'GET /api/changes': { allowed: ['crm'], sample: () => ({ path: '/api/changes?since=&limit=50' }) },
  'GET /api/exports/key-points': { allowed: ['crm'], sample: () => ({ path: '/api/exports/key-points?format=csv' }) },
  // The document overview (issue 17). The mailroom also reads a document's file while it is in review
  // (GET /api/documents/:id/file); the sample document there is ready, so the row above stays.
  'GET /api/documents': { allowed: ['crm', 'compliance', 'mailroom'], sample: () => ({ path: '/api/documents?limit=5&customerId=KL-000123' }) },
  'GET /api/documents/:id/thumbnail': { allowed: ['crm', 'compliance', 'mailroom'], sample: ({ docId }) => ({ path: `/api/documents/${docId}/thumbnail` }) },
  'POST /api/thumbnails/backfill': { allowed: ['admin'], sample: () => ({ path: '/api/thumbnails/backfill?limit=2' }) },
  'PATCH /api/documents/:id': { allowed: ['crm'], sample: ({ docId, n }) => ({ path: `/api/documents/${docId}`, json: { title: `Matrix title ${n}` } }) },
  'POST /api/documents/bulk': { allowed: ['crm'], sample: ({ docId, n }) => ({ json: { ids: [docId], set: { title: `Matrix bulk ${n}` } } }) },
  'GET /api/views': { allowed: 'any' },
  'POST /api/views': { allowed: 'any', sample: ({ n }) => ({ json: { name: `matrix ${n}`, filter: { type: 'invoice' } } }) },
  // Deleting is idempotent and only ever touches the caller's own views.
  'DELETE /api/views/:id': { allowed: 'any', sample: ({ n }) => ({ path: `/api/views/view_matrix_${n}` }) },
  'GET /api/names': { allowed: ['compliance', 'mailroom'], sample: () => ({ path: '/api/names?customers=KL-000123' }) },
  'GET /api/cover-sheet.pdf': { allowed: ['mailroom'], sample: () => ({ path: '/api/cover-sheet.pdf?customerId=KL-000123&type=invoice' }) },
  'GET /api/intake/splits/:id': { allowed: ['mailroom'], sample: ({ docId }) => ({ path: `/api/intake/splits/${docId}` }) },
  'GET /api/mail-intake': { allowed: ['mailroom'] },
  'POST /api/mail-intake/poll': { allowed: ['mailroom'] },
  // The e-mail a document came in with: the same roles as its file (the mailroom only while it is in review).
  'GET /api/documents/:id/message': {
    allowed: ['crm', 'compliance'],
    sample: async ({ t, docId }) => {
      if (!(await t.dl.db.get('SELECT 1 FROM mail_message_documents WHERE document_id = ?', [docId]))) await storeMailMessage(t, { customerId: 'KL-000123', documentIds: [docId] });
      return { path: `/api/documents/${docId}/message` };
    },
  },
};

const ROLES: Role[] = ['mailroom', 'crm', 'compliance', 'admin'];

describe('access matrix', () => {
  let t: TestApp;
  let ctx: Ctx;
  before(async () => {
    // The webhook fixtures point at loopback, which only an allow-list opens (issue #14).
    t = await startTestApp({ env: { DOSSIER_WEBHOOK_ALLOW: '127.0.0.1/32' } });
    const dossier = (await (await t.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' })).json()) as {
      documents: { id: string; class: string; barcode: string | null; original: unknown }[];
    };
    const digital = dossier.documents.find((d) => d.original)!;
    const paper = dossier.documents.find((d) => d.barcode)!;
    ctx = { docId: digital.id, paperId: paper.id, paperBarcode: paper.barcode!, n: 0, t };
  });
  after(() => t.close());

  it('given the app when its routes are listed then every route is in the matrix and every matrix row is a route', () => {
    const served = t.dl.app.routeTable.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    assert.deepEqual(served, Object.keys(MATRIX).sort());
  });

  for (const [key, row] of Object.entries(MATRIX)) {
    const [method, pattern] = key.split(' ');
    const request = async (token: string | null) => {
      ctx.n++;
      const s = (await row.sample?.(ctx)) ?? {};
      const p = s.path ?? pattern;
      return t.api(method, p, token === null ? { as: null, json: s.json, body: s.form } : { token, json: s.json, body: s.form });
    };

    it(`given ${key} when called without a token then ${row.allowed === 'public' ? 'it answers' : '401'}`, async () => {
      const res = await request(null);
      if (row.allowed === 'public') assert.equal(res.status, 200);
      else {
        assert.equal(res.status, 401);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized');
      }
    });

    if (row.allowed !== 'public') {
      it(`given ${key} when called with an unknown token then 401`, async () => {
        assert.equal((await request('dl_not-a-real-token')).status, 401);
      });
    }

    for (const role of ROLES) {
      const allowed = row.allowed === 'public' || row.allowed === 'any' || role === 'admin' || row.allowed.includes(role);
      it(`given ${key} when called as ${role} then ${allowed ? '2xx' : '403'}`, async () => {
        const res = await request(t.tokens[role]);
        const body = await res.text();
        if (allowed) assert.ok(res.status >= 200 && res.status < 300, `${res.status} ${body}`);
        else {
          assert.equal(res.status, 403, body);
          assert.equal(JSON.parse(body).error.code, 'forbidden');
        }
      });
    }
  }
});
