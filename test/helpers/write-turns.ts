import type { Database } from '../../src/db/database.js';
import { fillSearchIndex } from './search-corpus.js';
import { startTestApp, type TestApp } from './test-app.js';

/**
 * Counts the write transactions asked of `db` until `stop()`. Writes take turns (SQLite's one
 * writer, a cluster-wide lock on PostgreSQL), so each is a turn that other writes, and every
 * audited read, wait for.
 *
 *     const w = countWriteTurns(t.dl.db);
 *     try { await work(); assert.equal(w.turns, 1); } finally { w.stop(); }
 */
export function countWriteTurns(db: Database): { readonly turns: number; stop(): void } {
  const tx = db.tx;
  let turns = 0;
  db.tx = ((fn) => (turns++, tx.call(db, fn))) as typeof db.tx;
  return {
    get turns() {
      return turns;
    },
    stop: () => {
      db.tx = tx;
    },
  };
}

/**
 * An app without demo data holding `n` letters of customer KL-1 that a daily pass or a retention
 * recompute changes, every one: stored as dynamic without a scan (paper stays static) and with
 * a placeholder retention schedule.
 */
export async function startAppWithStaleLetters(n: number): Promise<TestApp> {
  const t = await startTestApp({ demo: false });
  await t.dl.db.run("INSERT INTO customers (id, name, created_at, updated_at) VALUES ('KL-1', 'Klant', '2026-01-01', '2026-01-01')");
  await fillSearchIndex(t.dl.db, n, { customerId: 'KL-1', words: 5 });
  return t;
}
