// postgres-pass: skip (ranking in rowid slices is the embedded engine's; PostgreSQL has parallel query of its own)
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Database, QueryInterrupted, type Params, type Queryable, type SqliteDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { searchRepository, TOTAL_CAP, type SearchFilters } from '../../src/db/search.repository.js';
import { requiredPhrases } from '../../src/db/search-fts5.js';
import { parseQuery } from '../../src/domain/search-query.js';
import { fillSearchIndex } from '../helpers/search-corpus.js';

type Seen = { spareStatements: string[]; spareOffered: number[]; onSpareStatement?: (sql: string) => void };

/** A search on `db` that records what its connection was asked to run on spare connections. */
async function search(db: SqliteDatabase, text: string, f: SearchFilters, limit: number, offset: number, seen?: Seen, signal?: AbortSignal) {
  return db.interruptible((q) => {
    const spy: Queryable = !seen || !q.withSpare
      ? q
      : {
          ...q,
          withSpare: (max, fn) =>
            q.withSpare!(max, (spare) => {
              seen.spareOffered.push(spare.length);
              const record = <R>(sql: string, running: R): R => {
                seen.spareStatements.push(sql);
                seen.onSpareStatement?.(sql);
                return running;
              };
              return fn(spare.map((s) => ({
                ...s,
                all: <T>(sql: string, p?: Params) => record(sql, s.all<T>(sql, p)),
                get: <T>(sql: string, p?: Params) => record(sql, s.get<T>(sql, p)),
              })));
            }),
        };
    return searchRepository.search(spy, parseQuery(text), f, limit, offset);
  }, { timeoutMs: 20_000, signal });
}

const key = (r: Awaited<ReturnType<typeof search>>) => ({ total: r.total, capped: r.totalCapped, rows: r.rows.map((x) => `${x.id} ${x.score} ${x.snippet}`) });

describe('a search matching most of the index ranked in slices on an idle slice connection (issue 15)', () => {
  let dir: string;
  let two: SqliteDatabase;
  let one: SqliteDatabase;
  let plain: SqliteDatabase;
  let file: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-slices-'));
    file = path.join(dir, 'x.sqlite');
    const db = await Database.open(file);
    await migrate(db);
    await db.run("INSERT INTO customers (id, name, created_at, updated_at) VALUES ('KL-1', 'Klant', '2026-01-01', '2026-01-01'), ('KL-2', 'Beperkt', '2026-01-01', '2026-01-01')");
    // Past the total cap, so the ranking (not the count) is what costs; common words match most documents.
    const n = TOTAL_CAP + 6_000;
    await fillSearchIndex(db, n, { customerId: 'KL-1', words: 100 });
    // Equal scores on both sides of the middle rowid: identical documents early, in the middle and last.
    await db.tx(async (q) => {
      for (const i of [3, 4, Math.floor(n / 2) - 1, Math.floor(n / 2), Math.floor(n / 2) + 1, n - 2, n - 1]) {
        await searchRepository.index(q, `doc_corpus${i}`, 'Gelijk', 'de de de klant gelijkluidend');
      }
      // A restricted customer's documents in both halves (GDPR art. 18: hidden from who may not see them).
      await q.run("UPDATE documents SET customer_id = 'KL-2', type = 'invoice' WHERE id IN ('doc_corpus10', ?, ?)", [`doc_corpus${n - 10}`, `doc_corpus${Math.floor(n / 2) + 5}`]);
      await q.run("UPDATE customers SET restricted = 1 WHERE id = 'KL-2'");
      await q.run("UPDATE documents SET type = 'invoice', doc_date = '2024-03-01' WHERE rowid % 5 <> 0");
    });
    await db.close();
    one = await Database.open(file, { searchConnections: 1 });
    two = await Database.open(file, { searchConnections: 2, sliceConnections: 1 });
    // SQLite's own bm25(), in slices too: bm25d() (native/dossier_fts.c) must give what it gives.
    plain = await Database.open(file, { searchConnections: 2, sliceConnections: 1, nativeRanking: false });
    assert.equal(two.rankingFallback, null, 'npm install built native/dossier_fts.c and the search connections loaded it');
    assert.equal(plain.rankingFallback, 'turned off');
  });

  after(async () => {
    await plain?.close();
    await one?.close();
    await two?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const cases: [string, SearchFilters][] = [
    ['de', {}],
    ['de', { hideRestricted: true }],
    ['klant OR datum', {}],
    ['de klant', { type: 'invoice' }],
    ['de', { type: 'invoice', from: '2024-01-01', hideRestricted: true }],
    ['de', { class: 'dynamic' }],
    // Several phrases, each with its own IDF: an OR group, a phrase of two words, a prefix, an excluded word.
    ['"de klant" OR datum* -gelijkluidend', {}],
    ['de OR het factuur*', { hideRestricted: true }],
  ];
  for (const [text, f] of cases) {
    it(`given a slice connection when "${text}" ${JSON.stringify(f)} is searched then it is ranked in slices with the totals, hits, order, scores and snippets of one connection`, async () => {
      for (const [limit, offset] of [[20, 0], [50, 0], [20, 40], [100, 2_000], [20, TOTAL_CAP - 10]] as const) {
        const seen: Seen = { spareStatements: [], spareOffered: [] };
        const sliced = await search(two, text, f, limit, offset, seen);
        const whole = await search(one, text, f, limit, offset);
        assert.ok(whole.totalCapped, 'the case must match past the cap, or it tests nothing');
        assert.deepEqual(seen.spareOffered, [1], 'one spare connection was used');
        assert.match(seen.spareStatements[0]!, /^SELECT COUNT\(\*\)[^]*rowid BETWEEN \? AND \?/);
        assert.match(seen.spareStatements.filter((sql) => !/bm25d_scored/.test(sql)).at(-1)!, /bm25[^]*rowid BETWEEN \? AND \?/);
        assert.deepEqual(key(sliced), key(whole), `limit ${limit} offset ${offset}`);
        assert.equal(sliced.rows.length, limit);
        // Sliced, bm25d() is given each phrase's matches, counted once in slices: the search's count,
        // then one per phrase. Unless every phrase the query needs is in most of the documents its
        // count walked: ranked as in half the index or more ("*"), and that checked by the rows scored.
        const counts = seen.spareStatements.filter((sql) => /^SELECT COUNT\(\*\)/.test(sql)).length;
        const checked = seen.spareStatements.filter((sql) => /bm25d_scored/.test(sql)).length;
        if (requiredPhrases(parseQuery(text))) assert.deepEqual([counts, checked], [1, 2], 'one count, then ranked as in half the index, checked');
        else assert.deepEqual([counts >= 2, checked], [true, 0], `${counts} counts on the spare connection`);
        assert.deepEqual(key(await search(plain, text, f, limit, offset)), key(whole), `bm25(), limit ${limit} offset ${offset}`);
      }
    });
  }

  // Matches placed by rowid on either side of the split (rowids lo..mid-1 | mid..hi), so each
  // connection's share of the count (half the cap) falls short, fills or overflows.
  const counts: [string, number, number][] = [
    ['all in the first slice, past its share', 7_000, 0],
    ['all in the second slice, past its share', 0, 7_000],
    ['in both, exactly the cap', 7_000, TOTAL_CAP - 7_000],
    ['in both, one past the cap', 7_000, TOTAL_CAP - 7_000 + 1],
    ['a few in each', 3, 4],
  ];
  for (const [where, first, second] of counts) {
    it(`given matches ${where} when counted in slices then the total is the one of one connection, exact below the cap`, async () => {
      const w = await Database.open(file);
      try {
        const b = (await w.get<{ lo: number; hi: number }>('SELECT min(rowid) AS lo, max(rowid) AS hi FROM documents'))!;
        const mid = b.lo + Math.ceil((b.hi - b.lo + 1) / 2);
        await w.run("UPDATE documents SET class = CASE WHEN rowid BETWEEN ? AND ? OR rowid BETWEEN ? AND ? THEN 'static' ELSE 'dynamic' END", [b.lo, b.lo + first - 1, mid, mid + second - 1]);
        // Every document matches (titles are "Brief …" or "Gelijk"): the class filter alone decides.
        const seen: Seen = { spareStatements: [], spareOffered: [] };
        const sliced = await search(two, 'brief OR gelijk', { class: 'static' }, 20, 0, seen);
        assert.equal(seen.spareOffered[0], 1, 'counted in slices');
        assert.equal(sliced.total, Math.min(first + second, TOTAL_CAP));
        assert.equal(sliced.totalCapped, first + second > TOTAL_CAP);
        assert.deepEqual(key(sliced), key(await search(one, 'brief OR gelijk', { class: 'static' }, 20, 0)));
      } finally {
        await w.run("UPDATE documents SET class = 'dynamic'");
        await w.close();
      }
    });
  }

  it('given a word in more than half the index, in an OR group, when ranked in slices then its count for the IDF stops at half the index, with bm25 scores', async () => {
    const seen: Seen = { spareStatements: [], spareOffered: [] };
    const sliced = await search(two, 'de OR gelijkluidend', {}, 20, 0, seen);
    const span = (await two.get<{ n: number }>('SELECT max(rowid) - min(rowid) + 1 AS n FROM documents'))!.n;
    // Each slice counts up to its share of half the span: past N/2 matches bm25's IDF is 1e-6 whatever the count.
    const share = Math.ceil(Math.ceil(span / 2) / 2);
    assert.ok(seen.spareStatements.some((sql) => sql.endsWith(`LIMIT ${share})`)), seen.spareStatements.join('\n'));
    assert.deepEqual(key(sliced), key(await search(plain, 'de OR gelijkluidend', {}, 20, 0)));
  });

  it('given a word in most documents when ranked in slices then it is ranked as in half the index or more, without a count of its own, with bm25 scores', async () => {
    const seen: Seen = { spareStatements: [], spareOffered: [] };
    const sliced = await search(two, 'de', {}, 20, 0, seen);
    const ranked = seen.spareStatements.filter((sql) => /bm25d\(/.test(sql));
    assert.equal(ranked.length, 1, 'ranked once');
    assert.equal(seen.spareStatements.filter((sql) => /^SELECT COUNT/.test(sql)).length, 1, "the search's count only");
    assert.deepEqual(seen.spareStatements.filter((sql) => /bm25d_scored/.test(sql)).length, 2);
    assert.deepEqual(key(sliced), key(await search(plain, 'de', {}, 20, 0)));
    assert.deepEqual(key(sliced), key(await search(one, 'de', {}, 20, 0)));
  });

  it('given documents with equal scores in both slices when searched then they come in rowid order, as unsliced', async () => {
    const seen: Seen = { spareStatements: [], spareOffered: [] };
    const sliced = await search(two, 'gelijkluidend OR de', {}, 7, 0, seen);
    const whole = await search(one, 'gelijkluidend OR de', {}, 7, 0);
    assert.deepEqual(seen.spareOffered, [1]);
    assert.equal(new Set(sliced.rows.map((r) => r.score)).size, 1, 'the seven identical documents tie');
    assert.deepEqual(sliced.rows.map((r) => r.id), whole.rows.map((r) => r.id));
    const order = sliced.rows.map((r) => Number(r.id.replace('doc_corpus', '')));
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
  });

  it('given a search under the cap when searched then it is counted in slices and ranked in one statement (ranking in slices pays only for many matches)', async () => {
    const seen: Seen = { spareStatements: [], spareOffered: [] };
    const r = await search(two, 'gelijkluidend', {}, 20, 0, seen);
    assert.equal(r.total, 7);
    assert.deepEqual(seen.spareOffered, [1]);
    assert.doesNotMatch(seen.spareStatements.join('\n'), /bm25/);
  });

  it('given the slice connection busy with another search when a large search runs then it neither waits nor slices, and answers the same', async () => {
    // Another search ranking in slices holds a search connection and the slice connection.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let holding!: () => void;
    const holds = new Promise<void>((r) => (holding = r));
    const busy = two.interruptible((q) => q.withSpare!(1, async (spare) => (assert.equal(spare.length, 1), holding(), held)), { timeoutMs: 20_000 });
    await holds;
    const seen: Seen = { spareStatements: [], spareOffered: [] };
    const began = Date.now();
    const r = await search(two, 'de', {}, 20, 0, seen);
    const tookMs = Date.now() - began;
    release();
    await busy;
    assert.deepEqual(seen.spareOffered, [0], 'counted and ranked in one statement each');
    assert.ok(tookMs < 10_000, `it ran on the other search connection at once (${tookMs} ms)`);
    assert.deepEqual(key(r), key(await search(one, 'de', {}, 20, 0)));
  });

  for (const [stage, when] of [['counted', /^SELECT COUNT/], ['ranked', /bm25d?\(/]] as const) {
    it(`given a search stopped while it is ${stage} in slices when it is stopped then both connections are interrupted and handed back`, async () => {
      // The client goes away once the spare connection's slice has started.
      const ac = new AbortController();
      const started: Seen = { spareStatements: [], spareOffered: [], onSpareStatement: (sql) => when.test(sql) && ac.abort() };
      await assert.rejects(search(two, 'de OR klant OR datum OR totaal OR offerte OR factuur', {}, 20, 0, started, ac.signal), QueryInterrupted);
      assert.deepEqual(started.spareOffered, [1]);
      assert.match(started.spareStatements.at(-1)!, when, `it was stopped while ${stage} in slices`);
      // Both come back once their statements have stopped (the caller got its answer at once):
      // two searches run side by side again, and a large one slices again.
      let sliced = false;
      for (const until = Date.now() + 5_000; !sliced && Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
        const seen: Seen = { spareStatements: [], spareOffered: [] };
        await search(two, 'de', {}, 20, 0, seen);
        sliced = seen.spareOffered[0] === 1;
      }
      assert.ok(sliced, 'the slice connection came back');
      await Promise.all([search(two, 'de', {}, 5, 0), search(two, 'klant', {}, 5, 0)]);
    });
  }
});

describe('a word guessed to be in half the index, and found not to be (issue 15)', () => {
  let dir: string;
  let two: SqliteDatabase;
  let one: SqliteDatabase;
  let plain: SqliteDatabase;
  const n = 21_000;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-guess-'));
    const file = path.join(dir, 'x.sqlite');
    const db = await Database.open(file);
    await migrate(db);
    await db.run("INSERT INTO customers (id, name, created_at, updated_at) VALUES ('KL-1', 'Klant', '2026-01-01', '2026-01-01')");
    // "zeldzaam" in the first 5,100 documents of each half of the rowids: all the count (which
    // walks the start of each slice) sees match, yet 10,200 of 21,000 is under half the index,
    // where bm25's IDF is not its floor. Lengths vary, so scores differ.
    await db.run(`WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ${n - 1})
      INSERT INTO documents (id, customer_id, type, class, status, title, doc_date, fields, classification,
        retention_legal_basis, retention_trigger, retention_period, retention_disposition, source, created_at, updated_at)
      SELECT 'doc_' || i, 'KL-1', 'letter', 'dynamic', 'ready', 'Brief', '2025-01-15', '{}', '{}', 'x', 'document-date', 'P7Y', 'destroy', 'test', '2026-01-01', '2026-01-01' FROM c`);
    const b = (await db.get<{ lo: number; hi: number }>('SELECT min(rowid) AS lo, max(rowid) AS hi FROM documents'))!;
    const mid = b.lo + Math.ceil((b.hi - b.lo + 1) / 2);
    await db.run(
      `INSERT INTO document_fts (rowid, title, text)
       SELECT rowid, 'Brief', CASE WHEN rowid BETWEEN ? AND ? OR rowid BETWEEN ? AND ? THEN 'zeldzaam ' ELSE '' END || substr('vul vul vul vul vul vul vul ', 1, 4 * (rowid % 7))
       FROM documents`,
      [b.lo, b.lo + 5_099, mid, mid + 5_099],
    );
    await db.close();
    one = await Database.open(file, { searchConnections: 1 });
    two = await Database.open(file, { searchConnections: 2, sliceConnections: 1 });
    plain = await Database.open(file, { searchConnections: 2, sliceConnections: 1, nativeRanking: false });
  });

  after(async () => {
    await plain?.close();
    await one?.close();
    await two?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('given a word dense where the slices begin but in fewer than half the documents when ranked in slices then the guess is found wrong by the rows scored and it is ranked again with its count, with bm25 scores', async () => {
    const seen: Seen = { spareStatements: [], spareOffered: [] };
    const sliced = await search(two, 'zeldzaam', {}, 20, 0, seen);
    assert.equal(sliced.total, TOTAL_CAP);
    assert.equal(seen.spareStatements.filter((sql) => /bm25d\(/.test(sql)).length, 2, 'ranked twice: as guessed, then with the count');
    assert.equal(seen.spareStatements.filter((sql) => /^SELECT COUNT/.test(sql)).length, 2, "the search's count, then the word's");
    assert.deepEqual(key(sliced), key(await search(plain, 'zeldzaam', {}, 20, 0)));
    assert.deepEqual(key(sliced), key(await search(one, 'zeldzaam', {}, 20, 0)));
    // The word's IDF is not bm25's floor here: ranked as guessed, the scores would differ.
    assert.ok(sliced.rows[0]!.score < -1e-3, String(sliced.rows[0]!.score));
  });
});
