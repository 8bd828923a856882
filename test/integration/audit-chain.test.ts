import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { Database } from '../../src/db/database.js';
import { openDossierlink } from '../../src/dossierlink.js';
import { migrate } from '../../src/db/migrate.js';
import { AuditService } from '../../src/services/audit.service.js';
import { tamperWithAudit } from '../helpers/audit-tamper.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { countWriteTurns } from '../helpers/write-turns.js';

type Verify = {
  ok: boolean;
  checked: number;
  firstBadEvent?: { seq: number; reason: string };
  keyedFrom: number | null;
  checkpoints: { count: number; lastSeq: number | null };
  afterLastCheckpoint: number;
};
type Row = { seq: number; at: string; actor_id: string | null; action: string; subject_type: string; subject_id: string | null; customer_id: string | null; details: string; prev_hash: string; hash: string };

const verifyOf = async (t: TestApp) => (await (await t.api('GET', '/api/audit/verify', { as: 'compliance' })).json()) as Verify;

/** The unkeyed SHA-256 of the first version: all an attacker without the key can compute. */
const plainHash = (prev: string, r: Row) =>
  createHash('sha256').update(prev).update('\n').update(JSON.stringify([r.at, r.actor_id, r.action, r.subject_type, r.subject_id, r.customer_id, r.details])).digest('hex');

/** A fresh instance with a few dossier reads, all checkpointed. */
async function withEvents(): Promise<TestApp> {
  const t = await startTestApp();
  for (const c of ['KL-000123', 'KL-000124', 'KL-000125']) await t.api('GET', `/api/customers/${c}/dossier`, { as: 'crm' });
  await t.dl.services.audit.checkpoint();
  return t;
}

describe(AuditService.name, () => {
  let t: TestApp;
  before(async () => {
    t = await withEvents();
  });
  after(() => t.close());

  it('given an untouched log when verified then ok with every event checked and keyed from the first', async () => {
    const v = await verifyOf(t);
    const n = await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_events');
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(v.checked, n!.n);
    assert.equal(v.keyedFrom, 1, 'a new instance keys every event');
    assert.ok(v.checkpoints.count >= 2, 'the genesis and at least one checkpoint');
    assert.equal(v.afterLastCheckpoint, 0);
  });

  it('given the key and checkpoint files when the instance started then they sit outside the database, the key readable by its owner only', async () => {
    const lines = (await readFile(path.join(t.dataDir, 'audit-checkpoints.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines[0].kind, 'genesis');
    assert.match(lines[lines.length - 1].mac, /^[0-9a-f]{64}$/);
    // On PostgreSQL every process shares one configured key (DOSSIER_AUDIT_KEY): no key file, no database file.
    if (t.dl.db.dialect === 'postgres') return;
    const key = await stat(path.join(t.dataDir, 'audit.key'));
    assert.equal(key.mode & 0o777, 0o600);
    const keyHex = (await readFile(path.join(t.dataDir, 'audit.key'), 'utf8')).trim();
    const dbBytes = await readFile(path.join(t.dataDir, 'dossierlink.sqlite'));
    assert.ok(!dbBytes.includes(Buffer.from(keyHex)) && !dbBytes.includes(Buffer.from(keyHex, 'hex')), 'the key is not in the database');
  });

  it("given the application's own connection when it updates or deletes an audit row then the database refuses", async () => {
    await assert.rejects(t.dl.db.run("UPDATE audit_events SET actor_id = 'x' WHERE seq = 1"), /append-only/);
    await assert.rejects(t.dl.db.run('DELETE FROM audit_events WHERE seq = 1'), /append-only/);
    await assert.rejects(t.dl.db.run('UPDATE audit_keying SET keyed_from_seq = 999'), /cannot be changed/);
    assert.equal((await verifyOf(t)).ok, true);
  });

  it('given new events when the checkpoint interval passes then a signed checkpoint covers them without being asked', async () => {
    const e = await startTestApp({ env: { DOSSIER_AUDIT_CHECKPOINT_SECONDS: '1' }, demo: false });
    try {
      await e.dl.services.audit.recordNow({ actorId: 'usr_x', action: 'dossier.view', subjectType: 'customer', subjectId: 'KL-000123', customerId: 'KL-000123' });
      const last = (await e.dl.db.get<{ seq: number }>('SELECT MAX(seq) AS seq FROM audit_events'))!.seq;
      const until = Date.now() + 5000;
      let v = await e.dl.services.audit.verify();
      while (v.checkpoints.lastSeq !== last && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        v = await e.dl.services.audit.verify();
      }
      assert.equal(v.checkpoints.lastSeq, last);
      assert.equal(v.afterLastCheckpoint, 0);
    } finally {
      await e.close();
    }
  });

  it('given an edited event when verified then that event is reported', async () => {
    const e = await withEvents();
    try {
      const row = await e.dl.db.get<{ seq: number }>("SELECT seq FROM audit_events WHERE action = 'dossier.view' ORDER BY seq LIMIT 1");
      await tamperWithAudit(e.dl.db, "UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = ?", [row!.seq]);
      const v = await verifyOf(e);
      assert.equal(v.ok, false);
      assert.equal(v.firstBadEvent?.seq, row!.seq);
      assert.match(v.firstBadEvent!.reason, /altered/);
    } finally {
      await e.close();
    }
  });

  it('given an edited event with every following hash recomputed when verified then the rewrite is caught', async () => {
    const e = await withEvents();
    try {
      const target = (await e.dl.db.get<{ seq: number }>("SELECT seq FROM audit_events WHERE action = 'dossier.view' ORDER BY seq LIMIT 1"))!.seq;
      const rows = await e.dl.db.all<Row>('SELECT * FROM audit_events ORDER BY seq');
      // The attacker also moves the start of keyed hashing past the end, so every row "should" be plain SHA-256.
      await tamperWithAudit(e.dl.db, 'UPDATE audit_keying SET keyed_from_seq = 1000000');
      let prev = '0'.repeat(64);
      for (const r of rows) {
        if (r.seq === target) r.actor_id = 'someone-else';
        const hash = plainHash(prev, r);
        await e.dl.db.run('UPDATE audit_events SET actor_id = ?, prev_hash = ?, hash = ? WHERE seq = ?', [r.actor_id, prev, hash, r.seq]);
        prev = hash;
      }
      const v = await verifyOf(e);
      assert.equal(v.ok, false, 'a chain recomputed without the key does not verify');
      assert.match(v.firstBadEvent!.reason, /keyed hashing starts|altered|rewritten/);
    } finally {
      await e.close();
    }
  });

  it('given the newest events cut off after a checkpoint when verified then the truncation is reported', async () => {
    const e = await withEvents();
    try {
      const last = (await e.dl.db.get<{ seq: number }>('SELECT MAX(seq) AS seq FROM audit_events'))!.seq;
      await tamperWithAudit(e.dl.db, 'DELETE FROM audit_events WHERE seq >= ?', [last - 1]);
      const v = await verifyOf(e);
      assert.equal(v.ok, false, 'before issue #14 this passed: the shorter chain is intact in itself');
      assert.equal(v.firstBadEvent?.seq, last - 1);
      assert.match(v.firstBadEvent!.reason, /cut off/);
    } finally {
      await e.close();
    }
  });

  it('given a deleted event in the middle when verified then the gap is reported', async () => {
    const e = await withEvents();
    try {
      const row = await e.dl.db.get<{ seq: number }>('SELECT MAX(seq) - 1 AS seq FROM audit_events');
      await tamperWithAudit(e.dl.db, 'DELETE FROM audit_events WHERE seq = ?', [row!.seq]);
      const v = await verifyOf(e);
      assert.equal(v.ok, false);
      assert.equal(v.firstBadEvent?.seq, row!.seq);
    } finally {
      await e.close();
    }
  });

  it('given a checkpoint log that was edited or removed when verified then verification fails', async () => {
    const e = await withEvents();
    try {
      const file = path.join(e.dataDir, 'audit-checkpoints.jsonl');
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      const forged = JSON.parse(lines[lines.length - 1]);
      forged.seq -= 1;
      await writeFile(file, [...lines.slice(0, -1), JSON.stringify(forged)].join('\n') + '\n');
      const v = await verifyOf(e);
      assert.equal(v.ok, false);
      assert.match(v.firstBadEvent!.reason, /not signed/);
      await rm(file);
      const gone = await verifyOf(e);
      assert.equal(gone.ok, false);
      assert.match(gone.firstBadEvent!.reason, /missing/);
    } finally {
      await e.close();
    }
  });

  it('given a database whose chain predates keying when the new version starts then old events keep their plain hashes, pinned, and new ones are keyed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-audit-'));
    const file = path.join(dir, 'dossierlink.sqlite');
    const config = loadConfig({ DOSSIER_DATA_DIR: dir, DOSSIER_LOG_LEVEL: 'silent', DOSSIER_INBOX: 'off' });
    try {
      await (await openDossierlink(config)).close();
      // Make it an old database: unkeyed events, no keying record, no key, no checkpoints.
      const db = await Database.open(file);
      await tamperWithAudit(db, 'DELETE FROM audit_events');
      await db.run('DELETE FROM audit_keying');
      await db.run("DELETE FROM schema_migrations WHERE version = 9");
      await db.run('DROP TABLE audit_keying');
      let prev = '0'.repeat(64);
      for (let i = 0; i < 3; i++) {
        const r = { at: `2026-01-0${i + 1}T00:00:00.000Z`, actor_id: 'usr_old', action: 'dossier.view', subject_type: 'customer', subject_id: 'KL-000123', customer_id: 'KL-000123', details: '{}' } as Row;
        const hash = plainHash(prev, r);
        await db.run('INSERT INTO audit_events (at, actor_id, action, subject_type, subject_id, customer_id, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [r.at, r.actor_id, r.action, r.subject_type, r.subject_id, r.customer_id, r.details, prev, hash]);
        prev = hash;
      }
      const first = (await db.get<{ seq: number }>('SELECT MIN(seq) AS seq FROM audit_events'))!.seq;
      const lastOld = (await db.get<{ seq: number }>('SELECT MAX(seq) AS seq FROM audit_events'))!.seq;
      assert.equal(lastOld - first, 2);
      await migrate(db);
      await db.close();
      await rm(path.join(dir, 'audit.key'));
      await rm(path.join(dir, 'audit-checkpoints.jsonl'));
      // Restart on the same data dir.
      const dl = await openDossierlink(config);
      try {
        await dl.services.audit.recordNow({ actorId: 'usr_new', action: 'dossier.view', subjectType: 'customer', subjectId: 'KL-000123', customerId: 'KL-000123' });
        await dl.services.audit.checkpoint();
        const v = await dl.services.audit.verify();
        assert.equal(v.ok, true, JSON.stringify(v));
        assert.equal(v.keyedFrom, lastOld + 1, 'keyed hashing starts after the old chain');
        const newest = (await dl.db.get<Row>('SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1'))!;
        assert.notEqual(newest.hash, plainHash(newest.prev_hash, newest), 'the new event is keyed');
        // A rewrite of the old, unkeyed part with recomputed plain hashes breaks the pin of the genesis checkpoint.
        const olds = await dl.db.all<Row>('SELECT * FROM audit_events WHERE seq <= ? ORDER BY seq', [lastOld]);
        let p = '0'.repeat(64);
        for (const r of olds) {
          if (r.seq === first + 1) r.actor_id = 'usr_someone_else';
          const h = plainHash(p, r);
          await tamperWithAudit(dl.db, 'UPDATE audit_events SET actor_id = ?, prev_hash = ?, hash = ? WHERE seq = ?', [r.actor_id, p, h, r.seq]);
          p = h;
        }
        const broken = await dl.services.audit.verify();
        assert.equal(broken.ok, false);
        // The unkeyed part is pinned at its end: the rewrite shows where the pin no longer holds.
        assert.equal(broken.firstBadEvent?.seq, lastOld);
        assert.match(broken.firstBadEvent!.reason, /rewritten/);
      } finally {
        await dl.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('audited reads at once', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('given 30 reads recorded at once when they commit then they share a few transactions, keep their order and the chain verifies, and one event that cannot be stored fails alone', async () => {
    const db = t.dl.db;
    const before = (await db.get<{ n: number }>('SELECT COALESCE(MAX(seq), 0) AS n FROM audit_events'))!.n;
    // Statements run inside the write turns: a group reads the chain's newest row once and writes
    // its rows in one statement, where each event used to read and write on its own.
    let statements = 0;
    const tx = db.tx;
    db.tx = ((fn) =>
      tx.call(db, (q) =>
        fn({ ...q, run: (...a: Parameters<typeof q.run>) => (statements++, q.run(...a)), get: (...a: Parameters<typeof q.get>) => (statements++, q.get(...a)), all: (...a: Parameters<typeof q.all>) => (statements++, q.all(...a)) } as typeof q),
      )) as typeof tx;
    const w = countWriteTurns(db);
    try {
      const reads = Array.from({ length: 30 }, (_, i) => t.dl.services.audit.recordNow({ actorId: 'usr_x', action: 'dossier.view', subjectType: 'customer', subjectId: `KL-${i}` }));
      await Promise.all(reads);
      assert.ok(w.turns <= 3, `30 events in ${w.turns} transactions`);
      // The chain's head (PostgreSQL: its lock, then the row) and one INSERT per group.
      assert.ok(statements <= w.turns * 3, `30 events in ${w.turns} transactions took ${statements} statements`);
      const rows = await db.all<{ seq: number; subject_id: string }>('SELECT seq, subject_id FROM audit_events WHERE seq > ? ORDER BY seq', [before]);
      assert.deepEqual(rows.map((r) => r.subject_id), Array.from({ length: 30 }, (_, i) => `KL-${i}`), 'in the order they were recorded');
      // details that cannot be stored (JSON has no BigInt) fail their own read, not the others in its group.
      const mixed = await Promise.allSettled([0, 1, 2].map((i) => t.dl.services.audit.recordNow({ actorId: 'usr_x', action: 'dossier.view', subjectType: 'customer', subjectId: `KL-mixed-${i}`, details: i === 1 ? { n: 1n } : {} })));
      assert.deepEqual(mixed.map((m) => m.status), ['fulfilled', 'rejected', 'fulfilled']);
      const stored = await db.all<{ subject_id: string }>("SELECT subject_id FROM audit_events WHERE subject_id LIKE 'KL-mixed-%' ORDER BY seq");
      assert.deepEqual(stored.map((r) => r.subject_id), ['KL-mixed-0', 'KL-mixed-2']);
    } finally {
      w.stop();
      db.tx = tx;
    }
    assert.equal((await verifyOf(t)).ok, true);
  });
});
