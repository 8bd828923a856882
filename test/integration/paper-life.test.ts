import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createBarcodeReader } from '../../src/adapters/barcode/barcode-reader.js';
import { openPdfDocument, renderPdfPage } from '../../src/adapters/pdf/pdf-render.js';
import type { DocumentView } from '../../src/domain/document.js';
import { fakeClock } from '../../src/services/clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, any>;

async function pdfText(pdf: Uint8Array): Promise<string> {
  const doc = await openPdfDocument(pdf);
  try {
    const out: string[] = [];
    for (let p = 1; p <= doc.numPages; p++) {
      const content = await (await doc.getPage(p)).getTextContent();
      out.push(content.items.map((i) => ('str' in i ? i.str : '')).join('\n'));
    }
    return out.join('\n');
  } finally {
    await doc.destroy();
  }
}

/**
 * One paper document from the post to the shelf and back, on a fake clock: register, label,
 * file into a box, requested by CRM, picked, checked out (fulfilling the request), overdue,
 * checked in, and counted in an inventory audit. Each step builds on the one before.
 */
describe('the life of a paper document', () => {
  const clock = fakeClock('2026-03-02T09:00:00Z');
  const reader = createBarcodeReader();
  let t: TestApp;
  let crmId: string;
  let box: Json;
  let doc: DocumentView;
  let requestId: string;
  const ok = async (method: string, path: string, as: 'mailroom' | 'crm' | 'compliance', json?: unknown, status = 200) => {
    const res = await t.api(method, path, { as, json });
    const body = await res.text();
    assert.equal(res.status, status, body);
    return JSON.parse(body) as Json;
  };
  const pdf = async (path: string, json?: unknown) => {
    const res = await t.api(json ? 'POST' : 'GET', path, { as: 'mailroom', json });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    return new Uint8Array(await res.arrayBuffer());
  };
  const dossierPaper = async () => ((await ok('GET', '/api/customers/KL-000124/dossier', 'crm')).documents as DocumentView[]).find((d) => d.id === doc.id)!;

  before(async () => {
    t = await startTestApp({ clock });
    crmId = (await ok('GET', '/api/me', 'crm')).id;
  });
  after(() => t.close());

  it('given the mailroom when it puts a new box on shelf 2 then the box gets a C code and a label that scans', async () => {
    const { locations } = await ok('GET', '/api/locations', 'mailroom');
    const find = (nodes: Json[], name: string): Json | undefined => nodes.map((n) => (n.name === name ? n : find(n.children, name))).find(Boolean);
    const shelf = find(locations, 'Plank 2')!;
    box = await ok('POST', '/api/locations', 'mailroom', { name: 'Doos orders 2026', kind: 'box', parent: shelf.barcode }, 201);
    assert.match(box.barcode, /^C\d{10}$/);
    const hits = await reader.read(await renderPdfPage(await pdf(`/api/locations/${box.barcode}/label.pdf`), 1, 300), { formats: ['Code128'] });
    assert.deepEqual(hits.map((h) => h.text), [box.barcode]);
  });

  it('given an order on paper when registered and labelled then its label decodes to its barcode', async () => {
    doc = (await ok('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000124', type: 'order', title: 'Order ORD-2026-0101 warmtepomp', docDate: '2026-02-27', fields: { number: 'ORD-2026-0101', status: 'delivered' } }, 201)) as DocumentView;
    assert.equal(doc.class, 'static');
    assert.equal(doc.location, null, 'not filed yet');
    const label = await pdf(`/api/documents/${doc.id}/label.pdf?layout=single-70x37`);
    const hits = await reader.read(await renderPdfPage(label, 1, 300), { formats: ['Code128'] });
    assert.deepEqual(hits.map((h) => h.text), [doc.barcode]);
    assert.match(await pdfText(label), /Van Dijk Installatietechniek/);
  });

  it('given the labelled order when scanned into the box then the dossier shows it with its location path', async () => {
    // A keyboard wedge sends lower case and a trailing newline.
    const filed = await ok('POST', '/api/tracking/scan', 'mailroom', { barcode: `${doc.barcode!.toLowerCase()}\n`, to: `${box.barcode.toLowerCase()} ` });
    assert.equal(filed.kind, 'file');
    const inDossier = await dossierPaper();
    assert.equal(inDossier.location?.path, 'Hoofdkantoor Utrecht › Archiefruimte B1 › Kast 3 › Plank 2 › Doos orders 2026');
    assert.equal(inDossier.location?.barcode, box.barcode);
  });

  it('given a CRM user who needs the paper when they request it then the pick list has it in walking order, on screen and on paper', async () => {
    clock.advanceDays(1);
    const req = await ok('POST', `/api/documents/${doc.id}/requests`, 'crm', { note: 'klantbezoek vrijdag', neededBy: '2026-03-06' }, 201);
    requestId = req.id;
    assert.equal(req.status, 'open');
    const list = await ok('GET', '/api/requests/pick-list', 'mailroom');
    const paths = list.items.map((i: Json) => i.location?.path);
    // The demo data has a request for paper in the external archive; "Extern…" sorts before "Hoofdkantoor…".
    assert.deepEqual(paths, ['Extern archief Nieuwegein', 'Hoofdkantoor Utrecht › Archiefruimte B1 › Kast 3 › Plank 2 › Doos orders 2026']);
    const mine = list.items.find((i: Json) => i.requestId === requestId);
    assert.equal(mine.available, true);
    assert.equal(mine.requestedBy.id, crmId);
    const text = await pdfText(await pdf('/api/requests/pick-list.pdf'));
    assert.ok(text.indexOf(list.items[0].barcode) < text.indexOf(doc.barcode!), 'same order on paper');
    assert.match(text, /Doos orders 2026/);
    assert.match(text, /klantbezoek vrijdag/);
  });

  it('given the picked paper when checked out to the requester then the request is fulfilled and it is due in 14 days', async () => {
    const out = await ok('POST', '/api/tracking/scan', 'mailroom', { barcode: doc.barcode, to: `user:${crmId}` });
    assert.equal(out.kind, 'check-out');
    assert.deepEqual(out.fulfilledRequests, [requestId]);
    assert.equal(out.location.dueBackOn, '2026-03-17');
    const { requests } = await ok('GET', '/api/requests?status=fulfilled', 'crm');
    assert.ok(requests.some((r: Json) => r.id === requestId));
    assert.equal((await ok('GET', '/api/requests/pick-list', 'mailroom')).items.some((i: Json) => i.requestId === requestId), false);
    const inDossier = await dossierPaper();
    assert.equal(inDossier.location?.kind, 'person');
    assert.equal(inDossier.location?.path, 'checked out to Chris (CRM user)');
  });

  it('given the due date passes when overdue check-outs are listed then the order appears, not before', async () => {
    clock.advanceDays(14); // 2026-03-17: the due date itself is not overdue
    const onDue = await ok('GET', '/api/tracking/overdue', 'mailroom');
    assert.equal(onDue.items.some((i: Json) => i.barcode === doc.barcode), false);
    clock.advanceDays(2);
    const late = await ok('GET', '/api/tracking/overdue', 'compliance');
    const item = late.items.find((i: Json) => i.barcode === doc.barcode);
    assert.equal(late.asOf, '2026-03-19');
    assert.equal(item.daysOverdue, 2);
    assert.equal(item.holder.id, crmId);
    assert.equal(item.checkedOutAt, '2026-03-03T09:00:00.000Z');
  });

  it('given the paper comes back when scanned into its box then it is checked in and no longer overdue', async () => {
    const back = await ok('POST', '/api/tracking/scan', 'mailroom', { barcode: doc.barcode, to: box.barcode });
    assert.equal(back.kind, 'check-in');
    assert.equal((await ok('GET', '/api/tracking/overdue', 'mailroom')).items.some((i: Json) => i.barcode === doc.barcode), false);
    assert.equal((await dossierPaper()).location?.barcode, box.barcode);
  });

  it('given an inventory audit of the box then paper not found is missing and paper from another box is unexpected', async () => {
    const second = (await ok('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000124', type: 'letter', title: 'Brief bij order' }, 201)) as DocumentView;
    await ok('POST', '/api/tracking/scan', 'mailroom', { barcode: second.barcode, to: box.barcode });
    const stray = ((await ok('GET', '/api/customers/KL-000123/dossier', 'crm')).documents as DocumentView[]).find((d) => d.type === 'service-contract' && d.barcode)!;
    const audit = await ok('POST', '/api/tracking/audits', 'mailroom', { location: box.barcode }, 201);
    await ok('POST', `/api/tracking/audits/${audit.id}/scans`, 'mailroom', { barcodes: [doc.barcode, stray.barcode] });
    const done = await ok('POST', `/api/tracking/audits/${audit.id}/finish`, 'mailroom', {});
    const r = done.report;
    assert.deepEqual(r.present, [doc.barcode]);
    assert.deepEqual(r.missing.map((m: Json) => m.barcode), [second.barcode]);
    assert.deepEqual(r.unexpected.map((u: Json) => [u.barcode, u.recordedAt]), [[stray.barcode, 'Hoofdkantoor Utrecht › Archiefruimte B1 › Kast 3 › Plank 1 › Doos contracten 2025']]);
    assert.equal(r.counts.corrected, 0);
    assert.equal(done.corrected, false);
    assert.equal((await ok('GET', `/api/documents/${stray.id}`, 'crm')).location.path.endsWith('Doos contracten 2025'), true, 'no correction asked, records unchanged');
  });

  it('given the whole life when the item history is read then it tells who moved it where and when, and the audit chain holds', async () => {
    const item = await ok('GET', `/api/tracking/items/${doc.barcode}`, 'compliance');
    assert.deepEqual(
      item.history.map((h: Json) => [h.kind, h.at.slice(0, 10), h.to?.path.split(' › ').at(-1)]),
      [
        ['file', '2026-03-02', 'Doos orders 2026'],
        ['check-out', '2026-03-03', 'checked out to Chris (CRM user)'],
        ['check-in', '2026-03-19', 'Doos orders 2026'],
      ],
    );
    assert.equal(item.history[1].requestId, requestId);
    assert.equal(item.history[0].actor.name, 'Mila (mailroom)');
    assert.equal((await ok('GET', '/api/audit/verify', 'compliance')).ok, true);
  });
});
