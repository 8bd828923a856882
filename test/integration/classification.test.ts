import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DocumentView } from '../../src/domain/document.js';
import { fakeClock } from '../../src/services/clock.js';
import { upload, waitFinal } from '../helpers/ingest-helpers.js';
import { makeTextPdf } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { countWriteTurns, startAppWithStaleLetters } from '../helpers/write-turns.js';
import { WRITE_BATCH } from '../../src/services/document-records.js';

type Dossier = { documents: DocumentView[] };
const ADMIN = { id: 'test', name: 'Test', roles: ['admin' as const] };

describe('classification by scope over time', () => {
  const clock = fakeClock('2026-11-23T09:00:00Z');
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ clock });
  });
  after(() => t.close());

  const sla = async () => {
    const d = (await (await t.api('GET', '/api/customers/KL-000125/dossier', { as: 'crm' })).json()) as Dossier;
    return d.documents.find((x) => x.type === 'sla')!;
  };

  it('given a current SLA under customer care when its end date passes and the daily pass runs then it becomes static, with the reason in its trace', async () => {
    assert.equal((await sla()).class, 'dynamic');
    clock.set('2027-12-31T12:00:00Z');
    await t.dl.services.classification.daily(ADMIN);
    assert.equal((await sla()).class, 'dynamic', 'still current on its last day');
    clock.set('2028-01-01T08:00:00Z');
    const report = await t.dl.services.classification.daily(ADMIN);
    assert.ok(report.toStatic >= 1, report.summary);
    const after = await sla();
    assert.equal(after.class, 'static');
    assert.ok(after.classification.trace.some((s) => s.scope === 'care' && /expired SLA/.test(s.evidence ?? '')), JSON.stringify(after.classification.trace));
    const again = await t.dl.services.classification.daily(ADMIN);
    assert.equal(again.changed, 0, 'the daily pass changes nothing twice');
    clock.set('2026-11-23T09:00:00Z');
    await t.dl.services.classification.daily(ADMIN);
  });

  it('given the daily pass when it decides then it holds no write turn for that: none when nothing changes, one for a batch with a change (writes and audited reads never wait behind its reading)', async () => {
    // Writes take turns (SQLite's one writer; a cluster-wide lock on PostgreSQL), and every
    // audited read writes its audit event: deciding 500 documents inside a turn held it 1-2 s.
    const db = t.dl.db;
    const w = countWriteTurns(db);
    try {
      const none = await t.dl.services.classification.daily(ADMIN);
      assert.equal(none.changed, 0, none.summary);
      assert.equal(none.checked, (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM documents WHERE destroyed_at IS NULL'))!.n, 'every document was decided');
      assert.equal(w.turns, 0, 'a pass that changes nothing writes nothing');
      clock.set('2028-01-01T08:00:00Z');
      const one = await t.dl.services.classification.daily(ADMIN);
      assert.ok(one.toStatic >= 1, one.summary);
      assert.equal(w.turns, 1, 'the batch with the change is written in one turn');
      assert.equal((await sla()).class, 'static');
    } finally {
      w.stop();
      clock.set('2026-11-23T09:00:00Z');
      await t.dl.services.classification.daily(ADMIN);
    }
    assert.equal((await sla()).class, 'dynamic');
  });

  it('given a document changed after the daily pass read it when the pass writes then it decides that document again from its current data', async () => {
    const db = t.dl.db;
    const { id } = await sla();
    const row = (await db.get<{ fields: string }>('SELECT fields FROM documents WHERE id = ?', [id]))!;
    clock.set('2028-01-01T08:00:00Z');
    const tx = db.tx;
    // Between the pass's reading and its write, someone extends the SLA to 2029.
    db.tx = (async (fn) => {
      db.tx = tx;
      await tx.call(db, (q) => q.run('UPDATE documents SET fields = ? WHERE id = ?', [JSON.stringify({ ...JSON.parse(row.fields), endsOn: '2029-12-31' }), id]));
      return tx.call(db, fn);
    }) as typeof db.tx;
    try {
      const report = await t.dl.services.classification.daily(ADMIN);
      assert.equal((await sla()).class, 'dynamic', 'still current under its new end date');
      assert.ok(!report.examples.some((e) => e.id === id), JSON.stringify(report.examples));
    } finally {
      db.tx = tx;
      await db.tx((q) => q.run('UPDATE documents SET fields = ? WHERE id = ?', [row.fields, id]));
      clock.set('2026-11-23T09:00:00Z');
      await t.dl.services.classification.daily(ADMIN);
    }
  });

  it('given a scope change when dry-run then it reports what would change and changes nothing', async () => {
    const before = await t.dl.db.all<{ id: string; class: string }>('SELECT id, class FROM documents ORDER BY id');
    const res = await t.api('PUT', '/api/scopes/active?dryRun=true', { as: 'admin', json: { scopes: ['loyalty'] } });
    assert.equal(res.status, 200);
    const report = (await res.json()) as { dryRun: boolean; toStatic: number; toDynamic: number; summary: string; examples: { to: string; why: string }[] };
    assert.equal(report.dryRun, true);
    const dynamicBefore = before.filter((d) => d.class === 'dynamic').length;
    assert.equal(report.toStatic, dynamicBefore, 'under loyalty alone every dynamic document becomes static');
    assert.match(report.summary, new RegExp(`^${dynamicBefore} documents? would become static`));
    assert.ok(report.examples.every((e) => e.to === 'static' && /loyalty/.test(e.why)), JSON.stringify(report.examples[0]));
    assert.deepEqual(await t.dl.db.all('SELECT id, class FROM documents ORDER BY id'), before);
    const scopes = (await (await t.api('GET', '/api/scopes', { as: 'crm' })).json()) as { active: string[] };
    assert.deepEqual(scopes.active, ['sales', 'care']);
  });

  it('given a scope change when applied then every document is reclassified and the change is audited', async () => {
    const res = await t.api('PUT', '/api/scopes/active', { as: 'admin', json: { scopes: ['sales'] } });
    const report = (await res.json()) as { dryRun: boolean; changed: number };
    assert.equal(report.dryRun, false);
    assert.equal((await sla()).class, 'static', 'an SLA is not dynamic for sales');
    const quote = ((await (await t.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' })).json()) as Dossier).documents.find((d) => d.type === 'quote')!;
    assert.equal(quote.class, 'dynamic');
    const { events } = (await (await t.api('GET', '/api/audit?action=scopes.change', { as: 'compliance' })).json()) as { events: { details: { after: string[] } }[] };
    assert.deepEqual(events[0].details.after, ['sales']);
    await t.api('PUT', '/api/scopes/active', { as: 'admin', json: { scopes: ['sales', 'care'] } });
    assert.equal((await sla()).class, 'dynamic');
  });

  it('given an unknown scope when set then 400 naming the known ones', async () => {
    const res = await t.api('PUT', '/api/scopes/active', { as: 'admin', json: { scopes: ['marketing'] } });
    assert.equal(res.status, 400);
  });
});

describe('review queue', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    await t.dl.startWorkers();
  });
  after(() => t.close());

  it('given a document detection was unsure of when a person corrects it then it is ready, the correction is kept, and the next one like it is recognised', async () => {
    const lines = (n: string, body: string[]) => ['Drukkerij Noordster Grafisch', `Drukproef DP-${n} voor het voorjaarsmagazine`, ...body];
    const first = await waitFinal(
      t,
      ((await (await upload(t, await makeTextPdf([lines('1001', ['Graag uw akkoord op kleur en opmaak.', 'Oplage 5.000 exemplaren, levering week 12.'])]), 'proef1.pdf')).json()) as DocumentView).id,
    );
    assert.equal(first.status, 'needs_review');
    const queue = (await (await t.api('GET', '/api/review', { as: 'mailroom' })).json()) as { documents: { id: string; reasons: string[] }[] };
    const item = queue.documents.find((d) => d.id === first.id)!;
    assert.ok(item.reasons.some((r) => /type/.test(r)) && item.reasons.some((r) => /customer/.test(r)), JSON.stringify(item.reasons));

    const res = await t.api('POST', `/api/documents/${first.id}/review`, { as: 'mailroom', json: { type: 'order', customerId: 'KL-000126' } });
    assert.equal(res.status, 200, await res.clone().text());
    const fixed = (await res.json()) as DocumentView;
    assert.equal(fixed.status, 'ready');
    assert.equal(fixed.classification.by, 'user');
    assert.equal(fixed.customerId, 'KL-000126');
    const corrections = await t.dl.db.all<{ field: string; new_value: string }>('SELECT field, new_value FROM corrections WHERE document_id = ? ORDER BY field', [first.id]);
    assert.deepEqual(corrections.map((c) => [c.field, c.new_value]), [['customerId', 'KL-000126'], ['type', 'order']]);

    const second = await waitFinal(
      t,
      ((await (await upload(t, await makeTextPdf([lines('1002', ['Nieuwe versie met aangepaste omslagfoto en index.', 'Wij verwachten uw reactie voor vrijdag.'])]), 'proef2.pdf')).json()) as DocumentView).id,
    );
    assert.equal(second.type, 'order', JSON.stringify(second.classification.trace));
    assert.equal(second.customerId, 'KL-000126', 'the letterhead learned in review identifies the customer');
    assert.equal(second.status, 'ready', second.error ?? '');
  });

  it('given a document not in review when reviewed then 409', async () => {
    const d = ((await (await t.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' })).json()) as Dossier).documents[0];
    const res = await t.api('POST', `/api/documents/${d.id}/review`, { as: 'mailroom', json: { type: 'quote' } });
    assert.equal(res.status, 409);
  });

  it('given documents with KvK or postcode and name but no customer number when ingested then the customer is matched', async () => {
    const kvk = await waitFinal(t, ((await (await upload(t, await makeTextPdf([['FACTUUR F-77', 'KvK: 27234567', 'Totaal EUR 50,00']]), 'kvk.pdf')).json()) as DocumentView).id);
    assert.equal(kvk.customerId, 'KL-000124');
    const pc = await waitFinal(
      t,
      ((await (await upload(t, await makeTextPdf([['Zorggroep Het Baken', 'Kerkstraat 3, 6811 DL Arnhem', 'FACTUUR F-78', 'Totaal EUR 60,00']]), 'pc.pdf')).json()) as DocumentView).id,
    );
    assert.equal(pc.customerId, 'KL-000125');
  });

  it('given the workers are started when the queue is listed then the daily reclassification is scheduled once for today', async () => {
    const body = (await (await t.api('GET', '/api/jobs?kind=reclassify-daily', { as: 'mailroom' })).json()) as { jobs: unknown[] };
    assert.equal(body.jobs.length, 1);
  });
});

describe('retention of undated documents', () => {
  it('given a document without a date when the daily pass runs later then its retention still starts when it was registered', async () => {
    const clock = fakeClock('2026-01-10T09:00:00Z');
    const t = await startTestApp({ clock });
    try {
      const res = await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000123', type: 'invoice', title: 'Factuur zonder datum' } });
      const doc = (await res.json()) as DocumentView;
      assert.equal(doc.retention.endsOn, '2033-01-10');
      clock.set('2027-06-01T09:00:00Z');
      await t.dl.services.classification.daily(ADMIN);
      const after = (await (await t.api('GET', `/api/documents/${doc.id}`, { as: 'crm' })).json()) as DocumentView;
      assert.equal(after.retention.endsOn, '2033-01-10', 'the daily pass does not move the end date');
    } finally {
      await t.close();
    }
  });
});

describe('a daily pass that changes most documents', () => {
  let t: TestApp;
  before(async () => {
    t = await startAppWithStaleLetters(120);
  });
  after(() => t?.close());

  it(`given 120 documents to correct when the daily pass runs then it writes them WRITE_BATCH (${WRITE_BATCH}) per transaction, so others get a turn in between`, async () => {
    const w = countWriteTurns(t.dl.db);
    try {
      const report = await t.dl.services.classification.daily(ADMIN);
      assert.deepEqual({ checked: report.checked, toStatic: report.toStatic, turns: w.turns }, { checked: 120, toStatic: 120, turns: 120 / WRITE_BATCH });
      assert.equal((await t.dl.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM documents WHERE class = 'dynamic'"))!.n, 0);
      const again = await t.dl.services.classification.daily(ADMIN);
      assert.deepEqual({ changed: again.changed, turns: w.turns }, { changed: 0, turns: 120 / WRITE_BATCH }, 'a second pass finds nothing to write');
    } finally {
      w.stop();
    }
  });
});
