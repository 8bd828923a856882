import type { Database } from '../../src/db/database.js';
import { searchRepository } from '../../src/db/search.repository.js';

// Words made of Dutch-looking syllables, so prefixes spread over the index as real words do.
const SYLLABLES = 'ba be bo da de do ka ke ko la le lo ma me mo na ne no pa pe po ra re ro sa se so ta te to va ve vo wa we zo ij ui oe aa ee oo ch st gr kl'.split(' ');
const COMMON = 'de het een van en in op voor met aan te is dat klant datum factuur offerte totaal'.split(' ');

function word(i: number): string {
  let w = '';
  for (let n = i + 7, k = 0; k < 3 + (i % 3); k++, n = Math.floor(n / SYLLABLES.length) + k * 7919) w += SYLLABLES[n % SYLLABLES.length];
  return w;
}

/** The `n` documents fillSearchIndex indexes with these options: ids, titles and texts, the same each time. */
export function corpusDocuments(n: number, opts: { words?: number; seed?: number } = {}): { id: string; title: string; text: string }[] {
  const rare = Array.from({ length: 20_000 }, (_, i) => word(i));
  let s = (opts.seed ?? 7) >>> 0;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, (_, i) => {
    const text: string[] = [];
    for (let k = 0; k < (opts.words ?? 300); k++) {
      const x = r();
      text.push(x < 0.5 ? COMMON[Math.floor(r() * COMMON.length)] : rare[Math.floor(r() ** 2 * rare.length)]);
    }
    return { id: `doc_corpus${i}`, title: `Brief ${i}`, text: text.join(' ') };
  });
}

/**
 * Indexes `n` documents of ~`words` words each for `customerId` in one transaction: a large
 * index without OCR. The index entries through the port's indexMany; on SQLite the document rows
 * too a thousand a statement (one INSERT … SELECT from json_each), which node-sqlite3 is called
 * for 1/1000th as often: 16,000 documents of 100 words in ~2 s instead of ~17.
 */
export async function fillSearchIndex(db: Database, n: number, opts: { customerId: string; words?: number; seed?: number }): Promise<void> {
  const docs = corpusDocuments(n, opts);
  const insert = `INSERT INTO documents (id, customer_id, type, class, status, title, doc_date, fields, classification,
      retention_legal_basis, retention_trigger, retention_period, retention_disposition, source, created_at, updated_at)`;
  const values = `'letter', 'dynamic', 'ready'`;
  const rest = `'2025-01-15', '{}', '{}', 'x', 'document-date', 'P7Y', 'destroy', 'test', '2026-01-01', '2026-01-01'`;
  await db.tx(async (q) => {
    if (db.dialect !== 'sqlite') {
      for (const d of docs) await q.run(`${insert} VALUES (?, ?, ${values}, ?, ${rest})`, [d.id, opts.customerId, d.title]);
    } else {
      for (let from = 0; from < n; from += 1000) {
        const batch = JSON.stringify(docs.slice(from, from + 1000).map((d) => ({ id: d.id, title: d.title })));
        await q.run(`${insert} SELECT j.value ->> 'id', ?, ${values}, j.value ->> 'title', ${rest} FROM json_each(?) j ORDER BY j.key`, [opts.customerId, batch]);
      }
    }
    await searchRepository.indexMany(q, docs);
  });
}
