import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { PgDatabase } from '../../src/db/pg-database.js';
import { closePgAdmin, freshPgDatabase } from '../helpers/postgres.js';

// Runs in the PostgreSQL pass: the PostgreSQL schema (migrations-pg) against the SQLite one it mirrors.

/** Tables only one engine has (each its own search index; PostgreSQL's outbox counter and job runners), and the real rowid columns PostgreSQL adds. */
const SQLITE_ONLY = /^(document_fts.*|sqlite_.*|schema_migrations)$/;
const PG_ONLY = new Set(['document_search', 'document_search_text', 'outbox_counter', 'schema_migrations', 'job_runners']);
const PG_ROWID_TABLES = new Set(['documents', 'jobs', 'mail_message_documents']);

const doc = (id: string, customerId: string | null) => [
  id, customerId, 'invoice', 'dynamic', 'ready', 'title', '{}', '{}', 'basis', 'doc_date', 'P7Y', 'destroy', 'upload', 'x', 'x',
];
const INSERT_DOC = `INSERT INTO documents (id, customer_id, type, class, status, title, fields, classification, retention_legal_basis,
  retention_trigger, retention_period, retention_disposition, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

describe('PostgreSQL schema', () => {
  let pg: PgDatabase;
  let lite: SqliteDatabase;
  let dir: string;

  before(async () => {
    const url = await freshPgDatabase();
    assert.ok(url, 'the PostgreSQL pass sets DOSSIER_TEST_PG_URL');
    pg = await PgDatabase.open(url, { poolSize: 4, searchConnections: 1 });
    await migrate(pg);
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-schema-'));
    lite = await SqliteDatabase.open(path.join(dir, 'x.sqlite'));
    await migrate(lite);
  });

  after(async () => {
    await pg?.close();
    await lite?.close();
    await closePgAdmin();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('given both engines migrated when their tables and columns are listed then they are the same, rowid columns aside', async () => {
    const liteTables = (await lite.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).map((r) => r.name).filter((n) => !SQLITE_ONLY.test(n));
    const pgTables = (await pg.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"))
      .map((r) => r.name)
      .filter((n) => !PG_ONLY.has(n));
    assert.deepEqual(pgTables, liteTables);
    for (const table of liteTables) {
      const liteCols = (await lite.all<{ name: string; notnull: number; pk: number }>(`SELECT name, "notnull", pk FROM pragma_table_info('${table}')`))
        .map((c) => `${c.name}${c.notnull || c.pk ? ' not null' : ''}`)
        .sort();
      const pgCols = (await pg.all<{ name: string; nullable: string }>(
        'SELECT column_name AS name, is_nullable AS nullable FROM information_schema.columns WHERE table_schema = ? AND table_name = ?',
        ['public', table],
      ))
        .filter((c) => !(c.name === 'rowid' && PG_ROWID_TABLES.has(table)))
        .map((c) => `${c.name}${c.nullable === 'NO' ? ' not null' : ''}`)
        .sort();
      assert.deepEqual(pgCols, liteCols, table);
    }
  });

  it('given an audit row when the application updates, deletes or truncates it then PostgreSQL refuses with SQLite words', async () => {
    await pg.run("INSERT INTO audit_events (seq, at, action, subject_type, prev_hash, hash) VALUES (1, 'x', 'a', 's', 'p', 'h')");
    await assert.rejects(pg.run("UPDATE audit_events SET actor_id = 'x'"), /audit events are append-only: they cannot be changed/);
    await assert.rejects(pg.run('DELETE FROM audit_events'), /audit events are append-only: they cannot be deleted/);
    await assert.rejects(pg.run('TRUNCATE audit_events'), /append-only/);
    assert.equal((await pg.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_events'))!.n, 1);
  });

  for (const engine of ['sqlite', 'postgres'] as const) {
    it(`given a merged customer on ${engine} when a document and a status name the old number then they land on the survivor and the change log moves`, async () => {
      const db = engine === 'sqlite' ? lite : pg;
      await db.run("INSERT INTO customers (id, name, created_at, updated_at) VALUES ('M-OLD', 'Old', 'x', 'x'), ('M-NEW', 'New', 'x', 'x')");
      await db.run("INSERT INTO customer_merges (merged_id, into_id, merged_at, merged_by) VALUES ('M-OLD', 'M-NEW', 'x', 'u')");
      const before = (await db.get<{ v: number }>('SELECT value AS v FROM sync_counter'))!.v;
      await db.run(INSERT_DOC, doc('D-MERGED', 'M-OLD'));
      await db.run("INSERT INTO status_variables (customer_id, name, value, set_at) VALUES ('M-OLD', 'letter', 'sent', 'x')");
      await db.run("INSERT INTO status_history (customer_id, name, value, set_at) VALUES ('M-OLD', 'letter', 'sent', 'x')");
      assert.equal((await db.get<{ c: string }>("SELECT customer_id AS c FROM documents WHERE id = 'D-MERGED'"))!.c, 'M-NEW');
      assert.deepEqual(await db.all("SELECT customer_id, name, value FROM status_variables WHERE name = 'letter'"), [{ customer_id: 'M-NEW', name: 'letter', value: 'sent' }]);
      assert.deepEqual(await db.all("SELECT customer_id FROM status_history WHERE name = 'letter'"), [{ customer_id: 'M-NEW' }]);
      const changes = await db.all<{ entity: string; entity_id: string; seq: number }>('SELECT entity, entity_id, seq FROM sync_changes WHERE seq > ? ORDER BY seq', [before]);
      assert.deepEqual(
        changes.map((c) => `${c.entity}:${c.entity_id}`).sort(),
        ['document:D-MERGED', 'status:M-NEW:letter', 'status:M-OLD:letter'],
      );
      assert.equal((await db.get<{ v: number }>('SELECT value AS v FROM sync_counter'))!.v, Math.max(...changes.map((c) => c.seq)));
    });
  }

  it('given outbox events when inserted, ignored as duplicates and pruned then numbers rise and are never reused', async () => {
    const ins = (id: string, key: string | null) =>
      pg.get<{ seq: number }>("INSERT INTO outbox_events (id, type, occurred_at, subject_type, dedupe_key) VALUES (?, 't', 'x', 's', ?) ON CONFLICT DO NOTHING RETURNING seq", [id, key]);
    const a = (await ins('evt_a', 'k1'))!.seq;
    assert.equal(await ins('evt_b', 'k1'), undefined, 'a used dedupe key writes nothing');
    const c = (await ins('evt_c', null))!.seq;
    assert.ok(c > a);
    await pg.run('DELETE FROM outbox_events');
    assert.ok((await ins('evt_d', null))!.seq > c, 'a pruned number is not given again');
  });
});
