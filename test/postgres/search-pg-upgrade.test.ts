import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Queryable } from '../../src/db/database.js';
import { migrate, PG_MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { PgDatabase } from '../../src/db/pg-database.js';
import { normaliseForIndex, toTsquery } from '../../src/db/search-pg.js';
import { searchRepository, type SearchFilters } from '../../src/db/search.repository.js';
import { parseQuery } from '../../src/domain/search-query.js';
import { closePgAdmin, freshPgDatabase } from '../helpers/postgres.js';

// Runs in the PostgreSQL pass: a database written before migrations-pg/004 (vector, title and
// text in one row) is upgraded in place and must answer every search exactly as a database
// written after it: same totals, same hits in the same order, same scores and snippets.

const WORDS = 'factuur offerte totaal klant contract service storing monteur btw bedrag levering order geldig prijs kalender kabel kader karton kameel financiële'.split(' ');
const TYPES = ['quote', 'invoice', 'sla', 'letter'];

type Doc = { id: string; customer: string; type: string; date: string | null; title: string; text: string };

function corpus(n: number): Doc[] {
  let s = 11;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const docs: Doc[] = [];
  for (let i = 0; i < n; i++) {
    const text = Array.from({ length: 3 + Math.floor(r() * 40) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(r() < 0.5 ? ' ' : ', ');
    docs.push({
      id: `doc_u${i}`,
      customer: `KL-${String(Math.floor(r() * 6)).padStart(6, '0')}`,
      type: TYPES[i % TYPES.length]!,
      date: r() < 0.1 ? null : `20${10 + Math.floor(r() * 16)}-0${1 + Math.floor(r() * 9)}-1${Math.floor(r() * 9)}`,
      title: `Document ${WORDS[i % WORDS.length]} ${i}`,
      text: `${text}.`,
    });
  }
  // A vector far past a page (thousands of distinct words): stored out of line, never refused.
  docs.push({ id: 'doc_u_long', customer: 'KL-000001', type: 'letter', date: '2020-01-01', title: 'Lang verslag factuur', text: Array.from({ length: 6000 }, (_, i) => `woord${i} factuur`).join(' ') });
  return docs;
}

/** The index entry as written before migration 004 (migrations-pg/002: one row with title, text and vector). */
async function indexAsBefore004(q: Queryable, d: Doc): Promise<void> {
  await q.run(
    `INSERT INTO document_search (document_id, title, body, tsv)
     SELECT id, $title, $body, document_search_vector($ntitle, $nbody) FROM documents WHERE id = $id`,
    { id: d.id, title: d.title, body: d.text, ntitle: normaliseForIndex(d.title), nbody: normaliseForIndex(d.text) },
  );
}

async function fill(db: PgDatabase, docs: Doc[], index: (q: Queryable, d: Doc) => Promise<void>): Promise<void> {
  await db.tx(async (q) => {
    for (let c = 0; c < 6; c++) await q.run("INSERT INTO customers (id, name, restricted, created_at, updated_at) VALUES (?, ?, ?, '2026-01-01', '2026-01-01')", [`KL-${String(c).padStart(6, '0')}`, `Klant ${c}`, c === 5 ? 1 : 0]);
    for (const d of docs) {
      await q.run(
        `INSERT INTO documents (id, customer_id, type, class, status, title, doc_date, fields, classification,
           retention_legal_basis, retention_trigger, retention_period, retention_disposition, source, created_at, updated_at)
         VALUES (?, ?, ?, 'dynamic', 'ready', ?, ?, '{}', '{}', 'x', 'document-date', 'P7Y', 'destroy', 'test', '2026-01-01', '2026-01-01')`,
        [d.id, d.customer, d.type, d.title, d.date],
      );
      await index(q, d);
    }
  });
}

describe('PostgreSQL search index upgraded by migration 004', () => {
  let upgraded: PgDatabase;
  let fresh: PgDatabase;
  let dir: string;
  let applied: string[];
  let vectorsBefore: string;
  const vectors = async (db: PgDatabase) => (await db.get<{ h: string }>("SELECT md5(string_agg(document_id || ' ' || tsv::text, '|' ORDER BY document_id)) AS h FROM document_search"))!.h;
  const docs = corpus(700);

  before(async () => {
    // The migrations as shipped before 004, in a folder of their own.
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-pg-upgrade-'));
    for (const f of (await readdir(PG_MIGRATIONS_DIR)).filter((f) => /^00[1-3]_/.test(f))) await copyFile(path.join(PG_MIGRATIONS_DIR, f), path.join(dir, f));
    upgraded = await PgDatabase.open((await freshPgDatabase())!, { poolSize: 4, searchConnections: 1 });
    await migrate(upgraded, dir);
    await fill(upgraded, docs, indexAsBefore004);
    vectorsBefore = await vectors(upgraded);
    applied = await migrate(upgraded);
    fresh = await PgDatabase.open((await freshPgDatabase())!, { poolSize: 4, searchConnections: 1 });
    await migrate(fresh);
    await fill(fresh, docs, (q, d) => searchRepository.index(q, d.id, d.title, d.text));
  });
  after(async () => {
    await upgraded?.close();
    await fresh?.close();
    await closePgAdmin();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('given a database with entries written before 004 when migrated then every entry moves to the narrow vector table and the text table, and the old table is gone', async () => {
    assert.ok(applied.some((f) => f.startsWith('004_')), applied.join(', '));
    const cols = async (t: string) => (await upgraded.all<{ c: string }>('SELECT column_name AS c FROM information_schema.columns WHERE table_name = ? ORDER BY column_name', [t])).map((r) => r.c);
    assert.deepEqual(await cols('document_search'), ['document_id', 'tsv', 'words']);
    assert.deepEqual(await cols('document_search_text'), ['body', 'document_id', 'title']);
    assert.deepEqual(await cols('document_search_002'), []);
    assert.equal(await searchRepository.count(upgraded), docs.length);
    assert.equal((await upgraded.get<{ n: number }>('SELECT COUNT(*) AS n FROM document_search_text'))!.n, docs.length);
    assert.equal(await vectors(upgraded), vectorsBefore, 'the vectors are the ones written before, unchanged');
    // Vectors up to a page sit in the row itself, uncompressed: only the one longer vector is in
    // the TOAST table, so matching and ranking fetch nothing from it for the others.
    const toast = (await upgraded.get<{ t: string }>("SELECT reltoastrelid::regclass::text AS t FROM pg_class WHERE relname = 'document_search'"))!.t;
    assert.equal((await upgraded.get<{ n: number }>(`SELECT COUNT(DISTINCT chunk_id) AS n FROM ${toast}`))!.n, 1);
    const long = await upgraded.get<{ n: number }>("SELECT pg_column_size(tsv) AS n FROM document_search WHERE document_id = 'doc_u_long'");
    assert.ok(long!.n > 8160, `the vector in TOAST is the one past a page (${long!.n} bytes)`);
  });

  const queries = ['factuur', 'ka*', 'kab*', 'offerte totaal', '"factuur totaal"', 'storing OR kameel', 'financiele', 'klant -btw', 'woord5999', 'nergens'];
  const filters: SearchFilters[] = [{}, { hideRestricted: true }, { customerId: 'KL-000003' }, { type: 'sla' }, { type: 'quote', from: '2015-01-01' }, { from: '2012-01-01', to: '2019-12-31', hideRestricted: true }];
  for (const f of filters) {
    it(`given the same documents written before and after 004 when searched with filters ${JSON.stringify(f)} then totals, hits, order, scores and snippets are the same`, async () => {
      for (const text of queries) {
        for (const [limit, offset] of [[20, 0], [20, 20], [500, 0]] as const) {
          const a = await searchRepository.search(upgraded, parseQuery(text), f, limit, offset);
          const b = await searchRepository.search(fresh, parseQuery(text), f, limit, offset);
          assert.deepEqual(a, b, `${text} ${JSON.stringify(f)} ${limit}/${offset}`);
        }
      }
    });
  }

  it('given entries written before 012 and after it when ranked then every score is exactly ts_rank(…, 1): the stored length is the one ts_rank counts', async () => {
    assert.ok(applied.some((f) => f.startsWith('012_')), applied.join(', '));
    for (const db of [upgraded, fresh]) {
      for (const text of ['factuur', 'ka*', 'offerte totaal', '"factuur totaal"', 'storing OR kameel', 'woord5999 OR kameel', 'klant -btw']) {
        const tsq = toTsquery(parseQuery(text));
        const expected = await db.all<{ id: string; score: number }>(
          `SELECT document_id AS id, -ts_rank('{0, 0, 0.3333, 1}', tsv, to_tsquery('dossierlink', ?), 1) AS score
           FROM document_search WHERE tsv @@ to_tsquery('dossierlink', ?) ORDER BY score, document_id`,
          [tsq, tsq],
        );
        const got = await searchRepository.search(db, parseQuery(text), {}, 1000, 0);
        assert.ok(expected.length > 0, text);
        // Every match, the long vector (6,000 positions, capped per word) among them where it matches.
        assert.deepEqual(got.rows.map((r) => [r.id, r.score]), expected.map((r) => [r.id, Number(r.score)]), text);
      }
    }
    const long = await upgraded.get<{ words: number; lexemes: number }>("SELECT words, length(tsv) AS lexemes FROM document_search WHERE document_id = 'doc_u_long'");
    assert.ok(long!.words > long!.lexemes, JSON.stringify(long));
  });

  it('given the upgraded database when searched then the answers are not vacuous and writes after the upgrade work', async () => {
    const all = await searchRepository.search(upgraded, parseQuery('factuur'), {}, 20, 0);
    assert.ok(all.total > 100 && all.rows.length === 20 && all.rows.every((r) => r.snippet.length > 0), String(all.total));
    assert.ok(new Set(all.rows.map((r) => r.score)).size > 1, 'ranked, not all ties');
    assert.equal((await searchRepository.search(upgraded, parseQuery('woord5999'), {}, 20, 0)).rows[0]?.id, 'doc_u_long');
    await searchRepository.index(upgraded, 'doc_u1', 'Vriescel', 'Nu over een vriescel.');
    const reindexed = await searchRepository.search(upgraded, parseQuery('vriescel'), {}, 20, 0);
    assert.deepEqual(reindexed.rows.map((r) => r.id), ['doc_u1']);
    assert.match(reindexed.rows[0]!.snippet, /\uE000vriescel\uE001/);
    await searchRepository.remove(upgraded, 'doc_u1');
    assert.equal((await upgraded.get<{ n: number }>("SELECT COUNT(*) AS n FROM document_search_text WHERE document_id = 'doc_u1'"))!.n, 0, 'removing the entry removes its text');
  });
});
