// postgres-pass: skip (bm25d is the embedded engine's FTS5 ranking; PostgreSQL ranks with ts_rank)
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Database, type Params, type SqliteDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { searchRepository } from '../../src/db/search.repository.js';
import { fts5Phrases, requiredPhrases, toFts5Match } from '../../src/db/search-fts5.js';
import { parseQuery } from '../../src/domain/search-query.js';
import { fillSearchIndex } from '../helpers/search-corpus.js';

const JOIN = 'document_fts LEFT JOIN document_fts_docsize ds ON ds.id = document_fts.rowid';

describe('bm25d(): FTS5 bm25 with the row length read by the query (native/dossier_fts.c, issue 15)', () => {
  let dir: string;
  let db: SqliteDatabase;
  const read = <T>(sql: string, params?: Params) => db.interruptible((q) => q.all<T>(sql, params), { timeoutMs: 20_000 });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-bm25d-'));
    db = await Database.open(path.join(dir, 'x.sqlite'));
    await migrate(db);
    await db.run("INSERT INTO customers (id, name, created_at, updated_at) VALUES ('KL-1', 'Klant', '2026-01-01', '2026-01-01')");
    await fillSearchIndex(db, 400, { customerId: 'KL-1', words: 60 });
    // Titles weigh 3x: a title hit, and a document whose text is empty.
    // Words in few documents, each its own IDF (the corpus's common words are in nearly all, where
    // bm25 clamps the IDF): a mix-up of the phrases' counts would change the scores.
    await db.tx(async (q) => {
      await searchRepository.index(q, 'doc_corpus1', 'Factuur factuur', 'de klant');
      await searchRepository.index(q, 'doc_corpus2', 'Offerte', '');
      for (let i = 10; i < 70; i++) {
        const words = [i < 40 ? 'uniek' : '', i % 3 === 0 ? 'zeldzaam' : '', i % 7 === 0 ? 'verlopen' : '', 'de klant'].filter(Boolean);
        await searchRepository.index(q, `doc_corpus${i}`, i % 2 ? 'Uniek' : 'Brief', `${words.join(' ')} ${words.join(' ')} tekst`.repeat(1 + (i % 4)));
      }
    });
  });

  after(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const queries = [
    'de',
    'factuur',
    'ka*',
    '"de klant"',
    'offerte OR totaal datum',
    'de -factuur',
    '"de klant" OR datum* -offerte',
    'uniek OR zeldzaam OR verlopen',
    'zeldzaam uniek* -verlopen',
    '"uniek zeldzaam" OR zeld* OR verlopen',
  ];

  it('given the search connections when opened then bm25d() is loaded, and SQL still cannot load extensions', async () => {
    assert.equal(db.rankingFallback, null);
    await assert.rejects(read("SELECT load_extension('/nonexistent.so')"), /not authorized/);
  });

  for (const text of queries) {
    it(`given "${text}" when every match is scored by bm25d() then each score is bm25()'s, to the last bit`, async () => {
      const match = toFts5Match(parseQuery(text));
      const hits = (
        await Promise.all(fts5Phrases(parseQuery(text)).map(async (p) => (await read<{ n: number }>('SELECT COUNT(*) AS n FROM document_fts WHERE document_fts MATCH ?', [p]))[0]!.n))
      ).join(',');
      const rows = await read<{ rowid: number; ref: number; joined: number; nosize: number; given: number }>(
        `SELECT document_fts.rowid AS rowid, bm25(document_fts, 3.0, 1.0) AS ref,
                bm25d(document_fts, ds.sz, NULL, 3.0, 1.0) AS joined,
                bm25d(document_fts, NULL, NULL, 3.0, 1.0) AS nosize,
                bm25d(document_fts, ds.sz, ?, 3.0, 1.0) AS given
         FROM ${JOIN} WHERE document_fts MATCH ? ORDER BY document_fts.rowid`,
        [hits, match],
      );
      assert.ok(rows.length > 0, 'the query matches');
      for (const r of rows) {
        assert.equal(r.joined, r.ref, `rowid ${r.rowid}, docsize joined`);
        assert.equal(r.nosize, r.ref, `rowid ${r.rowid}, no docsize: asked of FTS5`);
        assert.equal(r.given, r.ref, `rowid ${r.rowid}, phrase counts given`);
      }
    });
  }

  it('given "*" for each phrase of a query whose required phrases are in half the rows or more when every match is scored then each score is bm25()\'s', async () => {
    const [{ n: rows }] = await read<{ n: number }>('SELECT COUNT(*) AS n FROM document_fts');
    const count = async (p: string) => (await read<{ n: number }>('SELECT COUNT(*) AS n FROM document_fts WHERE document_fts MATCH ?', [p]))[0]!.n;
    const guessed: string[] = [];
    // An excluded phrase is in no matching row: its count changes no score, however few its rows.
    for (const text of [...queries, 'de -zeldzaam', 'zeldzaam']) {
      const query = parseQuery(text);
      const required = fts5Phrases({ all: query.all, none: [] });
      const half = requiredPhrases(query) && (await Promise.all(required.map(count))).every((k) => k * 2 >= rows);
      const stars = fts5Phrases(query).map(() => '*').join(',');
      const scored = await read<{ rowid: number; ref: number; star: number }>(
        `SELECT document_fts.rowid AS rowid, bm25(document_fts, 3.0, 1.0) AS ref, bm25d(document_fts, ds.sz, ?, 3.0, 1.0) AS star
         FROM ${JOIN} WHERE document_fts MATCH ? ORDER BY document_fts.rowid`,
        [stars, toFts5Match(query)],
      );
      if (half) {
        guessed.push(text);
        for (const r of scored) assert.equal(r.star, r.ref, `${text}: rowid ${r.rowid}`);
      } else if (text === 'zeldzaam') {
        // In few rows its IDF is well above bm25's floor: "*" is not ignored.
        assert.ok(scored.every((r) => r.star > r.ref), text);
      }
    }
    assert.deepEqual(guessed, ['de', 'factuur', 'de -factuur', 'de -zeldzaam'], 'the queries this tests');
  });

  it('given rows scored by bm25d() when bm25d_scored() is asked then it gives how many, once each however often a row is scored, and starts again from 0', async () => {
    // Read on one connection, each statement after the other (as a search's slice does).
    const counted = await db.interruptible(async (q) => {
      await q.get('SELECT bm25d_scored() AS n');
      const [{ n: matches }] = await q.all<{ n: number }>("SELECT COUNT(*) AS n FROM document_fts WHERE document_fts MATCH 'factuur'");
      await q.all(
        `SELECT document_fts.rowid AS rowid, bm25d(document_fts, ds.sz, NULL, 3.0, 1.0) AS s, bm25d(document_fts, ds.sz, NULL, 1.0, 1.0) AS t
         FROM ${JOIN} WHERE document_fts MATCH 'factuur' ORDER BY s LIMIT 5`,
      );
      const first = (await q.get<{ n: number }>('SELECT bm25d_scored() AS n'))!.n;
      const again = (await q.get<{ n: number }>('SELECT bm25d_scored() AS n'))!.n;
      await q.all(`SELECT bm25d(document_fts, ds.sz, NULL) AS s FROM ${JOIN} WHERE document_fts MATCH 'uniek' AND document_fts.rowid < 30`);
      const few = (await q.get<{ n: number }>('SELECT bm25d_scored() AS n'))!.n;
      const [{ n: fewMatches }] = await q.all<{ n: number }>("SELECT COUNT(*) AS n FROM document_fts WHERE document_fts MATCH 'uniek' AND rowid < 30");
      return { matches, first, again, few, fewMatches };
    }, { timeoutMs: 20_000 });
    assert.ok(counted.matches > 100 && counted.fewMatches > 5);
    assert.deepEqual(counted, { matches: counted.matches, first: counted.matches, again: 0, few: counted.fewMatches, fewMatches: counted.fewMatches });
  });

  it('given phrase counts that are not one number per phrase when ranking then it fails with a clear error', async () => {
    const match = toFts5Match(parseQuery('offerte OR totaal'));
    for (const hits of ['*,*', '*,7', '7,*']) {
      assert.ok((await read(`SELECT bm25d(document_fts, ds.sz, ?, 3.0, 1.0) AS s FROM ${JOIN} WHERE document_fts MATCH ?`, [hits, match])).length > 0, hits);
    }
    for (const hits of ['12', '1,2,3', '1,', 'x,2', '', ',1', '*', '**,1', '*1,2', '1*,2', '*,', '*,*,*']) {
      await assert.rejects(
        read(`SELECT bm25d(document_fts, ds.sz, ?, 3.0, 1.0) AS s FROM ${JOIN} WHERE document_fts MATCH ?`, [hits, match]),
        /bm25d: the phrase counts are not one number per phrase/,
        JSON.stringify(hits),
      );
    }
  });

  it('given a docsize blob that is not one varint per column when ranking then FTS5 corruption is reported, not a wrong score', async () => {
    for (const blob of [Buffer.from([0x05]), Buffer.from([0x05, 0x07, 0x01]), Buffer.from([0x85])]) {
      await assert.rejects(read(`SELECT bm25d(document_fts, ?, NULL) AS s FROM document_fts WHERE document_fts MATCH 'de'`, [blob]), /SQLITE_CORRUPT/);
    }
    await assert.rejects(read(`SELECT bm25d(document_fts) AS s FROM document_fts WHERE document_fts MATCH 'de'`), /bm25d\(fts, docsize blob/);
  });

  it('given a search without bm25d() (not built, or turned off) when searched then it ranks with bm25() and answers the same', async () => {
    const plain = await Database.open(db.file, { nativeRanking: false });
    try {
      assert.equal(plain.rankingFallback, 'turned off');
      for (const text of queries) {
        const run = (d: SqliteDatabase) => d.interruptible((q) => searchRepository.search(q, parseQuery(text), {}, 50, 0), { timeoutMs: 20_000 });
        assert.deepEqual(await run(plain), await run(db), text);
      }
    } finally {
      await plain.close();
    }
  });
});
