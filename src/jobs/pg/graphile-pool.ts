import { Logger as GraphileLogger, runMigrations } from 'graphile-worker';
import type { Logger } from 'pino';
import pg from 'pg';
import type { PgDatabase } from '../../db/pg-database.js';

// PgDatabase parses int8/numeric to numbers and bool to 1/0 for every pg client of the process
// (SQLite's shapes). graphile-worker is written for pg's own parsing, so its pool gets that back.
const PRISTINE: Record<number, (v: string) => unknown> = {
  20: (v) => v,
  1700: (v) => v,
  16: (v) => v === 't' || v === 'true',
};

/** graphile-worker's log lines into ours: its errors and warnings as such, its chatter at debug. */
export function graphileLogger(logger?: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message) => {
    if (!logger) return;
    if (level === 'error') logger.error({ component: 'graphile-worker' }, message);
    else if (level === 'warning') logger.warn({ component: 'graphile-worker' }, message);
    else logger.debug({ component: 'graphile-worker' }, message);
  });
}

export type GraphilePool = { pool: pg.Pool; end(): Promise<void> };

/** A pool of connections for graphile-worker alone (its claims, LISTEN and completions). */
export function graphilePool(url: string, max: number): GraphilePool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: 'dossierlink-jobs',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        format !== 'binary' && PRISTINE[oid] ? PRISTINE[oid] : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A client that loses its server (restart, failover) must not crash the process: graphile
  // reconnects its LISTEN client and retries its work, the pool replaces the client.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  let ended = false;
  return {
    pool,
    end: async () => {
      if (ended) return;
      ended = true;
      await pool.end();
    },
  };
}

/**
 * Installs or upgrades graphile-worker's schema (`graphile_worker`, versioned by graphile itself),
 * under our migration lock so processes started together do it one after the other. Every
 * process needs it, API processes too: they enqueue with `graphile_worker.add_job()`.
 *
 *     await migrate(db); await installJobSchema(db);
 */
export async function installJobSchema(db: PgDatabase, logger?: Logger): Promise<void> {
  const p = graphilePool(db.url, 2);
  try {
    await db.withMigrationLock(() => runMigrations({ pgPool: p.pool, logger: graphileLogger(logger) }));
  } finally {
    await p.end();
  }
}
