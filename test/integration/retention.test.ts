import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DocumentView } from '../../src/domain/document.js';
import { fakeClock } from '../../src/services/clock.js';
import type { DisposalView } from '../../src/services/disposal.service.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { tamperWithAudit } from '../helpers/audit-tamper.js';
import { countWriteTurns, startAppWithStaleLetters } from '../helpers/write-turns.js';
import { WRITE_BATCH } from '../../src/services/document-records.js';

type Err = { error: { code: string } };

describe('retention and legal holds', () => {
  const clock = fakeClock('2026-11-23T09:00:00Z');
  let t: TestApp;
  const json = async <T>(res: Response) => (await res.json()) as T;
  const dossier = async (id: string, as: 'compliance' | 'crm' = 'compliance') =>
    json<{ customer: { restricted: boolean }; documents: DocumentView[]; holds: { id: string; kind: string; reason: string | null; scope: string }[] }>(await t.api('GET', `/api/customers/${id}/dossier`, { as }));
  const customer = (id: string) => t.dl.services.customers.get(id);

  before(async () => {
    t = await startTestApp({ clock });
  });
  after(() => t.close());

  describe('recomputing', () => {
    it('given a letter while the relationship lasts when the CRM sets relationshipEndedOn then its retention starts and ends two years later', async () => {
      const letter = () => dossier('KL-000127').then((d) => d.documents.find((x) => x.type === 'letter')!);
      assert.equal((await letter()).retention.endsOn, null);
      const c = await customer('KL-000127');
      const put = await t.api('PUT', '/api/customers/KL-000127', { as: 'crm', json: { name: c.name, attributes: { relationshipEndedOn: '2026-06-30' } } });
      assert.equal(put.status, 200);
      assert.deepEqual({ startsOn: (await letter()).retention.startsOn, endsOn: (await letter()).retention.endsOn }, { startsOn: '2026-06-30', endsOn: '2028-06-30' });
      const events = await t.dl.services.audit.query({ customerId: 'KL-000127', action: 'retention.recompute' });
      assert.equal(events.length, 1);
      // The CRM takes the end back (a new contract): open-ended again.
      await t.api('PUT', '/api/customers/KL-000127', { as: 'crm', json: { name: c.name, attributes: {} } });
      assert.equal((await letter()).retention.endsOn, null);
    });

    it('given a reply coupon when consent is withdrawn then it is kept one more year', async () => {
      const c = await customer('KL-000125');
      await t.api('PUT', '/api/customers/KL-000125', { as: 'crm', json: { name: c.name, kvk: c.kvk, email: c.email, address: c.address, postcode: c.postcode, city: c.city, attributes: { consentWithdrawnOn: '2026-11-01' } } });
      const coupon = (await dossier('KL-000125')).documents.find((d) => d.type === 'reply-coupon')!;
      assert.equal(coupon.retention.endsOn, '2027-11-01');
    });

    it('given a customer when recomputed on request then nothing changes twice', async () => {
      const res = await t.api('POST', '/api/retention/recompute', { as: 'compliance', json: { customerId: 'KL-000125' } });
      assert.equal(res.status, 200);
      assert.equal((await json<{ changed: number }>(res)).changed, 0);
    });

    it('given a stale retention date when the full recompute runs then it is corrected, in batches, with progress', async () => {
      const doc = (await dossier('KL-000123')).documents.find((d) => d.type === 'invoice')!;
      await t.dl.db.run("UPDATE documents SET retention_ends_on = '2099-01-01' WHERE id = ?", [doc.id]);
      const res = await t.api('POST', '/api/retention/recompute', { as: 'compliance', json: {} });
      assert.equal(res.status, 202);
      type Run = { running: boolean; checked: number; total: number; changed: number; error: string | null };
      let run: Run | null = null;
      for (let i = 0; i < 100; i++) {
        run = (await json<{ run: Run | null }>(await t.api('GET', '/api/retention/recompute', { as: 'compliance' }))).run;
        if (run && !run.running) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(run);
      assert.deepEqual({ running: run.running, error: run.error, changed: run.changed }, { running: false, error: null, changed: 1 });
      assert.equal(run.checked, run.total);
      assert.equal((await dossier('KL-000123')).documents.find((d) => d.id === doc.id)!.retention.endsOn, doc.retention.endsOn);
    });
    it('given a full recompute when it computes then it holds no write turn for that: one turn, for the batch with the stale date (writes and audited reads never wait behind its reading)', async () => {
      const doc = (await dossier('KL-000123')).documents.find((d) => d.type === 'invoice')!;
      const db = t.dl.db;
      const w = countWriteTurns(db);
      try {
        const idle = t.dl.services.retention.startFullRecompute({ id: 'test', name: 'Test', roles: ['compliance'] });
        await idle.done;
        assert.equal(t.dl.services.retention.status()!.changed, 0);
        assert.equal(w.turns, 0, 'nothing to change, nothing written');
        await db.run("UPDATE documents SET retention_ends_on = '2099-01-01' WHERE id = ?", [doc.id]);
        const one = t.dl.services.retention.startFullRecompute({ id: 'test', name: 'Test', roles: ['compliance'] });
        await one.done;
        const run = t.dl.services.retention.status()!;
        assert.deepEqual({ changed: run.changed, error: run.error, turns: w.turns }, { changed: 1, error: null, turns: 1 });
      } finally {
        w.stop();
      }
      assert.equal((await dossier('KL-000123')).documents.find((d) => d.id === doc.id)!.retention.endsOn, doc.retention.endsOn);
    });
  });

  describe('due list and holds', () => {
    it('given an impossible date when the due list is asked then 400', async () => {
      assert.equal((await t.api('GET', '/api/retention/due?before=2026-13-01', { as: 'compliance' })).status, 400);
    });

    it('given a customer hold when the due list is asked then its due documents move to `held` and the dossier shows the hold', async () => {
      const dueBefore = await json<{ documents: DocumentView[]; held: DocumentView[] }>(await t.api('GET', '/api/retention/due?before=2026-12-01', { as: 'compliance' }));
      const ids126 = dueBefore.documents.filter((d) => d.customerId === 'KL-000126').map((d) => d.id).sort();
      assert.equal(ids126.length, 2, 'the historical quote and the expired SLA of KL-000126 are due');
      const res = await t.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Bankruptcy trustee asked for all records', customerId: 'KL-000126' } });
      assert.equal(res.status, 201);
      const hold = await json<{ id: string }>(res);
      const due = await json<{ documents: DocumentView[]; held: DocumentView[] }>(await t.api('GET', '/api/retention/due?before=2026-12-01', { as: 'compliance' }));
      assert.deepEqual(due.documents.filter((d) => d.customerId === 'KL-000126'), []);
      assert.deepEqual(due.held.map((d) => d.id).sort(), ids126);
      const d = await dossier('KL-000126');
      assert.ok(d.documents.every((x) => x.retention.hold));
      assert.deepEqual(d.holds.map((h) => h.id), [hold.id]);
      const p = await t.api('POST', '/api/disposals', { as: 'compliance', json: { reason: 'x round', documentIds: ids126 } });
      assert.equal(p.status, 409);
      assert.equal((await json<Err>(p)).error.code, 'legal_hold');
      const byDueDate = await t.api('POST', '/api/disposals', { as: 'compliance', json: { reason: 'round', dueBefore: '2026-12-01' } });
      assert.equal(byDueDate.status, 409);
      assert.equal((await json<Err>(byDueDate)).error.code, 'nothing_due');
      assert.equal((await t.api('POST', `/api/holds/${hold.id}/release`, { as: 'compliance', json: { reason: 'Trustee done' } })).status, 200);
      assert.deepEqual((await dossier('KL-000126')).holds, []);
    });

    it('given a structured query hold when new matching paper arrives then it is held too', async () => {
      const res = await t.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Tax audit 2026 orders', query: { customerId: 'KL-000124', type: 'order', from: '2026-01-01', to: '2026-12-31' } } });
      assert.equal(res.status, 201);
      const hold = await json<{ id: string; scope: string }>(res);
      assert.match(hold.scope, /order documents of customer KL-000124 dated 2026-01-01 to 2026-12-31/);
      const newer = await json<DocumentView>(await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000124', type: 'order', docDate: '2026-11-20' } }));
      const older = await json<DocumentView>(await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000124', type: 'order', docDate: '2025-11-20' } }));
      assert.equal(newer.retention.hold, true);
      assert.equal(older.retention.hold, false);
      const detail = await json<{ covered: { id: string }[] }>(await t.api('GET', `/api/holds/${hold.id}`, { as: 'compliance' }));
      assert.deepEqual(detail.covered.map((c) => c.id), [newer.id]);
    });

    it('given a text query hold when placed then the matching documents are frozen into it', async () => {
      const res = await t.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Complaint about bread line maintenance', query: { text: 'broodlijn' } } });
      assert.equal(res.status, 201);
      const hold = await json<{ documentIds: string[] }>(res);
      const quote = (await dossier('KL-000123')).documents.find((d) => d.type === 'quote')!;
      assert.deepEqual(hold.documentIds, [quote.id]);
      assert.equal(quote.retention.hold, true);
      const bad = await t.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Nothing given', query: {} } });
      assert.equal(bad.status, 400);
      const both = await t.api('POST', '/api/holds', { as: 'compliance', json: { reason: 'Two scopes', customerId: 'KL-000123', documentIds: [quote.id] } });
      assert.equal(both.status, 400);
    });

    it('given holds placed and released when the audit log is read then each is an event with its reason', async () => {
      const placed = await t.dl.services.audit.query({ action: 'hold.place' });
      const released = await t.dl.services.audit.query({ action: 'hold.release' });
      assert.equal(placed.length, 3);
      assert.equal(released.length, 1);
      assert.equal(released[0].details.reason, 'Trustee done');
    });
  });

  describe('four eyes', () => {
    it('given the officer who decided a review item when approving then 403 four_eyes; the proposer cannot either', async () => {
      const sc = (await dossier('KL-000123')).documents.find((d) => d.type === 'service-contract')!;
      clock.set('2031-02-15T09:00:00Z');
      const p = await json<DisposalView>(await t.api('POST', '/api/disposals', { as: 'compliance', json: { reason: 'Expired contract', documentIds: [sc.id] } }));
      await t.api('POST', `/api/disposals/${p.id}/review`, { as: 'compliance2', json: { documentId: sc.id, decision: 'destroy', note: 'No claims known' } });
      for (const who of ['compliance', 'compliance2'] as const) {
        const res = await t.api('POST', `/api/disposals/${p.id}/approve`, { as: who, json: {} });
        assert.equal(res.status, 403);
        assert.equal((await json<Err>(res)).error.code, 'four_eyes');
      }
      const admin = await t.api('POST', `/api/disposals/${p.id}/approve`, { as: 'admin', json: {} });
      assert.equal(admin.status, 200);
      const cancel = await t.api('POST', `/api/disposals/${p.id}/cancel`, { as: 'compliance', json: { reason: 'Wrong round' } });
      assert.equal((await json<DisposalView>(cancel)).status, 'cancelled');
      assert.equal((await t.api('POST', `/api/disposals/${p.id}/execute`, { as: 'compliance' })).status, 409);
      clock.set('2026-11-23T09:00:00Z');
    });
  });

  describe('audit chain', () => {
    it('given a tampered disposal approval in the log when verified then that event is reported', async () => {
      const before = await json<{ ok: boolean }>(await t.api('GET', '/api/audit/verify', { as: 'compliance' }));
      assert.equal(before.ok, true);
      const row = await t.dl.db.get<{ seq: number }>("SELECT seq FROM audit_events WHERE action = 'disposal.approve' ORDER BY seq LIMIT 1");
      await tamperWithAudit(t.dl.db, "UPDATE audit_events SET actor_id = (SELECT actor_id FROM audit_events WHERE action = 'disposal.propose' LIMIT 1) WHERE seq = ?", [row!.seq]);
      const v = await json<{ ok: boolean; firstBadEvent?: { seq: number; reason: string } }>(await t.api('GET', '/api/audit/verify', { as: 'compliance' }));
      assert.equal(v.ok, false);
      assert.equal(v.firstBadEvent?.seq, row!.seq);
      const report = await json<{ auditLog: { ok: boolean } }>(await t.api('GET', '/api/compliance/report', { as: 'compliance' }));
      assert.equal(report.auditLog.ok, false, 'the compliance report says so too');
    });
  });
});

describe('a recompute that changes most documents', () => {
  let t: TestApp;
  before(async () => {
    t = await startAppWithStaleLetters(120);
  });
  after(() => t?.close());

  it(`given 120 documents to correct when the full recompute runs then it writes them WRITE_BATCH (${WRITE_BATCH}) per transaction, so others get a turn in between, and audits each`, async () => {
    const w = countWriteTurns(t.dl.db);
    try {
      await t.dl.services.retention.startFullRecompute({ id: 'test', name: 'Test', roles: ['compliance'] }).done;
    } finally {
      w.stop();
    }
    const run = t.dl.services.retention.status()!;
    assert.deepEqual({ checked: run.checked, changed: run.changed, error: run.error, turns: w.turns }, { checked: 120, changed: 120, error: null, turns: 120 / WRITE_BATCH });
    const events = await t.dl.services.audit.query({ action: 'retention.recompute' });
    assert.deepEqual(events.map((e) => (e.details as { count: number }).count).sort(), Array<number>(120 / WRITE_BATCH).fill(WRITE_BATCH));
    assert.equal((await t.dl.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM documents WHERE retention_legal_basis = 'x'"))!.n, 0);
  });
});
