import pg from 'pg';

/**
 * The PostgreSQL pass of the suite (issue #13): `node scripts/run-tests.mjs --postgres …` starts
 * one real server for the whole run and hands its admin URL down in DOSSIER_TEST_PG_URL; every
 * test app then gets a database of its own on it, so the same tests prove both engines.
 */
export const testPgUrl = (): string | null => process.env.DOSSIER_TEST_PG_URL || null;

let admin: pg.Pool | null = null;
let n = 0;

/** A new empty database on the run's server, or null when this run is on SQLite. */
export async function freshPgDatabase(): Promise<string | null> {
  const url = testPgUrl();
  if (!url) return null;
  // allowExitOnIdle: an idle admin connection must not keep a test file's process alive for the
  // pool's idle timeout (10 s) after its last test: that was ~4 s per file, minutes per CI run.
  admin ??= new pg.Pool({ connectionString: url, max: 2, allowExitOnIdle: true });
  admin.on('error', () => undefined);
  const name = `t_${process.pid}_${Date.now().toString(36)}_${++n}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Ends the admin connection (call in a test file's last `after` when it used freshPgDatabase directly). */
export async function closePgAdmin(): Promise<void> {
  const a = admin;
  admin = null;
  await a?.end();
}
