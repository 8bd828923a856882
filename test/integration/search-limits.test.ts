import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueryInterrupted } from '../../src/db/database.js';
import { SearchService } from '../../src/services/search.service.js';
import { fillSearchIndex } from '../helpers/search-corpus.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, any>;

// A query SQLite cannot finish in any reasonable time: it counts to ten billion.
const ENDLESS = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000000) SELECT COUNT(*) AS c FROM n';
// Sixteen words that occur in most documents of the corpus: a legal, costly query.
const HEAVY = 'de het een van en in op voor met aan te is dat klant datum factuur';

const timed = async <T>(fn: () => Promise<T>) => {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
};

describe(SearchService.name, () => {
  let t: TestApp;
  const search = async (q: string, as: 'crm' | 'compliance' = 'crm', signal?: AbortSignal) => {
    const res = await fetch(`${t.url}/api/search?q=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${t.tokens[as]}` }, signal });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  };

  before(async () => {
    // One search connection, so one hog occupies all of search; a limit of 40 searches a minute.
    t = await startTestApp({ env: { DOSSIER_SEARCH_CONNECTIONS: '1', DOSSIER_SEARCH_RATE_LIMIT: '40', DOSSIER_SEARCH_TIMEOUT_MS: '3000' } });
    await fillSearchIndex(t.dl.db, 3000, { customerId: 'KL-000123', words: 200 });
  });
  after(() => t.close());

  it('given the hostile query of sixty a* when searched then a clear 400 comes back at once, not a stall', async () => {
    const { value, ms } = await timed(() => search(Array(60).fill('a*').join(' ')));
    assert.equal(value.status, 400);
    assert.equal(value.body.error.code, 'prefix_too_short');
    assert.ok(ms < 2000, `answered in ${Math.round(ms)} ms`);
  });

  it('given too many prefixes or too many words when searched then 400 with a code says which limit', async () => {
    const prefixes = await search('ka* ba* de* ma* ra* lo*');
    assert.equal(prefixes.status, 400);
    assert.equal(prefixes.body.error.code, 'too_many_prefixes');
    const words = await search(Array.from({ length: 17 }, (_, i) => `woord${i}`).join(' '));
    assert.equal(words.status, 400);
    assert.equal(words.body.error.code, 'too_many_terms');
  });

  it('given one prefix repeated sixty times when searched then it counts once and answers like the single prefix', async () => {
    const once = await search('ka*');
    const sixty = await search(Array(60).fill('ka*').join(' '));
    assert.equal(sixty.status, 200, JSON.stringify(sixty.body));
    assert.equal(sixty.body.total, once.body.total);
    assert.ok(once.body.total > 0);
  });

  it('given a search that runs for ever on the search connection when /api/me and a dossier are asked meanwhile then they answer at once', async () => {
    const hog = t.dl.db.interruptible((q) => q.get(ENDLESS), { timeoutMs: 2500 });
    hog.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const me = await timed(() => t.api('GET', '/api/me', { as: 'crm' }));
    assert.equal(me.value.status, 200);
    const dossier = await timed(() => t.api('GET', '/api/customers/KL-000124/dossier', { as: 'crm' }));
    assert.equal(dossier.value.status, 200);
    // Before issue #14 both waited on the one reader behind the search: 228 s for /api/me.
    assert.ok(me.ms < 1500, `/api/me answered in ${Math.round(me.ms)} ms while a search ran`);
    assert.ok(dossier.ms < 1500, `the dossier answered in ${Math.round(dossier.ms)} ms while a search ran`);
    // A search queued behind the hog gets a clear 503 when its budget runs out, never a hang.
    t.dl.services.search.limits.timeoutMs = 300;
    try {
      const queued = await timed(() => search('factuur'));
      assert.equal(queued.value.status, 503);
      assert.equal(queued.value.body.error.code, 'search_timeout');
      // Its 300 ms budget, not the hog's 2.5 s: on PostgreSQL the wait for the one search
      // connection was not bounded, and the 503 came only when the hog let go (~2.5 s).
      assert.ok(queued.ms < 1500, `gave up after ${Math.round(queued.ms)} ms`);
    } finally {
      t.dl.services.search.limits.timeoutMs = 3000;
    }
    const stopped = await timed(() => hog.then(() => 'finished', (e: unknown) => e));
    assert.ok(stopped.value instanceof QueryInterrupted && stopped.value.reason === 'timeout', 'the endless query is interrupted by its budget');
    assert.ok(stopped.ms < 3000);
  });

  it('given a costly legal query and a tight time budget when searched then SQLite is interrupted, 503 search_timeout, and the next search works', async () => {
    t.dl.services.search.limits.timeoutMs = 1;
    try {
      const r = await search(HEAVY);
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'search_timeout');
      assert.equal(r.body.error.details.reason, 'timeout');
    } finally {
      t.dl.services.search.limits.timeoutMs = 3000;
    }
    const after = await search(HEAVY);
    assert.equal(after.status, 200, 'the search connection went back to the pool in working order');
    assert.ok(after.body.total > 0);
  });

  it('given a client that goes away mid-search when its connection closes then the query is cancelled, not run to its budget', async () => {
    const hog = t.dl.db.interruptible((q) => q.get(ENDLESS), { timeoutMs: 2000 });
    hog.catch(() => undefined);
    const ac = new AbortController();
    const started = Date.now();
    const pending = search('offerte', 'compliance', ac.signal).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 150));
    ac.abort();
    assert.ok((await pending) instanceof Error);
    const until = Date.now() + 2000;
    let cancelled: Json | undefined;
    while (!cancelled && Date.now() < until) {
      const rows = await t.dl.services.audit.query({ action: 'search' }, 5);
      cancelled = rows.find((r) => r.details.query === 'offerte' && r.details.interrupted === 'cancelled');
      if (!cancelled) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(cancelled, 'the search was recorded as cancelled');
    assert.ok(Date.now() - started < 2500, 'cancelled long before the 3 s budget ran out');
    await hog.catch(() => undefined);
  });

  it('given a user over the search rate limit when searching then 429 rate_limited with Retry-After, while another user still searches', async () => {
    let last: Awaited<ReturnType<typeof search>> | undefined;
    for (let i = 0; i < 45 && last?.status !== 429; i++) last = await search('factuur');
    assert.equal(last?.status, 429);
    assert.equal(last?.body.error.code, 'rate_limited');
    assert.ok(Number(last?.headers.get('retry-after')) > 0, 'Retry-After says when to come back');
    const other = await search('factuur', 'compliance');
    assert.equal(other.status, 200, 'the limit is per user');
  });
});
