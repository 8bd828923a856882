import { existsSync } from 'node:fs';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import type { Params, Queryable, RunResult } from './database.js';

/** A column of a source table as SQLite declares it. */
export type SourceColumn = { name: string; type: string; notNull: boolean; pk: number };
export type SourceTable = { name: string; columns: SourceColumn[]; hasRowid: boolean };

/** The instance is open elsewhere (a running server or CLI command): the migration must not start. */
export class SourceInUse extends Error {}

/**
 * The embedded database opened for a migration (issue #13): one connection in SQLite's EXCLUSIVE
 * locking mode and query-only. Taking the lock fails while any other process has the file open
 * (a running server keeps its connections open), and once taken no other process can read or
 * write it until the migration ends, so the source cannot change under the copy. Nothing is
 * written; closing may fold a crashed instance's WAL into the file, which changes no data.
 *
 *     const src = await SqliteSource.open('storage/dossierlink.sqlite');
 *     const rows = await src.batch('documents', ['id', 'title'], 0, 500);
 */
export class SqliteSource implements Queryable {
  readonly dialect = 'sqlite' as const;
  private constructor(
    readonly file: string,
    private readonly conn: sqlite3.Database,
  ) {}

  static async open(file: string): Promise<SqliteSource> {
    if (!existsSync(file)) throw new Error(`No embedded database at ${file} (is DOSSIER_DATA_DIR right?)`);
    // Read-write mode only because SQLite's exclusive WAL lock needs it; query_only refuses every write.
    const conn = await new Promise<sqlite3.Database>((resolve, reject) => {
      const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (err) => (err ? reject(err) : resolve(db)));
    });
    const src = new SqliteSource(file, conn);
    try {
      await src.exec('PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; PRAGMA query_only = ON;');
      // The first read takes the lock and keeps it: it fails at once when another connection is open.
      await src.get('SELECT COUNT(*) AS n FROM sqlite_master');
    } catch (err) {
      await src.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new SourceInUse(
          `${file} is in use by another process (a running Dossierlink server or CLI command). Stop it first: the source must not change while it is copied.`,
        );
      }
      throw err;
    }
    return src;
  }

  private exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.conn.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  run(): Promise<RunResult> {
    return Promise.reject(new Error('the migration source is read-only'));
  }
  get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => this.conn.get(sql, params, (err: Error | null, row: T) => (err ? reject(err) : resolve(row))));
  }
  all<T>(sql: string, params: Params = []): Promise<T[]> {
    return new Promise((resolve, reject) => this.conn.all(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))));
  }

  /** Schema versions applied to this file (SQLite migrations). */
  async schemaVersions(): Promise<number[]> {
    const rows = await this.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version').catch(() => []);
    return rows.map((r) => r.version);
  }

  /**
   * The tables that hold data: not SQLite's own, not the migrations' bookkeeping, not virtual
   * tables (full-text search) nor their shadow tables, which the target rebuilds its own way.
   */
  async tables(): Promise<SourceTable[]> {
    const list = await this.all<{ name: string; type: string; wr: number }>("SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' ORDER BY name");
    const out: SourceTable[] = [];
    for (const t of list) {
      if (t.type !== 'table' || t.name.startsWith('sqlite_') || t.name === 'schema_migrations') continue;
      const cols = await this.all<{ name: string; type: string; notnull: number; pk: number; hidden: number }>('SELECT name, type, "notnull", pk, hidden FROM pragma_table_xinfo(?)', [t.name]);
      out.push({
        name: t.name,
        columns: cols.filter((c) => c.hidden === 0).map((c) => ({ name: c.name, type: c.type, notNull: c.notnull === 1, pk: c.pk })),
        hasRowid: t.wr === 0,
      });
    }
    return out;
  }

  /**
   * What names this instance across runs: the hash of its first audit event (it covers that
   * event's time, so two instances never share it), or the file's path for an instance with no
   * events at all.
   */
  async identity(): Promise<string> {
    const first = await this.get<{ hash: string }>('SELECT hash FROM audit_events ORDER BY seq LIMIT 1').catch(() => undefined);
    return first ? `audit:${first.hash}` : `file:${path.resolve(this.file)}`;
  }

  /** AUTOINCREMENT high-water marks: numbers SQLite will never hand out again, even after deletes. */
  async autoincrements(): Promise<Map<string, number>> {
    const rows = await this.all<{ name: string; seq: number }>('SELECT name, seq FROM sqlite_sequence').catch(() => []);
    return new Map(rows.map((r) => [r.name, Number(r.seq)]));
  }

  count(table: string): Promise<number> {
    return this.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${ident(table)}`).then((r) => r?.n ?? 0);
  }

  /**
   * The next `limit` rows after rowid `after`, keyset by rowid (never OFFSET: each batch costs the
   * same however far the copy is). Every row carries its rowid as `__rowid`.
   */
  batch(table: string, columns: string[], after: number, limit: number): Promise<Record<string, unknown>[]> {
    const cols = columns.map(ident).join(', ');
    return this.all(`SELECT rowid AS __rowid, ${cols} FROM ${ident(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`, [after, limit]);
  }

  /**
   * A summary that changes when any row is added, removed or updated in the usual ways (row
   * counts, highest rowids, the audit chain's tail, the latest `updated_at`): a second run compares
   * it with the first run's, so a source written between runs is refused.
   */
  async fingerprint(tables: SourceTable[]): Promise<string> {
    const parts: string[] = [];
    for (const t of tables) {
      const hasUpdated = t.columns.some((c) => c.name === 'updated_at');
      const r = await this.get<Record<string, unknown>>(
        `SELECT COUNT(*) AS n${t.hasRowid ? ', MAX(rowid) AS r' : ''}${hasUpdated ? ', MAX(updated_at) AS u' : ''} FROM ${ident(t.name)}`,
      );
      parts.push(`${t.name}:${r?.n}:${r?.r ?? ''}:${r?.u ?? ''}`);
    }
    const tail = await this.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').catch(() => undefined);
    parts.push(`audit:${tail?.seq ?? 0}:${tail?.hash ?? ''}`);
    return parts.join('|');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.conn.close(() => resolve()));
  }
}

/** A quoted identifier; names come from the schemas, never from a user. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
