import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { createBarcodeReader } from '../../src/adapters/barcode/barcode-reader.js';
import { makeTextPdf } from '../../src/adapters/pdf/text-pdf.js';
import { renderPdfPage } from '../../src/adapters/pdf/pdf-render.js';
import { makeBarcode } from '../../src/domain/barcode.js';
import type { DocumentView } from '../../src/domain/document.js';
import type { Role } from '../../src/domain/roles.js';
import { waitFinal } from '../helpers/ingest-helpers.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, any>;
type Err = { error: { code: string; message: string; details?: Json } };

const reader = createBarcodeReader();

/** Every Code 128 on every page of a PDF, read back with the real decoder at 300 dpi. */
async function decodeAll(pdf: Uint8Array, expectPerPage?: number): Promise<string[]> {
  const pages = (await PDFDocument.load(pdf)).getPageCount();
  const codes: string[] = [];
  for (let p = 1; p <= pages; p++) {
    const hits = await reader.read(await renderPdfPage(pdf, p, 300), { formats: ['Code128'], expect: expectPerPage });
    codes.push(...hits.map((h) => h.text));
  }
  return codes;
}

describe('file tracker', () => {
  let t: TestApp;
  const ids: Partial<Record<Role, string>> = {};
  const call = async (method: string, path: string, as: Role, json?: unknown) => {
    const res = await t.api(method, path, { as, json });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json & Err };
  };
  const ok = async (method: string, path: string, as: Role, json?: unknown, status = 200) => {
    const r = await call(method, path, as, json);
    assert.equal(r.status, status, JSON.stringify(r.body));
    return r.body;
  };
  const place = (name: string, kind: string, parent?: string) => ok('POST', '/api/locations', 'mailroom', { name, kind, parent }, 201);
  const paper = async (title: string, customerId = 'KL-000124') =>
    (await ok('POST', '/api/documents/paper', 'mailroom', { customerId, type: 'order', title, docDate: '2025-06-01' }, 201)) as unknown as DocumentView & { barcode: string };
  const scan = (barcode: string, to: string, extra: Json = {}) => call('POST', '/api/tracking/scan', 'mailroom', { barcode, to, ...extra });

  let site: Json, room: Json, shelfA: Json, shelfB: Json, boxA: Json, boxB: Json;

  before(async () => {
    t = await startTestApp();
    for (const r of ['mailroom', 'crm', 'compliance', 'admin'] as Role[]) ids[r] = (await ok('GET', '/api/me', r)).id;
    site = await place('Testvestiging', 'site');
    room = await place('Archief T', 'room', site.barcode);
    const cab = await place('Kast 9', 'cabinet', room.barcode);
    shelfA = await place('Plank 2', 'shelf', cab.barcode);
    shelfB = await place('Plank 10', 'shelf', cab.barcode);
    boxA = await place('Doos A', 'box', shelfA.barcode);
    boxB = await place('Doos B', 'box', shelfA.barcode);
  });
  after(() => t.close());

  describe('locations', () => {
    it('given a new hierarchy when listed then boxes carry C codes, places L codes, and the tree nests them', async () => {
      assert.match(shelfA.barcode, /^L\d{10}$/);
      assert.match(boxA.barcode, /^C\d{10}$/);
      assert.equal(boxA.container, true);
      assert.equal(boxA.path, 'Testvestiging › Archief T › Kast 9 › Plank 2 › Doos A');
      const { locations } = await ok('GET', '/api/locations', 'compliance');
      const mine = locations.find((l: Json) => l.barcode === site.barcode);
      assert.deepEqual(mine.children[0].children[0].children.map((s: Json) => s.name), ['Plank 2', 'Plank 10'], 'numbers sort as numbers');
      const got = await ok('GET', `/api/locations/${shelfA.barcode.toLowerCase()}`, 'mailroom');
      assert.deepEqual(got.children.map((c: Json) => c.barcode).sort(), [boxA.barcode, boxB.barcode].sort());
    });

    it('given impossible places when created then each is refused with its reason', async () => {
      assert.equal((await call('POST', '/api/locations', 'mailroom', { name: 'x', kind: 'shelf', parent: boxA.barcode })).body.error.code, 'placement_not_allowed');
      assert.equal((await call('POST', '/api/locations', 'mailroom', { name: 'x', kind: 'room' })).body.error.code, 'placement_not_allowed');
      const unknown = await call('POST', '/api/locations', 'mailroom', { name: 'x', kind: 'box', parent: makeBarcode('location', 999_999) });
      assert.equal(unknown.status, 422);
      const doc = await call('POST', '/api/locations', 'mailroom', { name: 'x', kind: 'box', parent: makeBarcode('document', 1) });
      assert.equal(doc.body.error.code, 'not_a_place');
      assert.equal((await call('POST', '/api/locations', 'crm', { name: 'x', kind: 'site' })).status, 403);
    });
  });

  describe('scanning', () => {
    it('given paper filed into a box when the box moves then the paper moves with it and both histories say so', async () => {
      const doc = await paper('Order T-1');
      const filed = await scan(` ${doc.barcode!.toLowerCase()}\n`, boxA.barcode.toLowerCase());
      assert.equal(filed.status, 200, JSON.stringify(filed.body));
      assert.equal(filed.body.kind, 'file');
      assert.equal(filed.body.location.path, 'Testvestiging › Archief T › Kast 9 › Plank 2 › Doos A');
      const moved = await scan(boxA.barcode, shelfB.barcode);
      assert.equal(moved.body.kind, 'move');
      assert.equal(moved.body.type, 'container');
      assert.equal(moved.body.carried, 1);
      const view = await ok('GET', `/api/documents/${doc.id}`, 'crm');
      assert.equal(view.location.path, 'Testvestiging › Archief T › Kast 9 › Plank 10 › Doos A');
      const item = await ok('GET', `/api/tracking/items/${doc.barcode}`, 'compliance');
      assert.deepEqual(item.history.map((h: Json) => [h.kind, h.via]), [['file', null], ['move', boxA.barcode]]);
      assert.equal(item.history[1].from.path, 'Testvestiging › Archief T › Kast 9 › Plank 2 › Doos A');
      assert.equal(item.history[1].to.path, 'Testvestiging › Archief T › Kast 9 › Plank 10 › Doos A');
      assert.equal(item.history[0].actor.id, ids.mailroom);
      const box = await ok('GET', `/api/tracking/items/${boxA.barcode}`, 'crm');
      assert.equal(box.type, 'container');
      assert.equal(box.location.barcode, shelfB.barcode);
      await scan(boxA.barcode, shelfA.barcode);
    });

    it('given the same scan twice when sent again then nothing is written the second time', async () => {
      const doc = await paper('Order T-2');
      assert.equal((await scan(doc.barcode!, boxB.barcode)).body.moved, true);
      const again = await scan(doc.barcode!, boxB.barcode);
      assert.equal(again.status, 200);
      assert.equal(again.body.moved, false);
      assert.equal((await ok('GET', `/api/tracking/items/${doc.barcode}`, 'crm')).history.length, 1);
    });

    it('given check-out, transfer and check-in when scanned then due dates, holders and kinds follow', async () => {
      const doc = await paper('Order T-3');
      await scan(doc.barcode!, boxA.barcode);
      const out = await scan(doc.barcode!, `user:${ids.crm}`);
      assert.equal(out.body.kind, 'check-out');
      assert.equal(out.body.location.kind, 'person');
      const due = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
      assert.equal(out.body.location.dueBackOn, due, 'default loan is 14 days');
      const twice = await scan(doc.barcode!, `user:${ids.crm}`);
      assert.equal(twice.status, 409);
      assert.equal(twice.body.error.code, 'already_checked_out');
      const other = await scan(doc.barcode!, `user:${ids.compliance}`);
      assert.equal(other.status, 409, 'handing over needs transfer: true');
      assert.equal(other.body.error.details?.holder.id, ids.crm);
      const transfer = await scan(doc.barcode!, `user:${ids.compliance}`, { transfer: true, dueBackOn: '2099-01-31' });
      assert.equal(transfer.body.kind, 'transfer');
      assert.equal(transfer.body.location.dueBackOn, '2099-01-31');
      const back = await scan(doc.barcode!, boxA.barcode);
      assert.equal(back.body.kind, 'check-in');
      const item = await ok('GET', `/api/tracking/items/${doc.barcode}`, 'crm');
      assert.deepEqual(item.history.map((h: Json) => h.kind), ['file', 'check-out', 'transfer', 'check-in']);
      assert.equal(item.history[2].from.id, ids.crm);
      assert.equal(item.history[2].to.id, ids.compliance);
    });

    it('given a box checked out to a person when its paper is looked up then the path starts with the holder', async () => {
      const box = await place('Doos mee', 'box', shelfB.barcode);
      const doc = await paper('Order T-4');
      await scan(doc.barcode!, box.barcode);
      const out = await scan(box.barcode, `user:${ids.crm}`, { dueBackOn: '2099-12-31' });
      assert.equal(out.body.kind, 'check-out');
      const view = await ok('GET', `/api/documents/${doc.id}`, 'crm');
      assert.equal(view.location.path, 'checked out to Chris (CRM user) › Doos mee');
      assert.equal(view.location.dueBackOn, '2099-12-31');
      assert.equal((await scan(box.barcode, shelfB.barcode)).body.kind, 'check-in');
    });

    it('given bad scans when sent then each gets a clear 4xx and nothing is written', async () => {
      const doc = await paper('Order T-5');
      await scan(doc.barcode!, boxB.barcode);
      const folder = await place('Map in B', 'folder', boxB.barcode);
      const before = await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM movements');
      const mistyped = doc.barcode!.slice(0, -1) + String((Number(doc.barcode!.slice(-1)) + 1) % 10);
      const cases: [string, string, number, string, RegExp?][] = [
        [mistyped, boxA.barcode, 400, 'invalid_barcode', /check digit does not match/],
        ['D12', boxA.barcode, 400, 'invalid_barcode', /wrong number of characters/],
        [makeBarcode('document', 888_888), boxA.barcode, 404, 'not_found'],
        [doc.barcode!, makeBarcode('location', 888_888), 404, 'not_found'],
        [doc.barcode!, 'user:nobody', 404, 'not_found'],
        [boxB.barcode, boxB.barcode, 400, 'move_into_itself'],
        [boxB.barcode, folder.barcode, 409, 'move_into_descendant'],
        [boxB.barcode, doc.barcode!, 400, 'cannot_move_into_document'],
        [shelfA.barcode, shelfB.barcode, 400, 'not_movable'],
        [boxA.barcode, folder.barcode, 400, 'placement_not_allowed'],
        [makeBarcode('letter', 5), boxA.barcode, 400, 'not_trackable'],
        [doc.barcode!, mistyped, 400, 'invalid_barcode'],
      ];
      for (const [barcode, to, status, code, message] of cases) {
        const r = await scan(barcode, to);
        assert.equal(r.status, status, `${barcode} → ${to}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, code, `${barcode} → ${to}`);
        if (message) assert.match(r.body.error.message, message);
      }
      const due = await scan(doc.barcode!, boxA.barcode, { dueBackOn: '2099-01-01' });
      assert.equal(due.body.error.code, 'due_date_without_checkout');
      const past = await scan(doc.barcode!, `user:${ids.crm}`, { dueBackOn: '2000-01-01' });
      assert.equal(past.body.error.code, 'invalid_due_date');
      const after = await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM movements');
      assert.equal(after!.n, before!.n, 'no movement was written');
      assert.equal((await ok('GET', `/api/documents/${doc.id}`, 'crm')).location.barcode, boxB.barcode);
    });

    it('given ten concurrent check-outs of one document to different people then one wins, the others get 409 and history has one check-out', async () => {
      const doc = await paper('Order T-6');
      await scan(doc.barcode!, boxA.barcode);
      const people = [ids.crm, ids.compliance, ids.mailroom, ids.admin];
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => scan(doc.barcode!, `user:${people[i % people.length]}`)));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, ...Array(9).fill(409)]);
      const winner = results.find((r) => r.status === 200)!;
      const item = await ok('GET', `/api/tracking/items/${doc.barcode}`, 'crm');
      assert.deepEqual(item.history.map((h: Json) => h.kind), ['file', 'check-out']);
      assert.equal(item.location.id, winner.body.location.id);
      const moves = await Promise.all(Array.from({ length: 6 }, () => scan(doc.barcode!, boxB.barcode)));
      assert.deepEqual(moves.map((m) => m.body.moved).sort(), [false, false, false, false, false, true]);
    });

    it('given a fixed place renamed and moved when looked up then its contents follow and the rename is audited', async () => {
      const cab = await place('Kast los', 'cabinet', room.barcode);
      const shelf = await place('Plank x', 'shelf', cab.barcode);
      const doc = await paper('Order T-7');
      await scan(doc.barcode!, shelf.barcode);
      const room2 = await place('Archief U', 'room', site.barcode);
      const patched = await ok('PATCH', `/api/locations/${cab.barcode}`, 'mailroom', { name: 'Kast 11', parent: room2.barcode });
      assert.equal(patched.path, 'Testvestiging › Archief U › Kast 11');
      assert.equal((await ok('GET', `/api/documents/${doc.id}`, 'crm')).location.path, 'Testvestiging › Archief U › Kast 11 › Plank x');
      const bad = await call('PATCH', `/api/locations/${room2.barcode}`, 'mailroom', { parent: shelf.barcode });
      assert.equal(bad.body.error.code, 'move_into_descendant');
      const { events } = await ok('GET', '/api/audit?action=location.rename', 'compliance');
      assert.deepEqual(events.map((e: Json) => [e.details.from, e.details.to]), [['Kast los', 'Kast 11']]);
    });
  });

  describe('labels', () => {
    it('given a sheet of documents and a box when printed then every barcode decodes with the real reader', async () => {
      const docs = await Promise.all([1, 2, 3, 4].map((i) => paper(`Order L-${i}`)));
      const res = await t.api('POST', '/api/labels/sheet', { as: 'mailroom', json: { documentIds: docs.map((d) => d.id), barcodes: [boxA.barcode], layout: 'a4-3x8-70x37', startAt: 22 } });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      const pdf = new Uint8Array(await res.arrayBuffer());
      assert.equal((await PDFDocument.load(pdf)).getPageCount(), 2, 'startAt 22 of 24 spills onto a second sheet');
      const codes = await decodeAll(pdf);
      assert.deepEqual(codes.sort(), [...docs.map((d) => d.barcode!), boxA.barcode].sort());
    });

    it('given one document when its label is fetched then the single label decodes to its barcode', async () => {
      const doc = await paper('Order L-5');
      const res = await t.api('GET', `/api/documents/${doc.id}/label.pdf`, { as: 'mailroom' });
      assert.equal(res.status, 200);
      assert.deepEqual(await decodeAll(new Uint8Array(await res.arrayBuffer())), [doc.barcode]);
      const place = await t.api('GET', `/api/locations/${boxB.barcode}/label.pdf?layout=single-70x37`, { as: 'mailroom' });
      assert.deepEqual(await decodeAll(new Uint8Array(await place.arrayBuffer())), [boxB.barcode]);
      const digital = (await ok('GET', '/api/customers/KL-000123/dossier', 'crm')).documents.find((d: Json) => !d.barcode);
      assert.equal((await call('GET', `/api/documents/${digital.id}/label.pdf`, 'mailroom')).body.error.code, 'no_barcode');
    });

    it('given blank codes when printed then they decode, are never issued again, and paper registered with one keeps it', async () => {
      const res = await t.api('POST', '/api/labels/blank', { as: 'mailroom', json: { count: 5, layout: 'a4-2x7-99.1x38.1' } });
      assert.equal(res.status, 200);
      const first = res.headers.get('x-barcode-first')!;
      const codes = await decodeAll(new Uint8Array(await res.arrayBuffer()), 5);
      assert.equal(codes.length, 5);
      assert.ok(codes.includes(first));
      const next = await paper('Order after blanks');
      assert.ok(!codes.includes(next.barcode!), 'the sequence moved past the reserved codes');
      const blank = codes.sort()[2]!;
      const before = await call('GET', `/api/tracking/items/${blank}`, 'crm');
      assert.equal(before.body.error.code, 'unregistered_blank_code');
      const reg = await ok('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000125', type: 'letter', barcode: ` ${blank.toLowerCase()} ` }, 201);
      assert.equal(reg.barcode, blank);
      const again = await call('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000125', type: 'letter', barcode: blank });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'barcode_in_use');
      const never = await call('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000125', type: 'letter', barcode: makeBarcode('document', 900_000) });
      assert.equal(never.body.error.code, 'barcode_not_reserved');
      const badStart = await call('POST', '/api/labels/blank', 'mailroom', { count: 2, layout: 'a4-2x7-99.1x38.1', startAt: 15 });
      assert.equal(badStart.body.error.code, 'invalid_start_at');
      const reserved = await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM reserved_barcodes');
      assert.equal(reserved!.n, 5, 'a refused request reserves nothing');
    });
  });

  describe('requests', () => {
    it('given a CRM user asking twice for the same paper then one open request; digital documents cannot be requested', async () => {
      const doc = await paper('Order R-1');
      const first = await call('POST', `/api/documents/${doc.id}/requests`, 'crm', { note: 'klantbezoek' });
      assert.equal(first.status, 201);
      const second = await call('POST', `/api/documents/${doc.id}/requests`, 'crm', {});
      assert.equal(second.status, 200);
      assert.equal(second.body.id, first.body.id);
      const digital = (await ok('GET', '/api/customers/KL-000123/dossier', 'crm')).documents.find((d: Json) => !d.barcode);
      assert.equal((await call('POST', `/api/documents/${digital.id}/requests`, 'crm', {})).body.error.code, 'not_paper');
      const mine = await ok('GET', '/api/requests?status=open', 'crm');
      assert.ok(mine.requests.every((r: Json) => r.requestedBy.id === ids.crm));
      const cancelled = await ok('POST', `/api/requests/${first.body.id}/cancel`, 'crm');
      assert.equal(cancelled.status, 'cancelled');
      assert.equal((await call('POST', `/api/requests/${first.body.id}/cancel`, 'crm')).body.error.code, 'request_closed');
    });

    it('given a box with requested paper checked out to the requester then the request is fulfilled', async () => {
      const box = await place('Doos R', 'box', shelfB.barcode);
      const doc = await paper('Order R-2');
      await scan(doc.barcode!, box.barcode);
      const req = await ok('POST', `/api/documents/${doc.id}/requests`, 'crm', {}, 201);
      const out = await scan(box.barcode, `user:${ids.crm}`);
      assert.deepEqual(out.body.fulfilledRequests, [req.id]);
      const hist = await ok('GET', `/api/tracking/items/${doc.barcode}`, 'crm');
      assert.equal(hist.history.at(-1).requestId, req.id);
      assert.equal(hist.history.at(-1).via, box.barcode);
    });
  });

  describe('inventory audit', () => {
    it('given a shelf counted box by box then missing, misplaced, unexpected and unknown are told apart, and corrections move records', async () => {
      const shelf = await place('Plank audit', 'shelf', (await place('Kast audit', 'cabinet', room.barcode)).barcode);
      const b1 = await place('Doos 1', 'box', shelf.barcode);
      const b2 = await place('Doos 2', 'box', shelf.barcode);
      const [inB1, swapped, lost, elsewhere, outDoc] = await Promise.all(['I-1', 'I-2', 'I-3', 'I-4', 'I-5'].map((n) => paper(`Order ${n}`)));
      for (const d of [inB1, swapped, lost]) await scan(d.barcode!, b1.barcode);
      await scan(elsewhere.barcode!, boxA.barcode);
      await scan(outDoc.barcode!, b2.barcode);
      await scan(outDoc.barcode!, `user:${ids.crm}`);

      const audit = await ok('POST', '/api/tracking/audits', 'mailroom', { location: shelf.barcode }, 201);
      assert.equal((await call('POST', '/api/tracking/audits', 'mailroom', { location: shelf.barcode })).body.error.code, 'audit_open');
      const blankRes = await t.api('POST', '/api/labels/blank', { as: 'mailroom', json: { count: 1 } });
      const unusedBlank = blankRes.headers.get('x-barcode-first')!;
      const s1 = await ok('POST', `/api/tracking/audits/${audit.id}/scans`, 'mailroom', { barcodes: [b1.barcode, inB1.barcode, 'D123'] });
      assert.deepEqual(s1.results.map((r: Json) => r.status), ['recorded', 'recorded', 'rejected']);
      const s2 = await ok('POST', `/api/tracking/audits/${audit.id}/scans`, 'mailroom', {
        barcodes: [b2.barcode, swapped.barcode.toLowerCase(), elsewhere.barcode, outDoc.barcode, unusedBlank, shelfA.barcode],
      });
      assert.equal(s2.results[1].foundIn, 'Testvestiging › Archief T › Kast audit › Plank audit › Doos 2');
      assert.equal(s2.results.at(-1).code, 'outside_audit');

      const done = await ok('POST', `/api/tracking/audits/${audit.id}/finish`, 'mailroom', { correct: true });
      const r = done.report;
      assert.deepEqual(r.missing.map((m: Json) => m.barcode), [lost.barcode]);
      assert.equal(r.missing[0].recordedAt, 'Testvestiging › Archief T › Kast audit › Plank audit › Doos 1');
      assert.deepEqual(r.misplaced.map((m: Json) => [m.barcode, m.foundIn.split(' › ').at(-1)]), [[swapped.barcode, 'Doos 2']]);
      assert.deepEqual(r.unexpected.map((m: Json) => m.barcode).sort(), [elsewhere.barcode, outDoc.barcode].sort());
      assert.match(r.unexpected.find((u: Json) => u.barcode === outDoc.barcode).reason, /checked out/);
      assert.deepEqual(r.unknown.map((u: Json) => u.barcode), [unusedBlank]);
      assert.deepEqual(r.present.sort(), [b1.barcode, b2.barcode, inB1.barcode].sort());
      assert.equal(r.counts.corrected, 3);
      assert.equal((await ok('GET', `/api/documents/${swapped.id}`, 'crm')).location.barcode, b2.barcode);
      assert.equal((await ok('GET', `/api/documents/${outDoc.id}`, 'crm')).location.barcode, b2.barcode, 'found back, so checked in');
      assert.equal((await ok('GET', `/api/documents/${lost.id}`, 'crm')).location.barcode, b1.barcode, 'missing paper keeps its record');
      const hist = await ok('GET', `/api/tracking/items/${swapped.barcode}`, 'crm');
      assert.equal(hist.history.at(-1).kind, 'correction');
      assert.equal(hist.history.at(-1).auditId, audit.id);
      assert.equal((await call('POST', `/api/tracking/audits/${audit.id}/finish`, 'mailroom', {})).body.error.code, 'audit_finished');
      assert.equal((await ok('GET', `/api/tracking/audits/${audit.id}`, 'compliance')).report.counts.missing, 1);
    });
  });

  describe('digitise on demand', () => {
    it('given static paper when a scan is uploaded then it is ingested, stays dynamic with the reason in its trace, and keeps barcode and history', async () => {
      await t.dl.startWorkers();
      const doc = await ok('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000123', type: 'service-contract', title: 'Servicecontract SC-2019-001', fields: { number: 'SC-2019-001', startsOn: '2019-01-01', endsOn: '2020-12-31' } }, 201);
      assert.equal(doc.class, 'static');
      await scan(doc.barcode, boxA.barcode);
      const pdf = await makeTextPdf([['Servicecontract SC-2019-001', 'Klantnummer: KL-000123', 'Onderhoud ovens, looptijd 2019-2020.']]);
      const fd = new FormData();
      fd.append('reason', 'requested three times this month');
      fd.append('file', new Blob([new Uint8Array(pdf)]), 'sc-2019-001.pdf');
      const res = await t.api('POST', `/api/documents/${doc.id}/digitise`, { as: 'mailroom', body: fd });
      assert.equal(res.status, 202, await res.clone().text());
      const queued = (await res.json()) as DocumentView;
      assert.equal(queued.status, 'queued');
      const final = await waitFinal(t, doc.id, 30_000);
      assert.equal(final.status, 'ready', final.error ?? '');
      assert.equal(final.class, 'dynamic', 'an expired contract would be static by the rules alone');
      assert.ok(final.classification.trace.some((s) => s.rule === 'digitised on demand' && /three times/.test(s.evidence ?? '')));
      assert.equal(final.barcode, doc.barcode);
      assert.equal(final.location?.barcode, boxA.barcode, 'the paper is still in its box');
      assert.match(await (await t.api('GET', `/api/documents/${doc.id}/text`, { as: 'crm' })).text(), /Onderhoud ovens/);
      assert.equal((await ok('GET', `/api/tracking/items/${doc.barcode}`, 'crm')).history.length, 1);
      const fd2 = new FormData();
      fd2.append('file', new Blob([new Uint8Array(pdf)]), 'again.pdf');
      assert.equal((await t.api('POST', `/api/documents/${doc.id}/digitise`, { as: 'mailroom', body: fd2 })).status, 409);
    });
  });

  it('given all of the above when the audit chain is verified then it holds', async () => {
    const v = await ok('GET', '/api/audit/verify', 'compliance');
    assert.equal(v.ok, true);
  });
});
