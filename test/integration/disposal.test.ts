import assert from 'node:assert/strict';
import { extractPdfText } from '../../src/adapters/pdf/pdf-text.js';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTextPdf } from '../../src/adapters/pdf/text-pdf.js';
import { searchRepository } from '../../src/db/search.repository.js';
import { makeBarcode } from '../../src/domain/barcode.js';
import type { DocumentView } from '../../src/domain/document.js';
import { fakeClock } from '../../src/services/clock.js';
import type { DisposalView } from '../../src/services/disposal.service.js';
import { searchIds, upload, waitFinal } from '../helpers/ingest-helpers.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const objectPath = (dir: string, sha: string) => path.join(dir, 'objects', 'sha256', sha.slice(0, 2), sha.slice(2, 4), sha);
const exists = (p: string) => access(p).then(() => true, () => false);
type Err = { error: { code: string; message: string; details?: unknown } };

/**
 * A document's life from intake to destruction, with a fake clock: a scanned invoice and a
 * registered paper order, a query hold on the invoices, seven years later the due list, a
 * disposal proposed by one officer and approved by another, digital destruction that leaves
 * nothing behind, paper shredded barcode by barcode, and the certificate.
 */
describe('disposal: intake to destruction', () => {
  const clock = fakeClock('2026-11-23T09:00:00Z');
  let t: TestApp;
  let invoice: DocumentView;
  let order: DocumentView;
  let holdId: string;
  let disposal: DisposalView;
  const digitalGone: { id: string; sha: string[] }[] = [];

  const json = async <T>(res: Response) => (await res.json()) as T;
  const code = async (res: Response) => (await json<Err>(res)).error.code;
  const liveRow = (id: string) => t.dl.db.get<{ id: string }>('SELECT id FROM documents WHERE id = ? AND destroyed_at IS NULL', [id]);

  before(async () => {
    t = await startTestApp({ clock });
    await t.dl.startWorkers();
    const pdf = await makeTextPdf([['Factuur F-2026-7731', 'Klantnummer: KL-000124', 'Factuurdatum: 03-11-2026', 'Onderhoud koelcel zuidvleugel, totaal EUR 980,00']], { title: 'Factuur F-2026-7731' });
    const res = await upload(t, pdf, 'factuur-7731.pdf', { customerId: 'KL-000124', type: 'invoice' });
    assert.equal(res.status, 202, await res.clone().text());
    invoice = await waitFinal(t, (await json<DocumentView>(res)).id, 60_000);
    const paper = await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000124', type: 'order', title: 'Order ORD-2026-5120 koelcel', docDate: '2026-11-02', fields: { number: 'ORD-2026-5120' } } });
    assert.equal(paper.status, 201);
    order = await json<DocumentView>(paper);
    // File it in the demo box where the other orders are.
    const dossier = await json<{ documents: DocumentView[] }>(await t.api('GET', '/api/customers/KL-000124/dossier', { as: 'crm' }));
    const box = dossier.documents.find((d) => d.barcode && d.id !== order.id && d.location?.barcode)!.location!.barcode!;
    assert.equal((await t.api('POST', '/api/tracking/scan', { as: 'mailroom', json: { barcode: order.barcode, to: box } })).status, 200);
  });
  after(() => t.close());

  it('given intake when the documents are registered then each has retention from its schedule', () => {
    assert.equal(invoice.retention.legalBasis.includes('AWR art. 52'), true);
    assert.equal(invoice.retention.period, 'P7Y');
    assert.ok(invoice.retention.endsOn && invoice.retention.endsOn >= '2033-11-03' && invoice.retention.endsOn <= '2033-11-23', invoice.retention.endsOn ?? 'null');
    assert.equal(order.retention.endsOn, '2033-11-02');
    assert.equal(order.retention.disposition, 'destroy');
    assert.equal(invoice.retention.hold, false);
  });

  it('given a query hold on the customer\'s invoices when placed then the invoice is held (also in the dossier) and the order is not', async () => {
    const res = await t.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Dispute about maintenance invoices (case 2026-17)', query: { customerId: 'KL-000124', type: 'invoice' } } });
    assert.equal(res.status, 201);
    const hold = await json<{ id: string; documentIds: string[]; kind: string }>(res);
    holdId = hold.id;
    assert.equal(hold.kind, 'query');
    assert.deepEqual(hold.documentIds, [invoice.id]);
    const dossier = await json<{ documents: DocumentView[]; holds: { id: string; reason: string | null }[] }>(await t.api('GET', '/api/customers/KL-000124/dossier', { as: 'compliance' }));
    assert.equal(dossier.documents.find((d) => d.id === invoice.id)!.retention.hold, true);
    assert.equal(dossier.documents.find((d) => d.id === order.id)!.retention.hold, false);
    assert.deepEqual(dossier.holds.map((h) => h.id), [holdId]);
    assert.match(dossier.holds[0].reason!, /case 2026-17/);
    const crm = await json<{ holds: { reason: string | null }[] }>(await t.api('GET', '/api/customers/KL-000124/dossier', { as: 'crm' }));
    assert.equal(crm.holds[0].reason, null, 'the reason of a hold is for compliance only');
  });

  it('given seven years later when the due list is asked then the order is due and the held invoice is listed apart', async () => {
    clock.set('2034-01-15T09:00:00Z');
    const due = await json<{ documents: DocumentView[]; held: DocumentView[] }>(await t.api('GET', '/api/retention/due?before=2034-01-16', { as: 'compliance' }));
    assert.ok(due.documents.some((d) => d.id === order.id));
    assert.ok(!due.documents.some((d) => d.id === invoice.id));
    assert.deepEqual(due.held.map((d) => d.id), [invoice.id]);
    assert.ok(due.documents.every((d) => d.retention.endsOn! < '2034-01-16'));
  });

  it('given a held document when proposed for disposal then 409 legal_hold', async () => {
    const res = await t.api('POST', '/api/disposals', { as: 'compliance', json: { reason: 'test', documentIds: [invoice.id] } });
    assert.equal(res.status, 409);
    assert.equal(await code(res), 'legal_hold');
  });

  it('given everything due when proposed then held documents are left out and review items need a decision', async () => {
    const res = await t.api('POST', '/api/disposals', { as: 'compliance', json: { reason: 'Disposal round January 2034', dueBefore: '2034-01-16' } });
    assert.equal(res.status, 201);
    disposal = await json<DisposalView>(res);
    assert.equal(disposal.status, 'proposed');
    assert.ok(disposal.items.some((i) => i.documentId === order.id && i.medium === 'paper'));
    assert.ok(!disposal.items.some((i) => i.documentId === invoice.id));
    assert.equal(disposal.progress.excludedHeld, 1);
    assert.equal(disposal.counts.reviewUndecided, 1, 'the expired service contract is a review item');
  });

  it('given the proposer when approving then 403 four_eyes; a second officer first needs the review decided', async () => {
    const own = await t.api('POST', `/api/disposals/${disposal.id}/approve`, { as: 'compliance', json: {} });
    assert.equal(own.status, 403);
    assert.equal(await code(own), 'four_eyes');
    const undecided = await t.api('POST', `/api/disposals/${disposal.id}/approve`, { as: 'compliance2', json: {} });
    assert.equal(undecided.status, 409);
    assert.equal(await code(undecided), 'review_undecided');
  });

  it('given a review decision to extend when the second officer approves then the disposal is approved', async () => {
    const review = disposal.items.find((i) => i.disposition === 'review')!;
    const bad = await t.api('POST', `/api/disposals/${disposal.id}/review`, { as: 'compliance', json: { documentId: review.documentId, decision: 'extend', note: 'claim pending' } });
    assert.equal(bad.status, 400);
    const ok = await t.api('POST', `/api/disposals/${disposal.id}/review`, { as: 'compliance', json: { documentId: review.documentId, decision: 'extend', until: '2036-01-31', note: 'Warranty claim on the installation still open' } });
    assert.equal(ok.status, 200);
    const approved = await t.api('POST', `/api/disposals/${disposal.id}/approve`, { as: 'compliance2', json: { note: 'checked the list' } });
    assert.equal(approved.status, 200, await approved.clone().text());
    disposal = await json<DisposalView>(approved);
    assert.equal(disposal.status, 'approved');
    assert.equal(disposal.approvedBy!.name, 'Connor (second compliance officer)');
  });

  it('given an approved disposal before execution when paper is scanned or the pick list asked then 409 not_executing', async () => {
    const res = await t.api('POST', `/api/disposals/${disposal.id}/shred`, { as: 'mailroom', json: { barcode: order.barcode } });
    assert.equal(res.status, 409);
    assert.equal(await code(res), 'not_executing');
    const list = await t.api('GET', `/api/disposals/${disposal.id}/pick-list`, { as: 'mailroom' });
    assert.equal(list.status, 409);
    assert.ok(await liveRow(order.id));
  });

  it('given execution when run then digital copies go, paper goes on the pick list and the review item is kept longer', async () => {
    for (const i of disposal.items.filter((x) => x.medium === 'digital')) {
      const row = await t.dl.db.get<{ original_sha256: string | null; archive_sha256: string | null }>('SELECT original_sha256, archive_sha256 FROM documents WHERE id = ?', [i.documentId]);
      digitalGone.push({ id: i.documentId, sha: [row!.original_sha256, row!.archive_sha256].filter((s): s is string => Boolean(s)) });
      for (const s of digitalGone.at(-1)!.sha) assert.ok(await exists(objectPath(t.dataDir, s)), 'stored before');
    }
    assert.ok(digitalGone.length >= 3);
    const res = await t.api('POST', `/api/disposals/${disposal.id}/execute`, { as: 'compliance' });
    assert.equal(res.status, 200);
    const body = await json<{ summary: Record<string, number>; disposal: DisposalView }>(res);
    assert.equal(body.summary.destroyed, digitalGone.length);
    assert.equal(body.summary.extended, 1);
    assert.equal(body.summary.awaitingShredding, disposal.items.filter((i) => i.medium === 'paper' && i.disposition !== 'review').length);
    assert.equal(body.disposal.status, 'executing');
    const extended = await t.dl.db.get<{ until: string }>('SELECT until FROM retention_extensions WHERE document_id = ?', [disposal.items.find((i) => i.disposition === 'review')!.documentId]);
    assert.equal(extended?.until, '2036-01-31');
  });

  it('given destroyed digital documents when every store is checked then nothing of them remains but a tombstone', async () => {
    for (const g of digitalGone) {
      for (const s of g.sha) assert.equal(await exists(objectPath(t.dataDir, s)), false, `object ${s} removed`);
      assert.equal((await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM document_pages WHERE document_id = ?', [g.id]))!.n, 0);
      assert.equal(await searchRepository.indexed(t.dl.db, g.id), false);
      assert.equal((await t.api('GET', `/api/documents/${g.id}`, { as: 'compliance' })).status, 404);
      const tomb = await t.dl.db.get<{ title: string; fields: string; classification: string; destroyed_at: string }>('SELECT title, fields, classification, destroyed_at FROM documents WHERE id = ?', [g.id]);
      assert.match(tomb!.title, /^\[destroyed /);
      assert.equal(tomb!.fields, '{}');
      assert.deepEqual(JSON.parse(tomb!.classification).trace, []);
    }
    // The demo quote and SLA texts were in the index; no hit may point at a destroyed document.
    for (const word of ['broodlijn', 'facilitair', 'koelunit']) {
      const hits = await searchIds(t, word);
      assert.ok(!hits.some((h) => digitalGone.some((g) => g.id === h)), word);
    }
  });

  it('given the pick list when read then the paper to shred is in walking order, as JSON and PDF', async () => {
    const list = await json<{ items: { barcode: string; available: boolean; location: { path: string } | null; action: string }[] }>(await t.api('GET', `/api/disposals/${disposal.id}/pick-list`, { as: 'mailroom' }));
    assert.ok(list.items.some((i) => i.barcode === order.barcode && i.available && i.action === 'shred'));
    const ranks = list.items.map((i) => (i.available ? 0 : i.location ? 1 : 2));
    assert.deepEqual(ranks, [...ranks].sort());
    const pdf = await t.api('GET', `/api/disposals/${disposal.id}/pick-list.pdf`, { as: 'mailroom' });
    assert.equal(pdf.status, 200);
    assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
  });

  it('given wrong barcodes when scanned as shredded then clear 4xx: malformed, unknown, not on the list, kept after review', async () => {
    const scan = (barcode: string) => t.api('POST', `/api/disposals/${disposal.id}/shred`, { as: 'mailroom', json: { barcode } });
    let res = await scan('D12');
    assert.equal(res.status, 400);
    assert.equal(await code(res), 'invalid_barcode');
    res = await scan(makeBarcode('document', 9_876_543));
    assert.equal(res.status, 404);
    assert.equal(await code(res), 'unknown_barcode');
    const coupon = (await json<{ documents: DocumentView[] }>(await t.api('GET', '/api/customers/KL-000125/dossier', { as: 'compliance' }))).documents.find((d) => d.barcode)!;
    res = await scan(coupon.barcode!);
    assert.equal(res.status, 409);
    assert.equal(await code(res), 'not_in_disposal');
    res = await scan(disposal.items.find((i) => i.disposition === 'review')!.barcode!);
    assert.equal(res.status, 409);
    assert.equal(await code(res), 'item_not_pending');
  });

  it('given a hold placed after approval when its paper is scanned then 409 legal_hold, and execution skips it', async () => {
    const held = disposal.items.find((i) => i.medium === 'paper' && i.disposition === 'destroy' && i.documentId !== order.id)!;
    const h = await t.api('POST', '/api/holds', { as: 'compliance2', json: { reason: 'Auditor asked for it', documentIds: [held.documentId] } });
    assert.equal(h.status, 201);
    const res = await t.api('POST', `/api/disposals/${disposal.id}/shred`, { as: 'mailroom', json: { barcode: held.barcode } });
    assert.equal(res.status, 409);
    assert.equal(await code(res), 'legal_hold');
    assert.ok(await liveRow(held.documentId), 'still there');
    const again = await json<{ summary: Record<string, number> }>(await t.api('POST', `/api/disposals/${disposal.id}/execute`, { as: 'compliance' }));
    assert.equal(again.summary.skipped, 1);
  });

  it('given each remaining paper item scanned as shredded then it is gone, a repeat scan is harmless and the disposal completes', async () => {
    const list = await json<{ items: { barcode: string; documentId: string }[] }>(await t.api('GET', `/api/disposals/${disposal.id}/pick-list`, { as: 'mailroom' }));
    assert.ok(list.items.length >= 2);
    let last: { completed: boolean; paperRemaining: number } | undefined;
    for (const i of list.items) {
      const res = await t.api('POST', `/api/disposals/${disposal.id}/shred`, { as: 'mailroom', json: { barcode: i.barcode } });
      assert.equal(res.status, 200, await res.clone().text());
      last = await json(res);
      assert.equal(await liveRow(i.documentId), undefined);
    }
    assert.deepEqual(last, { ...last, completed: true, paperRemaining: 0 });
    const repeat = await json<{ already: boolean }>(await t.api('POST', `/api/disposals/${disposal.id}/shred`, { as: 'mailroom', json: { barcode: order.barcode } }));
    assert.equal(repeat.already, true);
    assert.equal((await t.api('GET', `/api/tracking/items/${order.barcode}`, { as: 'mailroom' })).status, 404);
    const d = await json<DisposalView>(await t.api('GET', `/api/disposals/${disposal.id}`, { as: 'compliance' }));
    assert.equal(d.status, 'completed');
    const shredded = d.items.find((i) => i.documentId === order.id)!;
    assert.equal(shredded.method, 'shredded');
    assert.equal(shredded.doneBy!.name, 'Mila (mailroom)');
  });

  it('given a completed disposal when the certificate is asked then a PDF names it final', async () => {
    const res = await t.api('GET', `/api/disposals/${disposal.id}/certificate.pdf`, { as: 'compliance' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.doesNotMatch(res.headers.get('content-disposition')!, /interim/);
    assert.equal(Buffer.from(await res.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
  });

  it('given the certificate when asked without and with lang=en then it is Dutch by default and English on request', async () => {
    const text = async (q: string) => {
      const res = await t.api('GET', `/api/disposals/${disposal.id}/certificate.pdf${q}`, { as: 'compliance' });
      assert.equal(res.status, 200);
      return (await extractPdfText(new Uint8Array(await res.arrayBuffer()))).pages.map((p) => p.text).join('\n');
    };
    const nl = await text('');
    assert.match(nl, /Verklaring van vernietiging/);
    assert.match(nl, /Goedgekeurd door/);
    assert.doesNotMatch(nl, /Certificate of destruction|Approved by/);
    const en = await text('?lang=en');
    assert.match(en, /Certificate of destruction/);
    assert.doesNotMatch(en, /Verklaring van vernietiging/);
    assert.equal((await t.api('GET', `/api/disposals/${disposal.id}/certificate.pdf?lang=fr`, { as: 'compliance' })).status, 400);
  });

  it('given the hold released when the invoice is disposed of then its original, archive copy, text and index entry are gone', async () => {
    assert.equal((await t.api('POST', `/api/holds/${holdId}/release`, { as: 'compliance', json: { reason: 'Dispute settled' } })).status, 200);
    const again = await t.api('POST', `/api/holds/${holdId}/release`, { as: 'compliance', json: { reason: 'twice' } });
    assert.equal(await code(again), 'hold_released');
    assert.ok((await searchIds(t, 'zuidvleugel')).includes(invoice.id));
    const row = (await t.dl.db.get<{ original_sha256: string; archive_sha256: string | null }>('SELECT original_sha256, archive_sha256 FROM documents WHERE id = ?', [invoice.id]))!;
    const p = await json<DisposalView>(await t.api('POST', '/api/disposals', { as: 'compliance2', json: { reason: 'Dispute settled; retention ended', documentIds: [invoice.id] } }));
    assert.equal((await t.api('POST', `/api/disposals/${p.id}/approve`, { as: 'compliance', json: {} })).status, 200);
    const exec = await json<{ summary: { destroyed: number } }>(await t.api('POST', `/api/disposals/${p.id}/execute`, { as: 'compliance2' }));
    assert.equal(exec.summary.destroyed, 1);
    for (const s of [row.original_sha256, row.archive_sha256].filter((x): x is string => Boolean(x))) assert.equal(await exists(objectPath(t.dataDir, s)), false);
    assert.deepEqual(await searchIds(t, 'zuidvleugel'), []);
    assert.equal(await searchRepository.indexed(t.dl.db, invoice.id), false);
  });

  it('given the whole walk when the audit log is read then every step is an event and the chain holds', async () => {
    const actions = new Set(
      (await json<{ events: { action: string }[] }>(await t.api('GET', '/api/audit?limit=1000&from=2034-01-01', { as: 'compliance' }))).events.map((e) => e.action),
    );
    for (const a of ['disposal.propose', 'disposal.review', 'disposal.approve', 'disposal.execute', 'document.destroy', 'disposal.shred', 'retention.extend', 'disposal.complete', 'hold.place', 'hold.release', 'disposal.certificate']) {
      assert.ok(actions.has(a), a);
    }
    assert.equal((await json<{ ok: boolean }>(await t.api('GET', '/api/audit/verify', { as: 'compliance' }))).ok, true);
  });
});
