import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { PgDatabase } from '../../src/db/pg-database.js';
import { SNIPPETS, snippetArgs, toTsquery } from '../../src/db/search-pg.js';
import { MARK_CLOSE, MARK_OPEN, searchIndexFor, searchRepository, type SearchFilters } from '../../src/db/search.repository.js';
import { parseQuery } from '../../src/domain/search-query.js';
import { AppError } from '../../src/errors.js';
import { AuditService } from '../../src/services/audit.service.js';
import { systemClock } from '../../src/services/clock.js';
import { SearchService } from '../../src/services/search.service.js';
import { closePgAdmin, freshPgDatabase } from '../helpers/postgres.js';

// Runs in the PostgreSQL pass (`node scripts/run-tests.mjs --postgres test/postgres/search-postgres.test.ts`):
// the same documents indexed in PostgreSQL and in SQLite, so every answer of the new engine is
// checked on its own and against what the embedded engine answers for the same query.

type Doc = { id: string; customer: string | null; type: string; date: string | null; title: string; text: string };

const DOCS: Doc[] = [
  { id: 'doc_quote', customer: 'KL-000001', type: 'quote', date: '2025-03-01', title: 'Offerte koelunit', text: 'Geachte heer, hierbij de offerte voor de nieuwe koelunit. Financiële voorwaarden: betaling binnen dertig dagen na levering.' },
  { id: 'doc_invoice', customer: 'KL-000001', type: 'invoice', date: '2025-04-01', title: 'Factuur 2025-001', text: 'Factuur voor het onderhoud van de koelunit. Totaal bedrag 4.850,00 EUR, klantnummer KL-000123, te betalen binnen dertig dagen.' },
  { id: 'doc_sla', customer: 'KL-000002', type: 'sla', date: '2024-01-15', title: 'Service level agreement', text: 'The service level agreement covers maintenance and repairs of the cooling unit. Response time is four hours, every day of the week.' },
  { id: 'doc_letter', customer: 'KL-000002', type: 'letter', date: null, title: 'Letter', text: 'We refer to our agreement about the cooling units; the offerte of March was accepted by the board.' },
  { id: 'doc_title_hit', customer: 'KL-000003', type: 'letter', date: '2025-05-01', title: 'Koelunit onderhoud', text: 'Jaarlijks onderhoud aan de installatie is uitgevoerd door de monteur.' },
  { id: 'doc_text_hit', customer: 'KL-000003', type: 'letter', date: '2025-05-02', title: 'Onderhoud installatie', text: 'Jaarlijks onderhoud aan de koelunit is uitgevoerd door de monteur.' },
  { id: 'doc_secret', customer: 'KL-000009', type: 'quote', date: '2025-02-01', title: 'Offerte koelunit beperkt', text: 'Een offerte voor een klant die verwerking heeft laten beperken: koelunit en financiële gegevens.' },
  { id: 'doc_long', customer: 'KL-000001', type: 'letter', date: '2023-06-30', title: 'Verslag', text: `${'Lange tekst over de stand van zaken bij de klant. '.repeat(20)}Aan het eind staat de koelunit nog één keer. ${'Verder niets bijzonders te melden. '.repeat(10)}` },
];

async function fill(db: Database): Promise<void> {
  await db.tx(async (q) => {
    for (const c of ['KL-000001', 'KL-000002', 'KL-000003', 'KL-000009']) {
      await q.run("INSERT INTO customers (id, name, created_at, updated_at) VALUES (?, ?, '2026-01-01', '2026-01-01')", [c, `Klant ${c}`]);
    }
    await q.run("UPDATE customers SET restricted = 1 WHERE id = 'KL-000009'");
    for (const d of DOCS) {
      await q.run(
        `INSERT INTO documents (id, customer_id, type, class, status, title, doc_date, fields, classification,
           retention_legal_basis, retention_trigger, retention_period, retention_disposition, source, created_at, updated_at)
         VALUES (?, ?, ?, 'dynamic', 'ready', ?, ?, '{}', '{}', 'x', 'document-date', 'P7Y', 'destroy', 'test', '2026-01-01', '2026-01-01')`,
        [d.id, d.customer, d.type, d.title, d.date],
      );
      await searchRepository.index(q, d.id, d.title, d.text);
    }
  });
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();

describe('PostgreSQL search index', () => {
  let pg: PgDatabase;
  let lite: SqliteDatabase;
  let dir: string;
  const find = (query: string, f: SearchFilters = {}, db: Database = pg, limit = 20, offset = 0) => searchRepository.search(db, parseQuery(query), f, limit, offset);

  before(async () => {
    const url = await freshPgDatabase();
    assert.ok(url, 'the PostgreSQL pass sets DOSSIER_TEST_PG_URL');
    pg = await PgDatabase.open(url, { poolSize: 4, searchConnections: 2 });
    await migrate(pg);
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-search-pg-'));
    lite = await SqliteDatabase.open(path.join(dir, 'db.sqlite'));
    await migrate(lite);
    await fill(pg);
    await fill(lite);
  });
  after(async () => {
    await pg?.close();
    await lite?.close();
    await closePgAdmin();
    await rm(dir, { recursive: true, force: true });
  });

  it('given a PostgreSQL connection when the index is chosen then it is the tsvector index, not FTS5', async () => {
    assert.notEqual(searchIndexFor(pg), searchIndexFor(lite));
    assert.equal(await searchRepository.count(pg), DOCS.length);
    const row = await pg.get<{ n: number }>("SELECT COUNT(*) AS n FROM document_search WHERE tsv @@ to_tsquery('dossierlink', 'koelunit')");
    assert.equal(row?.n, 6);
  });

  it('given a page of hits when its snippets are read then each hit\'s headline is computed once, not once per place that uses it', async () => {
    // A pulled-up subquery copies its expression into every reference: ts_headline ran five times per hit.
    const [plan] = await pg.all<{ 'QUERY PLAN': unknown }>(`EXPLAIN (VERBOSE, FORMAT JSON) ${SNIPPETS}`, snippetArgs(toTsquery(parseQuery('koelunit')), ['doc_quote', 'doc_long']));
    // A node of its own computes the headline and nothing else; the others refer to its result.
    type Node = { Output?: string[]; Plans?: Node[] };
    const nodes = (n: Node): Node[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
    const computing = nodes((plan!['QUERY PLAN'] as { Plan: Node }[])[0]!.Plan).filter((n) => n.Output?.some((o) => o.startsWith('ts_headline(')));
    assert.deepEqual(computing.map((n) => n.Output!.length), [1], JSON.stringify(plan));
    const { rows } = await find('koelunit');
    // Every hit whose text holds the word shows it marked (a title-only hit shows the start of its text).
    const inText = rows.filter((r) => /koelunit/i.test(DOCS.find((d) => d.id === r.id)!.text));
    assert.ok(inText.length >= 4 && inText.every((r) => r.snippet.toLowerCase().includes(`${MARK_OPEN}koelunit${MARK_CLOSE}`)), JSON.stringify(rows.map((r) => r.snippet)));
  });

  it('given a prefix when searched then every word starting with it matches, across accents', async () => {
    assert.deepEqual(ids((await find('financ*')).rows), ['doc_quote', 'doc_secret']);
    assert.deepEqual(ids((await find('koel*')).rows), ['doc_invoice', 'doc_long', 'doc_quote', 'doc_secret', 'doc_text_hit', 'doc_title_hit']);
  });

  it('given a word with or without its accent when searched then both spellings find the same documents', async () => {
    const plain = await find('financiele');
    const accented = await find('financiële');
    assert.deepEqual(ids(plain.rows), ['doc_quote', 'doc_secret']);
    assert.deepEqual(ids(accented.rows), ids(plain.rows));
    assert.deepEqual(ids((await find('FINANCIËLE')).rows), ['doc_quote', 'doc_secret'], 'case folds too');
  });

  it('given a phrase when searched then the words must stand together and in order', async () => {
    assert.deepEqual(ids((await find('"service level"')).rows), ['doc_sla']);
    assert.equal((await find('"level service"')).total, 0);
    assert.equal((await find('"onderhoud jaarlijks"')).total, 0, 'a phrase does not run from the title into the text, as FTS5 columns do not');
    assert.deepEqual(ids((await find('"dertig dagen"')).rows), ['doc_invoice', 'doc_quote']);
  });

  it('given Dutch and English words when searched then each finds its documents, unstemmed as in SQLite', async () => {
    assert.deepEqual(ids((await find('offerte')).rows), ['doc_letter', 'doc_quote', 'doc_secret']);
    assert.deepEqual(ids((await find('agreement')).rows), ['doc_letter', 'doc_sla']);
    assert.equal((await find('agreements')).total, 0, 'no stemming: agreements is another word');
    assert.deepEqual(ids((await find('de')).rows), ['doc_invoice', 'doc_long', 'doc_quote', 'doc_text_hit', 'doc_title_hit'], 'no stop words: "de" is a word like any other');
    assert.deepEqual(ids((await find('the')).rows), ['doc_letter', 'doc_sla']);
  });

  it('given numbers and customer numbers with punctuation when searched then they match as the words the index holds', async () => {
    assert.deepEqual(ids((await find('KL-000123')).rows), ['doc_invoice']);
    assert.deepEqual(ids((await find('4.850,00')).rows), ['doc_invoice']);
    assert.deepEqual(ids((await find('850')).rows), ['doc_invoice']);
  });

  it('given OR and an excluded word when searched then either word matches and the excluded one removes', async () => {
    assert.deepEqual(ids((await find('factuur OR agreement')).rows), ['doc_invoice', 'doc_letter', 'doc_sla']);
    assert.deepEqual(ids((await find('koelunit -offerte')).rows), ['doc_invoice', 'doc_long', 'doc_text_hit', 'doc_title_hit']);
  });

  it('given a word in one title and in another text when searched then the title hit ranks first', async () => {
    const r = await find('onderhoud koelunit', { customerId: undefined, type: 'letter' });
    assert.deepEqual(r.rows.map((x) => x.id), ['doc_title_hit', 'doc_text_hit']);
    assert.ok(r.rows[0]!.score < r.rows[1]!.score, 'lower is better, as bm25');
  });

  it('given a restricted customer when searched without the right to see it then its documents are left out, with and without filters', async () => {
    assert.ok(ids((await find('koelunit')).rows).includes('doc_secret'));
    assert.ok(!ids((await find('koelunit', { hideRestricted: true })).rows).includes('doc_secret'));
    assert.equal((await find('beperkt', { hideRestricted: true })).total, 0);
    assert.equal((await find('beperkt', { hideRestricted: true, type: 'quote' })).total, 0);
    assert.equal((await find('beperkt', { type: 'quote' })).total, 1);
  });

  it('given a hit when its snippet is built then the matched words are marked, cut text shows …, and the service makes it <mark>', async () => {
    const r = await find('koelunit', { customerId: 'KL-000001' });
    const long = r.rows.find((x) => x.id === 'doc_long')!;
    assert.match(long.snippet, new RegExp(`^….*${MARK_OPEN}koelunit${MARK_CLOSE}.*…$`, 's'));
    assert.ok(long.snippet.split(/\s+/).length <= 20, long.snippet);
    const quote = r.rows.find((x) => x.id === 'doc_quote')!;
    assert.match(quote.snippet, new RegExp(`${MARK_OPEN}koelunit${MARK_CLOSE}`));
    const accented = await find('financiele');
    assert.match(accented.rows[0]!.snippet, new RegExp(`${MARK_OPEN}[Ff]inanciële${MARK_CLOSE}`), 'the original spelling is marked');
    const service = new SearchService(pg, new AuditService(pg, systemClock));
    const hits = await service.search('koel*', { customerId: 'KL-000003' }, { limit: 20, offset: 0 }, { id: 'u_crm', name: 'crm', roles: ['crm'] });
    assert.deepEqual(hits.hits.map((h) => h.documentId), ['doc_text_hit', 'doc_title_hit'], 'one customer: newest first');
    assert.match(hits.hits[0]!.snippet, /<mark>koelunit<\/mark>/, 'a text hit is marked in the snippet');
    assert.doesNotMatch(hits.hits[1]!.snippet, /<mark>/, 'a title-only hit shows the text unmarked, as in SQLite');
  });

  it('given a malformed or too costly query when searched through the service then 400 with the same codes as on SQLite', async () => {
    const service = new SearchService(pg, new AuditService(pg, systemClock));
    const actor = { id: 'u_crm', name: 'crm', roles: ['crm' as const] };
    for (const [q, code] of [
      ['"unclosed', 'invalid_query'],
      ['-only', 'invalid_query'],
      ['a*', 'prefix_too_short'],
      ['ka* ba* de* ma* ra* lo*', 'too_many_prefixes'],
      [Array.from({ length: 17 }, (_, i) => `w${i}`).join(' '), 'too_many_terms'],
    ] as const) {
      await assert.rejects(service.search(q, {}, { limit: 20, offset: 0 }, actor), (e: unknown) => e instanceof AppError && e.status === 400 && e.code === code, q);
    }
    // Characters that mean something to tsquery are only ever words.
    assert.equal((await find("koelunit & ! | <-> ' : (")).total, 6);
  });

  it('given the same documents in SQLite and PostgreSQL when the same queries are asked then totals and hits agree', async () => {
    const queries = ['koelunit', 'koel*', 'financiele', 'financ*', '"dertig dagen"', 'offerte OR agreement', 'koelunit -offerte', 'KL-000123', 'onderhoud monteur', 'de', 'nergens', 'unit*'];
    const filters: SearchFilters[] = [{}, { hideRestricted: true }, { customerId: 'KL-000001' }, { type: 'letter' }, { from: '2025-01-01', to: '2025-04-30' }, { type: 'quote', hideRestricted: true }];
    for (const q of queries) {
      for (const f of filters) {
        const [a, b] = [await find(q, f, pg, 50), await find(q, f, lite, 50)];
        const what = `${q} ${JSON.stringify(f)}`;
        assert.equal(a.total, b.total, what);
        // Within one customer both order newest first; elsewhere each engine ranks with its own formula.
        if (f.customerId) assert.deepEqual(a.rows.map((r) => r.id), b.rows.map((r) => r.id), what);
        else assert.deepEqual(ids(a.rows), ids(b.rows), what);
      }
    }
    const paged = [...(await find('koelunit', {}, pg, 2, 0)).rows, ...(await find('koelunit', {}, pg, 2, 2)).rows, ...(await find('koelunit', {}, pg, 2, 4)).rows];
    assert.deepEqual(paged.map((r) => r.id), (await find('koelunit', {}, pg, 6, 0)).rows.map((r) => r.id), 'pages follow one order');
    const past = await find('koelunit', {}, pg, 20, 40);
    assert.deepEqual([past.total, past.rows.length], [6, 0], 'a page past the end still says how many there are');
  });

  it('given a legal hold by text when matched then both engines freeze the same documents', async () => {
    const f = { customerId: null, type: null, from: '2025-01-01', to: null };
    const a = await searchRepository.matchText(pg, parseQuery('koelunit OR agreement'), f, 100);
    const b = await searchRepository.matchText(lite, parseQuery('koelunit OR agreement'), f, 100);
    assert.deepEqual(a, b);
    assert.deepEqual(ids(a), ['doc_invoice', 'doc_letter', 'doc_quote', 'doc_secret', 'doc_text_hit', 'doc_title_hit']);
  });

  it('given a document destroyed without leaving the index when reindex sweeps then its entry goes and the walk skips it', async () => {
    const before = await searchRepository.countReindexable(pg);
    await pg.run("UPDATE documents SET destroyed_at = '2026-02-01' WHERE id = 'doc_long'");
    assert.equal(await searchRepository.countReindexable(pg), before - 1);
    assert.equal(await searchRepository.removeOrphans(pg), 1);
    assert.deepEqual([await searchRepository.indexed(pg, 'doc_long'), await searchRepository.indexed(pg, 'doc_quote')], [false, true]);
    assert.equal((await find('lange')).total, 0);
    const walk = await searchRepository.reindexBatchAfter(pg, 0, 100);
    assert.deepEqual(ids(walk), ids(DOCS.filter((d) => d.id !== 'doc_long')));
    await searchRepository.index(pg, 'doc_quote', 'Offerte vriescel', 'Nu over een vriescel.');
    assert.equal((await find('koelunit', { customerId: 'KL-000001' })).rows.some((r) => r.id === 'doc_quote'), false, 'reindexing replaces the entry');
    assert.deepEqual(ids((await find('vriescel')).rows), ['doc_quote']);
  });
});

const WORDS = 'factuur offerte totaal klant contract service storing monteur btw bedrag levering order geldig prijs kalender kabel kader karton kameel financiële'.split(' ');
const TYPES = ['quote', 'invoice', 'sla', 'letter'];

/** The generated set of search-plans.test.ts (few words, many ties, every filter), smaller: the same in both engines. */
async function fillGenerated(db: Database, n: number): Promise<void> {
  let s = 7;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  await db.tx(async (q) => {
    for (let c = 0; c < 12; c++) await q.run("INSERT INTO customers (id, name, restricted, created_at, updated_at) VALUES (?, ?, ?, '2026-01-01', '2026-01-01')", [`KL-${String(c).padStart(6, '0')}`, `Klant ${c}`, c === 5 ? 1 : 0]);
    for (let i = 0; i < n; i++) {
      const id = `doc_g${i}`;
      const date = r() < 0.1 ? null : `20${10 + Math.floor(r() * 16)}-0${1 + Math.floor(r() * 9)}-1${Math.floor(r() * 9)}`;
      await q.run(
        `INSERT INTO documents (id, customer_id, type, class, status, title, doc_date, fields, classification, destroyed_at,
           retention_legal_basis, retention_trigger, retention_period, retention_disposition, source, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'ready', ?, ?, '{}', '{}', ?, 'x', 'document-date', 'P7Y', 'destroy', 'test', '2026-01-01', '2026-01-01')`,
        [id, `KL-${String(Math.floor(r() * 12)).padStart(6, '0')}`, TYPES[i % TYPES.length], r() < 0.3 ? 'static' : 'dynamic', `Document ${WORDS[i % WORDS.length]}`, date, r() < 0.03 ? '2026-02-01' : null],
      );
      const text = Array.from({ length: 3 + Math.floor(r() * 12) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
      await searchRepository.index(q, id, `Document ${WORDS[i % WORDS.length]}`, text);
    }
  });
}

describe('PostgreSQL search index against SQLite on a generated set', () => {
  let pg: PgDatabase;
  let lite: SqliteDatabase;
  let dir: string;
  before(async () => {
    pg = await PgDatabase.open((await freshPgDatabase())!, { poolSize: 4, searchConnections: 1 });
    await migrate(pg);
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-search-pg-gen-'));
    lite = await SqliteDatabase.open(path.join(dir, 'db.sqlite'));
    await migrate(lite);
    await fillGenerated(pg, 1200);
    await fillGenerated(lite, 1200);
  });
  after(async () => {
    await pg?.close();
    await lite?.close();
    await closePgAdmin();
    await rm(dir, { recursive: true, force: true });
  });

  const queries = ['factuur', 'ka*', 'kab*', 'offerte totaal', '"factuur totaal"', 'storing OR kameel', 'financiele', 'klant -btw', 'nergens'];
  const filters: SearchFilters[] = [
    {},
    { hideRestricted: true },
    { customerId: 'KL-000003' },
    { customerId: 'KL-000004', type: 'invoice' },
    { type: 'sla' },
    { type: 'quote', from: '2015-01-01' },
    { from: '2012-01-01', to: '2019-12-31', hideRestricted: true },
    { class: 'static' },
    { type: 'letter', class: 'dynamic', to: '2020-06-30' },
  ];
  for (const f of filters) {
    it(`given 1,200 documents in both engines when searched with filters ${JSON.stringify(f)} then totals and hits are the same`, async () => {
      for (const text of queries) {
        // Every hit (the set is smaller than the page), so the sets compare although each engine ranks its own way.
        const [a, b] = [await searchRepository.search(pg, parseQuery(text), f, 2000, 0), await searchRepository.search(lite, parseQuery(text), f, 2000, 0)];
        const what = `${text} ${JSON.stringify(f)}`;
        assert.equal(a.total, b.total, what);
        if (f.customerId) assert.deepEqual(a.rows.map((r) => r.id), b.rows.map((r) => r.id), what);
        else assert.deepEqual(ids(a.rows), ids(b.rows), what);
        assert.ok(a.rows.every((r) => r.snippet.length > 0), what);
      }
    });
  }

  it('given the generated set when searched then the comparison is not vacuous (hits, filters and capped pages occur)', async () => {
    const all = await searchRepository.search(pg, parseQuery('factuur'), {}, 500, 0);
    assert.ok(all.total > 300, String(all.total));
    const sla = await searchRepository.search(pg, parseQuery('factuur'), { type: 'sla' }, 500, 0);
    assert.ok(sla.total > 0 && sla.total < all.total && sla.rows.every((r) => r.type === 'sla'));
    const hidden = await searchRepository.search(pg, parseQuery('factuur'), { hideRestricted: true }, 500, 0);
    assert.ok(hidden.total < all.total && hidden.rows.every((r) => r.customer_id !== 'KL-000005'));
  });
});
