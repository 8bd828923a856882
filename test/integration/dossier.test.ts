import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DOCUMENT_TYPES } from '../../src/domain/document.js';
import type { DocumentView } from '../../src/domain/document.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Dossier = { customer: { id: string; name: string }; documents: DocumentView[]; statuses: unknown[] };

describe('customer dossier', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('given the demo data when every dossier is read then every canonical type is present, digital and paper', async () => {
    const types = new Set<string>();
    const classes = new Set<string>();
    for (const id of ['KL-000123', 'KL-000124', 'KL-000125', 'KL-000126', 'KL-000127']) {
      const d = (await (await t.api('GET', `/api/customers/${id}/dossier`, { as: 'crm' })).json()) as Dossier;
      for (const doc of d.documents) (types.add(doc.type), classes.add(doc.class));
    }
    assert.deepEqual([...types].sort(), [...DOCUMENT_TYPES].sort());
    assert.deepEqual([...classes].sort(), ['dynamic', 'static']);
  });

  it('given a customer with digital and paper documents when the dossier is opened then both come newest first, paper with its location', async () => {
    const res = await t.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' });
    assert.equal(res.status, 200);
    const d = (await res.json()) as Dossier;
    assert.equal(d.customer.id, 'KL-000123');
    const dates = d.documents.map((x) => x.docDate ?? '');
    assert.deepEqual(dates, [...dates].sort().reverse(), 'newest first');
    const paper = d.documents.find((x) => x.type === 'service-contract')!;
    assert.equal(paper.class, 'static');
    assert.match(paper.barcode ?? '', /^D\d{10}$/);
    assert.equal(paper.location?.kind, 'location');
    assert.equal(paper.location?.path, 'Hoofdkantoor Utrecht › Archiefruimte B1 › Kast 3 › Plank 1 › Doos contracten 2025');
    const quote = d.documents.find((x) => x.type === 'quote')!;
    assert.equal(quote.class, 'dynamic');
    assert.equal(quote.location, null);
    for (const doc of d.documents) {
      assert.ok(doc.retention.legalBasis && doc.retention.period && doc.retention.disposition, 'retention filled');
      assert.ok(doc.classification.trace.length > 0, 'classification has a trace');
    }
  });

  it('given a dossier view when the audit log is queried then the view is recorded with who and when', async () => {
    await t.api('GET', '/api/customers/KL-000125/dossier', { as: 'compliance' });
    const res = await t.api('GET', '/api/audit?customerId=KL-000125&action=dossier.view', { as: 'compliance' });
    const { events } = (await res.json()) as { events: { actorId: string; action: string; at: string }[] };
    assert.ok(events.length >= 1, 'events.length >= 1');
    const me = (await (await t.api('GET', '/api/me', { as: 'compliance' })).json()) as { id: string };
    assert.equal(events[0].actorId, me.id);
    assert.ok(Date.now() - Date.parse(events[0].at) < 60_000, 'Date.now() - Date.parse(events[0].at) < 60_000');
  });

  it('given a dynamic document when its text and file are read then both come back and both reads are audited', async () => {
    const d = (await (await t.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' })).json()) as Dossier;
    const quote = d.documents.find((x) => x.type === 'quote')!;
    const text = await (await t.api('GET', `/api/documents/${quote.id}/text`, { as: 'crm' })).text();
    assert.match(text, /financiële/);
    const file = await t.api('GET', `/api/documents/${quote.id}/file`, { as: 'crm' });
    assert.equal(file.headers.get('content-type'), 'application/pdf');
    const bytes = Buffer.from(await file.arrayBuffer());
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
    assert.equal(bytes.length, quote.original!.size);
    const { events } = (await (await t.api('GET', `/api/audit?subjectId=${quote.id}&action=document.read`, { as: 'compliance' })).json()) as {
      events: { details: { what: string } }[];
    };
    assert.deepEqual(events.map((e) => e.details.what).sort(), ['original', 'text']);
  });

  it('given static paper when its text is asked for then 409 not_digitised says to request or digitise it', async () => {
    const d = (await (await t.api('GET', '/api/customers/KL-000124/dossier', { as: 'crm' })).json()) as Dossier;
    const order = d.documents.find((x) => x.type === 'order')!;
    const res = await t.api('GET', `/api/documents/${order.id}/text`, { as: 'crm' });
    assert.equal(res.status, 409);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_digitised');
  });

  it('given a new customer number when upserted twice then 201 then 200 with the update applied', async () => {
    const a = await t.api('PUT', '/api/customers/KL-000500', { as: 'crm', json: { name: 'Nieuw B.V.', kvk: '12345678' } });
    assert.equal(a.status, 201);
    const b = await t.api('PUT', '/api/customers/KL-000500', { as: 'crm', json: { name: 'Nieuw en Beter B.V.' } });
    assert.equal(b.status, 200);
    const c = (await (await t.api('GET', '/api/customers/KL-000500', { as: 'mailroom' })).json()) as { name: string; kvk: string | null };
    assert.equal(c.name, 'Nieuw en Beter B.V.');
  });

  it('given paper registered by the mailroom when the dossier is opened then it is there as static with a barcode and retention', async () => {
    const res = await t.api('POST', '/api/documents/paper', {
      as: 'mailroom',
      json: { customerId: 'KL-000127', type: 'order', docDate: '2026-11-20', fields: { number: 'ORD-2026-9', total: 99.5 } },
    });
    assert.equal(res.status, 201);
    const doc = (await res.json()) as DocumentView;
    assert.equal(doc.class, 'static');
    assert.equal(doc.retention.endsOn, '2033-11-20');
    assert.match(doc.retention.legalBasis, /AWR art\. 52/);
    const d = (await (await t.api('GET', '/api/customers/KL-000127/dossier', { as: 'crm' })).json()) as Dossier;
    assert.equal(d.documents[0].id, doc.id, 'newest first');
    const ev = (await (await t.api('GET', '/api/events?types=paper.registered', { as: 'crm' })).json()) as { events: { subject: { id: string }; data: { barcode: string } }[] };
    const mine = ev.events.find((e) => e.subject.id === doc.id);
    assert.equal(mine?.data.barcode, doc.barcode, 'the CRM hears of the new paper through the outbox');
  });

  it('given the OpenAPI document when fetched then it describes every route with its input schema', async () => {
    const res = await t.api('GET', '/api/openapi.json', { as: 'mailroom' });
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>>; components: { schemas: Record<string, unknown> } };
    assert.equal(doc.openapi, '3.1.0');
    for (const r of t.dl.app.routeTable) {
      const p = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      assert.ok(doc.paths[p]?.[r.method], `${r.method} ${p} documented`);
    }
    const page = await fetch(`${t.url}/api-docs.html`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /openapi\.json/);
    assert.ok(doc.paths['/api/documents/paper'].post.requestBody, 'doc.paths[\'/api/documents/paper\'].post.requestBody');
    assert.ok(doc.components.schemas.Document, 'doc.components.schemas.Document');
  });
});

describe('demo data', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('given the demo data when searched without diacritics then its dynamic documents are found with snippets', async () => {
    const res = await t.api('GET', '/api/search?q=financiele', { as: 'crm' });
    const body = (await res.json()) as { total: number; hits: { customerId: string; customerName: string | null; snippet: string }[] };
    assert.equal(body.total, 1);
    assert.equal(body.hits[0].customerId, 'KL-000123');
    assert.equal(body.hits[0].customerName, 'Bakkerij De Gouden Korst B.V.', 'whose document it is, by name');
    assert.match(body.hits[0].snippet, /<mark>financiële<\/mark>/);
  });

  it('given a search within one dossier when a word is in several documents then they come newest first', async () => {
    const res = await t.api('GET', '/api/search?q=klantnummer&customerId=KL-000123', { as: 'crm' });
    const body = (await res.json()) as { total: number; hits: { docDate: string }[] };
    assert.equal(body.total, 2);
    assert.deepEqual(body.hits.map((h) => h.docDate), ['2026-10-02', '2026-09-30']);
  });
});
