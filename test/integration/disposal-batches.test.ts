import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WRITE_BATCH } from '../../src/services/document-records.js';
import type { DisposalView } from '../../src/services/disposal.service.js';
import { fillSearchIndex } from '../helpers/search-corpus.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * A disposal of many documents takes the write turn (SQLite's one writer, PostgreSQL's
 * cluster-wide lock) in batches of WRITE_BATCH, so dossiers opened and documents moved meanwhile
 * wait for one batch at most, never for the whole disposal.
 */
describe('disposal execution in short write turns', () => {
  let t: TestApp;
  const n = WRITE_BATCH * 2 + 5;
  const ids = Array.from({ length: n }, (_, i) => `doc_corpus${i}`);

  before(async () => {
    t = await startTestApp();
    await t.dl.db.run("INSERT INTO customers (id, name, created_at, updated_at) VALUES ('KL-1', 'Klant', '2026-01-01', '2026-01-01')");
    await fillSearchIndex(t.dl.db, n, { customerId: 'KL-1', words: 5 });
    await t.dl.db.run("UPDATE documents SET retention_ends_on = '2020-01-01', retention_disposition = 'destroy' WHERE customer_id = 'KL-1'");
  });
  after(() => t?.close());

  it(`given ${n} documents due when the disposal is executed then no write turn destroys more than ${WRITE_BATCH}, and all are destroyed and audited`, async () => {
    const proposed = await t.api('POST', '/api/disposals', { as: 'compliance', json: { reason: 'Retention ended', documentIds: ids } });
    assert.equal(proposed.status, 201, await proposed.clone().text());
    const d = (await proposed.json()) as DisposalView;
    assert.equal((await t.api('POST', `/api/disposals/${d.id}/approve`, { as: 'compliance2', json: {} })).status, 200);
    // Destroyed documents counted after every write transaction: the turns are taken one at a time.
    const destroyed = async () => (await t.dl.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM documents WHERE customer_id = 'KL-1' AND destroyed_at IS NOT NULL"))!.n;
    const perTurn: number[] = [];
    const tx = t.dl.db.tx;
    t.dl.db.tx = (async (fn) => {
      const before = await destroyed();
      const r = await tx.call(t.dl.db, fn);
      perTurn.push((await destroyed()) - before);
      return r;
    }) as typeof tx;
    let summary: { destroyed: number };
    try {
      const res = await t.api('POST', `/api/disposals/${d.id}/execute`, { as: 'compliance' });
      assert.equal(res.status, 200, await res.clone().text());
      summary = ((await res.json()) as { summary: { destroyed: number } }).summary;
    } finally {
      t.dl.db.tx = tx;
    }
    assert.equal(summary.destroyed, n);
    assert.equal(await destroyed(), n);
    assert.ok(Math.max(...perTurn) <= WRITE_BATCH, `destroyed per write turn: ${perTurn.filter(Boolean).join(', ')}`);
    assert.equal(perTurn.filter((x) => x > 0).length, Math.ceil(n / WRITE_BATCH));
    const audited = await t.dl.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'document.destroy' AND customer_id = 'KL-1'");
    assert.equal(audited!.n, n);
  });
});
