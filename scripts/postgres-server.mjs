// A real, private PostgreSQL server on loopback for the tests and the benchmark (issue #13):
// Debian's server binaries (apt-get install postgresql, done by .ci/run), a fresh cluster in a
// temp dir, a free port, durability off (a test cluster is thrown away). Never a mock.
//
//   const pg = await startPostgres();   // { url, admin(sql), createDatabase(), stop() }
//   const url = await pg.createDatabase(); // postgres://postgres@127.0.0.1:PORT/t_…
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** The directory with initdb, pg_ctl and postgres: DOSSIER_PG_BIN, else the newest Debian install, else PATH. */
export function findPostgresBin() {
  if (process.env.DOSSIER_PG_BIN) return process.env.DOSSIER_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return path.join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 ? path.dirname(which.stdout.trim()) : null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user the Debian package creates. */
function runAs() {
  if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args], owner: null };
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) throw new Error('Running as root needs the `postgres` user (apt-get install postgresql)');
  const pgUid = Number(id.stdout.trim());
  const pgGid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { wrap: (cmd, args) => ['runuser', ['-u', 'postgres', '--', cmd, ...args]], owner: { uid: pgUid, gid: pgGid } };
}

/**
 * Starts a throw-away cluster. `stop()` shuts it down and removes its files. `settings` adds or
 * overrides server settings, e.g. `{ shared_buffers: '1GB' }` (the tests keep the defaults below).
 * @param {{ settings?: Record<string, string> }} [o]
 * @returns {Promise<{ url: string, port: number, admin: (sql: string, params?: unknown[]) => Promise<unknown[]>, createDatabase: (opts?: { template?: string }) => Promise<string>, stop: () => Promise<void> }>}
 */
export async function startPostgres(o = {}) {
  const bin = findPostgresBin();
  if (!bin) throw new Error('No PostgreSQL server binaries found: apt-get install postgresql (or set DOSSIER_PG_BIN)');
  const dir = mkdtempSync(path.join(tmpdir(), 'dossierlink-pg-'));
  const as = runAs();
  if (as.owner) chownSync(dir, as.owner.uid, as.owner.gid);
  const data = path.join(dir, 'data');
  const run = (cmd, args) => {
    const [c, a] = as.wrap(path.join(bin, cmd), args);
    execFileSync(c, a, { stdio: ['ignore', 'pipe', 'pipe'] });
  };
  // C collation: text sorts byte-wise, as in SQLite, so both engines order alike.
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '400',
    shared_buffers: '128MB',
    max_pred_locks_per_transaction: '256',
    ...o.settings,
  };
  const opts = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  run('pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const adminPool = new pg.Pool({ connectionString: url, max: 2 });
  adminPool.on('error', () => undefined);
  let n = 0;
  const stopped = { done: false };
  return {
    url,
    port,
    dir,
    async admin(sql, params = []) {
      return (await adminPool.query(sql, params)).rows;
    },
    /** A new empty database (or a copy of `template`), named uniquely; returns its URL. */
    async createDatabase(o = {}) {
      const name = `t_${process.pid}_${Date.now().toString(36)}_${++n}`;
      await adminPool.query(`CREATE DATABASE ${name}${o.template ? ` TEMPLATE ${o.template}` : ''}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped.done) return;
      stopped.done = true;
      await adminPool.end().catch(() => undefined);
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already gone; the files are removed regardless.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
