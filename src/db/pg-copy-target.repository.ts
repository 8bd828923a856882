import type { CopyStep, PlanForeignKey, PlanTargetTable } from '../domain/copy-plan.js';
import type { Queryable } from './database.js';
import type { PgDatabase } from './pg-database.js';
import { ident } from './sqlite-source.js';

/** The migration's own bookkeeping, kept in the target so progress commits with the rows it describes. */
const STATE_TABLES = ['migration_from_sqlite', 'migration_from_sqlite_tables'];
const NOT_COPIED = new Set(['schema_migrations', ...STATE_TABLES]);

export type MigrationState = {
  source_id: string;
  source_file: string;
  fingerprint: string;
  started_at: string;
  rows_done_at: string | null;
  objects_after: string;
  /** The full-text rebuild's cursor (documents.rowid) and whether it went through. */
  search_after: number;
  search_done: number;
  finished_at: string | null;
};
export type TableProgress = { table_name: string; phase: 'rows' | 'links' | 'done'; after_rowid: number; copied: number };

/**
 * SQL of the migration from SQLite on the PostgreSQL side (issue #13): the target's schema as the
 * catalogue describes it, batches written with their progress in one transaction, identities
 * moved past the copied numbers. User triggers (change log, outbox numbering, merge redirects)
 * are switched off inside each batch's transaction only: the copied rows already carry what
 * those triggers would add, and a crash rolls the switch back with the batch.
 */
export const pgCopyTargetRepository = {
  async tables(q: Queryable): Promise<PlanTargetTable[]> {
    const cols = await q.all<{ table_name: string; column_name: string; is_nullable: string; column_default: string | null; identity_generation: string | null; is_generated: string }>(
      `SELECT table_name, column_name, is_nullable, column_default, identity_generation, is_generated
         FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
    );
    const pks = await q.all<{ table_name: string; column_name: string }>(
      `SELECT c.relname AS table_name, a.attname AS column_name
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
        WHERE i.indisprimary AND n.nspname = current_schema() ORDER BY c.relname, k.ord`,
    );
    const out = new Map<string, PlanTargetTable>();
    for (const c of cols) {
      if (NOT_COPIED.has(c.table_name)) continue;
      let t = out.get(c.table_name);
      if (!t) out.set(c.table_name, (t = { name: c.table_name, columns: [], primaryKey: [] }));
      t.columns.push({
        name: c.column_name,
        notNull: c.is_nullable === 'NO',
        hasDefault: c.column_default !== null,
        identity: c.identity_generation === 'ALWAYS' ? 'always' : c.identity_generation === 'BY DEFAULT' ? 'by default' : null,
        generated: c.is_generated === 'ALWAYS',
      });
    }
    for (const p of pks) out.get(p.table_name)?.primaryKey.push(p.column_name);
    return [...out.values()];
  },

  foreignKeys(q: Queryable): Promise<PlanForeignKey[]> {
    return q.all<PlanForeignKey>(
      `SELECT c.relname AS "table", a.attname AS "column", r.relname AS "refTable"
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
        WHERE k.contype = 'f' AND n.nspname = current_schema()`,
    );
  },

  /**
   * The database's collation, e.g. `C` or `icu:nl`: only C, POSIX or C.UTF-8 (libc) sort text
   * byte by byte, as SQLite does.
   */
  async collation(q: Queryable): Promise<{ name: string; byteOrder: boolean }> {
    const r = await q.get<{ provider: string; c: string; icu: string | null }>(
      'SELECT datlocprovider AS provider, datcollate AS c, daticulocale AS icu FROM pg_database WHERE datname = current_database()',
    );
    if (!r) return { name: '?', byteOrder: false };
    if (r.provider !== 'c') return { name: `icu:${r.icu ?? '?'}`, byteOrder: false };
    return { name: r.c, byteOrder: ['C', 'POSIX', 'C.UTF-8', 'C.utf8'].includes(r.c) };
  },

  count(q: Queryable, table: string): Promise<number> {
    return q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${ident(table)}`).then((r) => r?.n ?? 0);
  },

  async ensureState(db: PgDatabase): Promise<void> {
    await db.exec(`
      CREATE TABLE IF NOT EXISTS migration_from_sqlite (
        id INTEGER PRIMARY KEY CHECK (id = 1), source_id TEXT NOT NULL, source_file TEXT NOT NULL, fingerprint TEXT NOT NULL,
        started_at TEXT NOT NULL, rows_done_at TEXT, objects_after TEXT NOT NULL DEFAULT '', search_after BIGINT NOT NULL DEFAULT 0,
        search_done INTEGER NOT NULL DEFAULT 0, finished_at TEXT);
      CREATE TABLE IF NOT EXISTS migration_from_sqlite_tables (
        table_name TEXT PRIMARY KEY, phase TEXT NOT NULL, after_rowid BIGINT NOT NULL DEFAULT 0, copied BIGINT NOT NULL DEFAULT 0);`);
  },

  /** null when no migration ever started here (the state tables may not even exist yet). */
  async state(q: Queryable): Promise<MigrationState | null> {
    const exists = await q.get<{ t: string | null }>("SELECT to_regclass('migration_from_sqlite')::text AS t");
    if (!exists?.t) return null;
    return (await q.get<MigrationState>('SELECT * FROM migration_from_sqlite WHERE id = 1')) ?? null;
  },

  async start(q: Queryable, s: Pick<MigrationState, 'source_id' | 'source_file' | 'fingerprint' | 'started_at'>, tables: string[]): Promise<void> {
    await q.run('INSERT INTO migration_from_sqlite (id, source_id, source_file, fingerprint, started_at) VALUES (1, ?, ?, ?, ?)', [s.source_id, s.source_file, s.fingerprint, s.started_at]);
    for (const t of tables) await q.run("INSERT INTO migration_from_sqlite_tables (table_name, phase) VALUES (?, 'rows')", [t]);
  },

  progress(q: Queryable): Promise<TableProgress[]> {
    return q.all<TableProgress>('SELECT table_name, phase, after_rowid, copied FROM migration_from_sqlite_tables');
  },

  /**
   * Inserts one batch and moves the table's cursor past it, in one transaction: a crash leaves
   * either both or neither, so a second run neither skips nor repeats a row.
   */
  async insertBatch(db: PgDatabase, step: CopyStep, rows: Record<string, unknown>[], lastRowid: number, finished: boolean): Promise<void> {
    const cols = [...step.columns, ...(step.copyRowid ? ['rowid'] : [])];
    const deferred = new Set(step.deferred);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const r of rows) {
      for (const c of step.columns) params.push(deferred.has(c) ? null : r[c]);
      if (step.copyRowid) params.push(r.__rowid);
      tuples.push(`(${cols.map(() => '?').join(', ')})`);
    }
    const conflict = step.seeded && step.primaryKey.length
      ? ` ON CONFLICT (${step.primaryKey.map(ident).join(', ')}) DO UPDATE SET ${cols.filter((c) => !step.primaryKey.includes(c)).map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(', ')}`
      : '';
    // Deferred references are filled in by a second pass from the start of the source, once every table is in.
    const next = finished ? (step.deferred.length ? 'links' : 'done') : 'rows';
    await db.tx(async (q) => {
      await q.run(`ALTER TABLE ${ident(step.table)} DISABLE TRIGGER USER`);
      if (rows.length) {
        await q.run(
          `INSERT INTO ${ident(step.table)} (${cols.map(ident).join(', ')})${step.overriding ? ' OVERRIDING SYSTEM VALUE' : ''} VALUES ${tuples.join(', ')}${conflict}`,
          params,
        );
      }
      await q.run('UPDATE migration_from_sqlite_tables SET after_rowid = ?, copied = copied + ?, phase = ? WHERE table_name = ?', [next === 'links' ? 0 : lastRowid, rows.length, next, step.table]);
      await q.run(`ALTER TABLE ${ident(step.table)} ENABLE TRIGGER USER`);
    });
  },

  /** Fills in deferred references of one batch of rows (found by primary key), with the cursor, in one transaction. */
  async linkBatch(db: PgDatabase, step: CopyStep, rows: Record<string, unknown>[], lastRowid: number, finished: boolean): Promise<void> {
    await db.tx(async (q) => {
      await q.run(`ALTER TABLE ${ident(step.table)} DISABLE TRIGGER USER`);
      for (const r of rows) {
        if (step.deferred.every((c) => r[c] === null || r[c] === undefined)) continue;
        await q.run(
          `UPDATE ${ident(step.table)} SET ${step.deferred.map((c) => `${ident(c)} = ?`).join(', ')} WHERE ${step.primaryKey.map((c) => `${ident(c)} = ?`).join(' AND ')}`,
          [...step.deferred.map((c) => r[c]), ...step.primaryKey.map((c) => r[c])],
        );
      }
      await q.run('UPDATE migration_from_sqlite_tables SET after_rowid = ?, phase = ? WHERE table_name = ?', [lastRowid, finished ? 'done' : 'links', step.table]);
      await q.run(`ALTER TABLE ${ident(step.table)} ENABLE TRIGGER USER`);
    });
  },

  /**
   * Moves every identity past the highest number copied, or past SQLite's AUTOINCREMENT mark when
   * that is higher (numbers of deleted rows are never handed out again), so the next row the
   * application inserts does not collide. Also the outbox's counter row, which PostgreSQL keeps
   * where SQLite used AUTOINCREMENT.
   */
  async moveIdentities(db: PgDatabase, tables: string[], autoincrements: Map<string, number>): Promise<void> {
    const ids = await db.all<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'`,
    );
    await db.tx(async (q) => {
      for (const { table_name: t, column_name: c } of ids) {
        if (!tables.includes(t)) continue;
        const max = (await q.get<{ m: number | null }>(`SELECT MAX(${ident(c)}) AS m FROM ${ident(t)}`))?.m ?? 0;
        const high = Math.max(max, c === 'rowid' ? 0 : (autoincrements.get(t) ?? 0));
        await q.get(`SELECT setval(pg_get_serial_sequence(?, ?), ?, ?)`, [t, c, Math.max(high, 1), high > 0]);
      }
      if (tables.includes('outbox_events') && (await q.get("SELECT to_regclass('outbox_counter')::text AS t").then((r) => (r as { t: string | null }).t))) {
        const max = (await q.get<{ m: number | null }>('SELECT MAX(seq) AS m FROM outbox_events'))?.m ?? 0;
        await q.run('UPDATE outbox_counter SET value = GREATEST(value, ?, ?) WHERE id = 1', [max, autoincrements.get('outbox_events') ?? 0]);
      }
    });
  },

  /** Jobs not done, by kind and status: what the PostgreSQL queue must take over. */
  pendingJobs(q: Queryable): Promise<{ kind: string; status: string; n: number }[]> {
    return q.all("SELECT kind, status, COUNT(*) AS n FROM jobs WHERE status <> 'done' GROUP BY kind, status ORDER BY kind, status");
  },

  rowsDone(q: Queryable, at: string): Promise<unknown> {
    return q.run('UPDATE migration_from_sqlite SET rows_done_at = COALESCE(rows_done_at, ?) WHERE id = 1', [at]);
  },
  searchAfter(q: Queryable, rowid: number): Promise<unknown> {
    return q.run('UPDATE migration_from_sqlite SET search_after = ? WHERE id = 1', [rowid]);
  },
  searchDone(q: Queryable): Promise<unknown> {
    return q.run('UPDATE migration_from_sqlite SET search_done = 1 WHERE id = 1');
  },
  objectsAfter(q: Queryable, sha256: string): Promise<unknown> {
    return q.run('UPDATE migration_from_sqlite SET objects_after = ? WHERE id = 1', [sha256]);
  },
  finish(q: Queryable, at: string): Promise<unknown> {
    return q.run('UPDATE migration_from_sqlite SET finished_at = ? WHERE id = 1', [at]);
  },
};
