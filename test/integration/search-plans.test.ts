// postgres-pass: skip (SQLite's FTS5 plans on purpose; test/postgres/search-postgres.test.ts covers PostgreSQL)
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Queryable } from '../../src/db/database.js';
import { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { MARK_CLOSE, MARK_OPEN, TOTAL_CAP, searchRepository, type SearchFilters } from '../../src/db/search.repository.js';
import { toFts5Match } from '../../src/db/search-fts5.js';
import { parseQuery, type SearchQuery } from '../../src/domain/search-query.js';
import { fillSearchIndex } from '../helpers/search-corpus.js';

/**
 * The query plans before issue 15, kept verbatim as the reference: the faster plans must return
 * exactly the same totals, rows, order, scores and snippets.
 */
async function searchBefore(q: Queryable, query: SearchQuery, f: SearchFilters, limit: number, offset: number) {
  const match = toFts5Match(query);
  const parts = ['d.destroyed_at IS NULL'];
  const wargs: unknown[] = [];
  if (f.customerId) (parts.push('d.customer_id = ?'), wargs.push(f.customerId));
  if (f.type) (parts.push('d.type = ?'), wargs.push(f.type));
  if (f.class) (parts.push('d.class = ?'), wargs.push(f.class));
  if (f.from) (parts.push('d.doc_date >= ?'), wargs.push(f.from));
  if (f.to) (parts.push('d.doc_date <= ?'), wargs.push(f.to));
  const filtered = parts.length > 1;
  // Restriction as it was first written: by customer, on the documents table, and without other
  // filters a list of rowids beside the index (destroyed documents are no longer in the index).
  if (f.hideRestricted) parts.push('(d.customer_id IS NULL OR d.customer_id NOT IN (SELECT id FROM customers WHERE restricted <> 0))');
  const w = parts.join(' AND ');
  const hide = f.hideRestricted ? ' AND rowid NOT IN (SELECT d.rowid FROM documents d WHERE d.customer_id IN (SELECT id FROM customers WHERE restricted <> 0))' : '';
  let matches: string;
  let args: unknown[];
  let order: string;
  if (f.customerId) {
    matches = `SELECT d.rowid AS rowid, 0 AS score, COALESCE(d.doc_date, '') AS d8 FROM documents d
      WHERE ${w} AND d.rowid IN (SELECT rowid FROM document_fts WHERE document_fts MATCH ?)`;
    args = [...wargs, match];
    order = 'd8 DESC, rowid DESC';
  } else {
    // NOT INDEXED keeps the old plan (FTS first) although migration 015 added indexes it would now prefer.
    matches = filtered
      ? `SELECT document_fts.rowid AS rowid, bm25(document_fts, 3.0, 1.0) AS score FROM document_fts
         JOIN documents d NOT INDEXED ON d.rowid = document_fts.rowid WHERE document_fts MATCH ? AND ${w}`
      : `SELECT rowid, bm25(document_fts, 3.0, 1.0) AS score FROM document_fts WHERE document_fts MATCH ?${hide}`;
    args = [match, ...(filtered ? wargs : [])];
    order = 'score';
  }
  const counted = await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (${matches.replace(/, bm25\(document_fts, 3\.0, 1\.0\) AS score/, '')} LIMIT ${TOTAL_CAP + 1})`, args);
  const top = await q.all<{ rowid: number; score: number }>(`${matches} ORDER BY ${order} LIMIT ? OFFSET ?`, [...args, limit, offset]);
  const rows = top.length
    ? await q.all<{ rowid: number; id: string; snippet: string }>(
        `SELECT d.rowid AS rowid, d.id, d.customer_id, d.type, d.class, d.title, d.doc_date,
                snippet(document_fts, 1, '${MARK_OPEN}', '${MARK_CLOSE}', '…', 16) AS snippet
         FROM document_fts JOIN documents d ON d.rowid = document_fts.rowid
         WHERE document_fts MATCH ? AND document_fts.rowid IN (${top.map(() => '?').join(',')})`,
        [match, ...top.map((t) => t.rowid)],
      )
    : [];
  const byRowid = new Map(rows.map((r) => [r.rowid, r]));
  return { total: Math.min(counted?.n ?? 0, TOTAL_CAP), totalCapped: (counted?.n ?? 0) > TOTAL_CAP, rows: top.flatMap((t) => (byRowid.has(t.rowid) ? [{ ...byRowid.get(t.rowid)!, score: t.score }] : [])) };
}

const WORDS = 'factuur offerte totaal klant contract service storing monteur btw bedrag levering order geldig prijs kalender kabel kader karton kameel'.split(' ');
const TYPES = ['quote', 'invoice', 'sla', 'letter'];

describe('searchRepository.search query plans (issue 15)', () => {
  let dir: string;
  let db: Database;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-search-plans-'));
    db = await Database.open(path.join(dir, 'db.sqlite'));
    await migrate(db);
    let s = 7;
    const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    await db.tx(async (q) => {
      for (let c = 0; c < 12; c++) await q.run("INSERT INTO customers (id, name, created_at, updated_at) VALUES (?, ?, '2026-01-01', '2026-01-01')", [`KL-${String(c).padStart(6, '0')}`, `Klant ${c}`]);
      for (let i = 0; i < 3000; i++) {
        const id = `doc_p${i}`;
        const date = r() < 0.1 ? null : `20${10 + Math.floor(r() * 16)}-0${1 + Math.floor(r() * 9)}-1${Math.floor(r() * 9)}`;
        await q.run(
          `INSERT INTO documents (id, customer_id, type, class, status, title, doc_date, fields, classification, destroyed_at,
             retention_legal_basis, retention_trigger, retention_period, retention_disposition, source, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'ready', ?, ?, '{}', '{}', ?, 'x', 'document-date', 'P7Y', 'destroy', 'test', '2026-01-01', '2026-01-01')`,
          [id, `KL-${String(Math.floor(r() * 12)).padStart(6, '0')}`, TYPES[i % TYPES.length], r() < 0.3 ? 'static' : 'dynamic', `Document ${WORDS[i % WORDS.length]}`, date, r() < 0.03 ? '2026-02-01' : null],
        );
        // Few words from a small vocabulary: many equal bm25 scores, so tie order is tested too.
        const text = Array.from({ length: 3 + Math.floor(r() * 12) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
        await searchRepository.index(q, id, `Document ${WORDS[i % WORDS.length]}`, text);
      }
    });
  });
  after(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  // Prefixes of 2-3 letters use FTS5's prefix indexes, longer ones are expanded word by word.
  const queries = ['factuur', 'ka*', 'kab*', 'kame*', 'factuur -kale*', 'offerte totaal', '"factuur totaal"', 'storing OR kameel', 'nergens'];
  const filters: SearchFilters[] = [
    {},
    { customerId: 'KL-000003' },
    { customerId: 'KL-000004', type: 'invoice' },
    { type: 'sla' },
    { type: 'quote', from: '2015-01-01' },
    { from: '2012-01-01', to: '2019-12-31' },
    { class: 'static' },
    { type: 'letter', class: 'dynamic', to: '2020-06-30' },
  ];
  // What a user without the compliance role searches with: restricted customers hidden.
  const hiding: SearchFilters[] = [{ hideRestricted: true }, { customerId: 'KL-000005', hideRestricted: true }, { type: 'quote', from: '2015-01-01', hideRestricted: true }];
  async function sameAsBefore(f: SearchFilters) {
    for (const text of queries) {
      const match = parseQuery(text);
      for (const [limit, offset] of [[20, 0], [20, 20], [500, 0]] as const) {
        const now = await searchRepository.search(db, match, f, limit, offset);
        const was = await searchBefore(db, match, f, limit, offset);
        assert.deepEqual(now, was, `${text} ${JSON.stringify(f)} limit ${limit} offset ${offset}`);
      }
    }
  }
  for (const f of [...filters, ...hiding]) {
    it(`given 3,000 documents when searched with filters ${JSON.stringify(f)} then every query returns exactly what the old plan returned`, async () => {
      await sameAsBefore(f);
    });
  }

  it('given a restricted customer when searched hiding restricted customers then every query returns exactly what the old plan returned, without that customer', async () => {
    await db.run("UPDATE customers SET restricted = 1 WHERE id = 'KL-000005'");
    try {
      for (const f of hiding) await sameAsBefore(f);
      const shown = await searchRepository.search(db, parseQuery('factuur'), { hideRestricted: true }, 500, 0);
      const all = await searchRepository.search(db, parseQuery('factuur'), {}, 500, 0);
      assert.ok(shown.total < all.total && shown.rows.every((r) => r.customer_id !== 'KL-000005'), 'the restricted customer is hidden');
      assert.equal((await searchRepository.search(db, parseQuery('factuur'), { customerId: 'KL-000005', hideRestricted: true }, 20, 0)).total, 0);
    } finally {
      await db.run("UPDATE customers SET restricted = 0 WHERE id = 'KL-000005'");
    }
  });

  it('given a generated set when searched then the comparison is not vacuous (hits, ties and filters all occur)', async () => {
    const all = await searchRepository.search(db, parseQuery('factuur'), {}, 500, 0);
    assert.ok(all.total > 100);
    const scores = all.rows.map((r) => r.score);
    assert.ok(new Set(scores).size < scores.length, 'equal scores occur');
    const sla = await searchRepository.search(db, parseQuery('factuur'), { type: 'sla' }, 500, 0);
    assert.ok(sla.total > 0 && sla.total < all.total && sla.rows.every((r) => r.type === 'sla'));
  });
});

describe('searchRepository.search for one customer past the total cap (issue 15)', () => {
  let dir: string;
  let db: Database;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-search-cap-'));
    db = await Database.open(path.join(dir, 'db.sqlite'));
    await migrate(db);
    await db.run("INSERT INTO customers (id, name, created_at, updated_at) VALUES ('KL-000777', 'Groot', '2026-01-01', '2026-01-01')");
    // Every title is "Brief <n>": `brief` matches every document, past the cap.
    await fillSearchIndex(db, TOTAL_CAP + 200, { customerId: 'KL-000777', words: 10 });
  });
  after(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('given more matching documents than the cap when one customer is searched then total, cap flag and every page are what the old plan returned', async () => {
    const f = { customerId: 'KL-000777', hideRestricted: true };
    for (const text of ['brief']) {
      // The first page comes from one pass; a page past the cap from the count and ranking passes.
      for (const [limit, offset] of [[20, 0], [20, TOTAL_CAP - 5]] as const) {
        const now = await searchRepository.search(db, parseQuery(text), f, limit, offset);
        assert.deepEqual(now, await searchBefore(db, parseQuery(text), f, limit, offset), `${text} limit ${limit} offset ${offset}`);
        assert.ok(now.totalCapped && now.total === TOTAL_CAP && now.rows.length === limit, `${text} is capped`);
      }
    }
  });
});
