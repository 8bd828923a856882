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

/**
 * Indexes `n` documents of ~`words` words each for `customerId`, straight through the
 * repository in one transaction (about 2 s for 20,000): a large index without OCR.
 */
export async function fillSearchIndex(db: Database, n: number, opts: { customerId: string; words?: number; seed?: number }): Promise<void> {
  const rare = Array.from({ length: 20_000 }, (_, i) => word(i));
  let s = (opts.seed ?? 7) >>> 0;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  await db.tx(async (q) => {
    for (let i = 0; i < n; i++) {
      const id = `doc_corpus${i}`;
      await q.run(
        `INSERT INTO documents (id, customer_id, type, class, status, title, doc_date, fields, classification,
           retention_legal_basis, retention_trigger, retention_period, retention_disposition, source, created_at, updated_at)
         VALUES (?, ?, 'letter', 'dynamic', 'ready', ?, '2025-01-15', '{}', '{}', 'x', 'document-date', 'P7Y', 'destroy', 'test', '2026-01-01', '2026-01-01')`,
        [id, opts.customerId, `Brief ${i}`],
      );
      const text: string[] = [];
      for (let k = 0; k < (opts.words ?? 300); k++) {
        const x = r();
        text.push(x < 0.5 ? COMMON[Math.floor(r() * COMMON.length)] : rare[Math.floor(r() ** 2 * rare.length)]);
      }
      await searchRepository.index(q, id, `Brief ${i}`, text.join(' '));
    }
  });
}
