/**
 * Concurrency on PostgreSQL (issue #13): 20 requests at once — heavy searches, uploads, barcode
 * moves, /api/me and a dossier — against an app whose OCR is busy ingesting
 * (test/helpers/concurrency-burst.ts). Every request answers correctly, heavy searches past their
 * time budget answer 503 `search_timeout`, and nothing uploaded is lost. How long each kind waits
 * against its own solo cost is a figure of `npm run bench` (BENCH_ONLY=concurrency, both
 * engines), not of this test: timed bounds do not belong in a suite that shares its cores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BURST_ENV, CHEAP, HEAVY, prepareBurst, waitForFinal, type Burst } from '../helpers/concurrency-burst.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('concurrent requests on PostgreSQL while OCR runs', () => {
  let t: TestApp;
  let run: () => Promise<Burst>;

  before(async () => {
    t = await startTestApp({ env: BURST_ENV });
    ({ run } = await prepareBurst(t, 3));
  });
  after(() => t?.close());

  it('given OCR busy and 20 requests at once when searches, uploads, moves and reads mix then every one answers correctly and heavy searches past their budget answer 503 search_timeout', { timeout: 120_000 }, async () => {
    assert.equal(t.dl.db.dialect, 'postgres', 'runs in the --postgres pass');
    const { all, uploaded, summary } = await run();
    process.stdout.write(`# concurrency: ${summary}\n`);
    for (const k of CHEAP) for (const r of all.filter((x) => x.kind === k)) assert.ok([200, 202].includes(r.status), `${k}: ${r.status} ${JSON.stringify(r.body)}`);
    const heavy = all.filter((r) => r.kind === 'heavy');
    for (const r of heavy) assert.ok(r.status === 200 || (r.status === 503 && r.body.error?.code === 'search_timeout'), `heavy search: ${r.status} ${JSON.stringify(r.body)}`);
    assert.ok(heavy.some((r) => r.status === 503), `some heavy search overran its budget and was stopped; ${summary}`);

    // Afterwards search works as before, and every upload is read: nothing was lost to the burst.
    const again = await t.api('GET', `/api/search?q=${encodeURIComponent(HEAVY)}`, { as: 'crm' });
    assert.equal(again.status, 200);
    assert.ok(((await again.json()) as { total: number }).total > 0);
    assert.deepEqual(await waitForFinal(t, uploaded), [], 'no upload failed');
  });
});
