import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database, Queryable } from './database.js';
import type { PgDatabase } from './pg-database.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** PostgreSQL has a schema of its own (the same tables and meaning, its own types, triggers and search). */
export const PG_MIGRATIONS_DIR = fileURLToPath(new URL('./migrations-pg/', import.meta.url));

/**
 * Applies numbered migrations (`NNN_name.sql`) not applied yet, each in its own transaction,
 * in order. A shipped migration is never edited: add the next number instead.
 */
export async function migrate(db: Database, dir?: string): Promise<string[]> {
  if (db.dialect === 'postgres') return migratePg(db as PgDatabase, dir ?? PG_MIGRATIONS_DIR);
  dir ??= MIGRATIONS_DIR;
  await db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const applied = new Set((await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
  const done: string[] = [];
  for (const file of files) {
    const version = Number(file.slice(0, 3));
    if (applied.has(version)) continue;
    const sql = await readFile(`${dir}/${file}`, 'utf8');
    await db.tx(async (q) => {
      // sqlite3's exec is not on Queryable; run statements one by one inside the transaction.
      for (const stmt of splitSql(sql)) await q.run(stmt);
      await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        version,
        file,
        new Date().toISOString(),
      ]);
    });
    done.push(file);
  }
  return done;
}

/** Splits a migration into statements; triggers (BEGIN … END;) stay whole. */
export function splitSql(sql: string): string[] {
  const noComments = sql.replace(/--[^\n]*\n/g, '\n');
  const out: string[] = [];
  let buf = '';
  let depth = 0;
  for (const line of noComments.split('\n')) {
    buf += line + '\n';
    if (/\bBEGIN\b/i.test(line) && /CREATE\s+TRIGGER/i.test(buf)) depth++;
    if (/^\s*END\s*;\s*$/i.test(line)) depth = Math.max(0, depth - 1);
    if (depth === 0 && /;\s*$/.test(line)) {
      const s = buf.trim();
      if (s.length > 1) out.push(s);
      buf = '';
    }
  }
  if (buf.trim()) out.push(buf.trim());
  return out;
}

/**
 * The same numbered files for PostgreSQL, each a script run whole in its own transaction, under an
 * advisory lock: several processes started at once migrate one after the other.
 */
async function migratePg(db: PgDatabase, dir: string): Promise<string[]> {
  return db.withMigrationLock(async (c) => {
    await c.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
    const applied = new Set((await c.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const done: string[] = [];
    for (const file of files) {
      const version = Number(file.slice(0, 3));
      if (applied.has(version)) continue;
      const sql = await readFile(`${dir}/${file}`, 'utf8');
      await c.exec('BEGIN');
      try {
        await c.exec(sql);
        await c.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [version, file, new Date().toISOString()]);
        await c.exec('COMMIT');
      } catch (err) {
        await c.exec('ROLLBACK').catch(() => undefined);
        throw new Error(`PostgreSQL migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      done.push(file);
    }
    return done;
  });
}

/** The schema versions this build ships for an engine (the migration to PostgreSQL compares them with a data dir's). */
export async function shippedVersions(dialect: 'sqlite' | 'postgres'): Promise<number[]> {
  const files = await readdir(dialect === 'postgres' ? PG_MIGRATIONS_DIR : MIGRATIONS_DIR);
  return files.filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).map((f) => Number(f.slice(0, 3))).sort((a, b) => a - b);
}

/** The PostgreSQL schema scripts this build ships, concatenated (what they create and seed). */
export async function pgSchemaSql(): Promise<string> {
  const files = (await readdir(PG_MIGRATIONS_DIR)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return (await Promise.all(files.map((f) => readFile(`${PG_MIGRATIONS_DIR}/${f}`, 'utf8')))).join('\n');
}

/**
 * Tables a PostgreSQL schema script fills itself (`INSERT INTO counter …`), outside function
 * bodies: on a fresh target they hold rows already, which is not a sign of another instance.
 *
 *     seededTables("CREATE TABLE c (…); INSERT INTO c (id, value) VALUES (1, 0);") // Set {'c'}
 */
export function seededTables(sql: string): Set<string> {
  const plain = sql.replace(/\$\$[\s\S]*?\$\$/g, '').replace(/--[^\n]*/g, '');
  return new Set([...plain.matchAll(/\bINSERT\s+INTO\s+"?([A-Za-z_][A-Za-z0-9_]*)"?/gi)].map((m) => m[1]!.toLowerCase()));
}

/** The schema versions a database has applied; none when it has no schema yet. */
export async function appliedVersions(q: Queryable): Promise<number[]> {
  return (await q.all<{ version: number }>('SELECT version FROM schema_migrations').catch(() => [])).map((r) => r.version);
}
