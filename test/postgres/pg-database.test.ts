import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueryInterrupted } from '../../src/db/database.js';
import { PgDatabase, translate } from '../../src/db/pg-database.js';
import { closePgAdmin, freshPgDatabase } from '../helpers/postgres.js';

// Runs in the PostgreSQL pass (`node scripts/run-tests.mjs --postgres test/postgres`), on the run's real server.

describe('translate', () => {
  it('given positional parameters, when translated, then they are numbered in order', () => {
    assert.equal(translate('SELECT * FROM t WHERE a = ? AND b IN (?, ?)').text, 'SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)');
  });

  it('given named parameters used twice, when translated, then each name is one number and values follow the names', () => {
    const t = translate('SELECT 1 WHERE x <= $now OR y < $now AND z = :who');
    assert.equal(t.text, 'SELECT 1 WHERE x <= $1 OR y < $1 AND z = $2');
    assert.deepEqual(t.names, ['now', 'who']);
  });

  it('given question marks in strings, identifiers, comments, casts and dollar bodies, when translated, then only real parameters change', () => {
    const sql = `SELECT '?', "a?b", x::text -- what?\n, $$ body ? $$ FROM t WHERE c = ?`;
    assert.equal(translate(sql).text, `SELECT '?', "a?b", x::text -- what?\n, $$ body ? $$ FROM t WHERE c = $1`);
  });

  it('given both styles in one statement, when translated, then it is refused', () => {
    assert.throws(() => translate('SELECT ? WHERE a = $b'), /mixes/);
  });
});

describe(PgDatabase.name, () => {
  let db: PgDatabase;

  before(async () => {
    const url = await freshPgDatabase();
    assert.ok(url, 'the PostgreSQL pass sets DOSSIER_TEST_PG_URL');
    db = await PgDatabase.open(url, { poolSize: 8, searchConnections: 1 });
    await db.exec('CREATE TABLE counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO counter VALUES (\'c\', 0);');
    await db.exec('CREATE TABLE items (id TEXT PRIMARY KEY, flag INTEGER NOT NULL DEFAULT 0)');
  });

  after(async () => {
    await db?.close();
    await closePgAdmin();
  });

  it('given SQLite-shaped answers, when counting and testing existence, then numbers and 1/0 come back, not strings and booleans', async () => {
    await db.run('INSERT INTO items (id, flag) VALUES (?, ?), (?, ?)', ['a', true, 'b', false]);
    const row = await db.get<{ n: number; e: number; s: number }>('SELECT COUNT(*) AS n, EXISTS (SELECT 1 FROM items WHERE flag = 1) AS e, SUM(flag) AS s FROM items');
    assert.deepEqual(row, { n: 2, e: 1, s: 1 });
  });

  it('given a transaction that throws, when it ends, then nothing it wrote is kept', async () => {
    await assert.rejects(
      db.tx(async (q) => {
        await q.run('INSERT INTO items (id) VALUES (?)', ['rolled-back']);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await db.get('SELECT id FROM items WHERE id = ?', ['rolled-back']), undefined);
  });

  it('given twenty read-then-write transactions at once, when they conflict, then each is retried and none is lost', async () => {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.tx(async (q) => {
          const r = await q.get<{ n: number }>('SELECT n FROM counter WHERE id = ?', ['c']);
          await q.run('UPDATE counter SET n = ? WHERE id = ?', [r!.n + 1, 'c']);
        }),
      ),
    );
    assert.equal((await db.get<{ n: number }>('SELECT n FROM counter WHERE id = ?', ['c']))!.n, 20);
  });

  it('given two hundred transactions that each read, then chain a row onto the newest (as every audited read does), when run at once, then all commit and the chain has no gap or fork', async () => {
    await db.exec('CREATE TABLE chain (seq INTEGER PRIMARY KEY, prev INTEGER NOT NULL)');
    await Promise.all(
      Array.from({ length: 200 }, () =>
        db.tx(async (q) => {
          await q.get('SELECT COUNT(*) AS n FROM items');
          await q.get('SELECT pg_advisory_xact_lock(42)');
          const last = await q.get<{ seq: number }>('SELECT seq FROM chain ORDER BY seq DESC LIMIT 1');
          await q.run('INSERT INTO chain (seq, prev) VALUES (?, ?)', [(last?.seq ?? 0) + 1, last?.seq ?? 0]);
        }),
      ),
    );
    const rows = await db.all<{ seq: number; prev: number }>('SELECT seq, prev FROM chain ORDER BY seq');
    assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: 200 }, (_, i) => i + 1));
    assert.ok(rows.every((r) => r.prev === r.seq - 1));
  });

  it('given an endless read on an interruptible connection, when its budget runs out, then it rejects at once and the server stops the statement', async () => {
    const t0 = performance.now();
    await assert.rejects(
      db.interruptible((q) => q.get('SELECT pg_sleep(30) AS s'), { timeoutMs: 200 }),
      (e) => e instanceof QueryInterrupted && e.reason === 'timeout',
    );
    assert.ok(performance.now() - t0 < 5000);
    const running = await db.all("SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active'");
    assert.equal(running.length, 0);
  });

  it('given a read whose caller goes away, when the signal aborts, then it is cancelled and the connection serves the next read', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(
      db.interruptible((q) => q.get('SELECT pg_sleep(30) AS s'), { timeoutMs: 10_000, signal: ac.signal }),
      (e) => e instanceof QueryInterrupted && e.reason === 'cancelled',
    );
    assert.deepEqual(await db.interruptible((q) => q.get('SELECT 1 AS one'), { timeoutMs: 2000 }), { one: 1 });
  });

  it('given an interruptible connection, when a write is attempted, then it is refused', async () => {
    await assert.rejects(db.interruptible((q) => q.run('DELETE FROM items'), { timeoutMs: 1000 }), /read-only/);
  });

  it('given the server compiles costly statements (jit on), when any connection of the service asks, then it does not: reads, transactions and searches run without JIT', async () => {
    const server = await db.get<{ jit: string }>("SELECT boot_val AS jit FROM pg_settings WHERE name = 'jit'");
    assert.equal(server?.jit, 'on', 'the server\'s own default is on');
    assert.deepEqual(await db.get('SHOW jit'), { jit: 'off' });
    assert.deepEqual(await db.tx((q) => q.get('SHOW jit')), { jit: 'off' });
    assert.deepEqual(await db.interruptible((q) => q.get('SHOW jit'), { timeoutMs: 2000 }), { jit: 'off' });
  });
});
