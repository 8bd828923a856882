import pg from 'pg';
import { Mutex, QueryInterrupted, type Database, type Params, type Queryable, type RunResult } from './database.js';

// The schema keeps SQLite's shapes (TEXT dates, INTEGER flags), so answers must too: counts and
// sums come back as numbers, not strings, and booleans of EXISTS or comparisons as 1/0.
pg.types.setTypeParser(20, (v) => Number(v)); // int8: COUNT(*), identities
pg.types.setTypeParser(1700, (v) => Number(v)); // numeric: SUM of integers
pg.types.setTypeParser(16, (v) => (v === 't' ? 1 : 0)); // bool

/**
 * SQLSTATEs after which a serializable transaction is simply run again; plus a duplicate audit
 * sequence number, which two appenders whose snapshots predate each other's commit can both pick.
 */
const RETRYABLE = new Set(['40001', '40P01']);
const retryable = (err: unknown) => {
  const e = err as { code?: string; constraint?: string };
  return !!e.code && (RETRYABLE.has(e.code) || (e.code === '23505' && e.constraint === 'audit_events_pkey'));
};
const MAX_TX_ATTEMPTS = 12;

type Translated = { text: string; names: string[] | null; positional: number };

const cache = new Map<string, Translated>();

/**
 * Rewrites the house SQL (SQLite's `?` and `$name` parameters) into PostgreSQL's `$1…$n`,
 * leaving quoted strings, quoted identifiers, comments, `$$` bodies and `::` casts alone.
 *
 *     translate('SELECT * FROM t WHERE a = ? AND b = ?').text // 'SELECT * FROM t WHERE a = $1 AND b = $2'
 *     translate('… <= $now OR x < $now').names // ['now'] (both become $1)
 */
export function translate(sql: string): Translated {
  const hit = cache.get(sql);
  if (hit) return hit;
  let out = '';
  let positional = 0;
  const names: string[] = [];
  for (let i = 0; i < sql.length; ) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '$' && sql[i + 1] === '$') {
      const end = sql.indexOf('$$', i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '?') {
      out += `$${++positional}`;
      i++;
    } else if ((c === '$' || c === '@' || (c === ':' && sql[i - 1] !== ':' && sql[i + 1] !== ':')) && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))!;
      let n = names.indexOf(m[0]);
      if (n < 0) n = names.push(m[0]) - 1;
      out += `$${n + 1}`;
      i += 1 + m[0].length;
    } else {
      out += c;
      i++;
    }
  }
  if (positional && names.length) throw new Error('A statement mixes ? and named parameters');
  const t: Translated = { text: out, names: names.length ? names : null, positional };
  if (cache.size < 5000) cache.set(sql, t);
  return t;
}

function values(t: Translated, params?: Params): unknown[] {
  if (params === undefined) return [];
  if (Array.isArray(params)) return params.map(toPg);
  const byName = new Map(Object.entries(params).map(([k, v]) => [k.replace(/^[:@$]/, ''), v]));
  return (t.names ?? []).map((n) => {
    if (!byName.has(n)) throw new Error(`Missing SQL parameter ${n}`);
    return toPg(byName.get(n));
  });
}

/** SQLite stores booleans as 1/0 and undefined as NULL; so does the PostgreSQL schema. */
function toPg(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

type Client = pg.Pool | pg.PoolClient;

function wrap(client: Client): Queryable {
  return {
    dialect: 'postgres',
    async run(sql, params): Promise<RunResult> {
      const t = translate(sql);
      const r = await client.query(t.text, values(t, params));
      return { changes: r.rowCount ?? 0, lastID: 0 };
    },
    async get<T>(sql: string, params?: Params): Promise<T | undefined> {
      const t = translate(sql);
      const r = await client.query(t.text, values(t, params));
      return r.rows[0] as T | undefined;
    },
    async all<T>(sql: string, params?: Params): Promise<T[]> {
      const t = translate(sql);
      const r = await client.query(t.text, values(t, params));
      return r.rows as T[];
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/**
 * PostgreSQL behind the Database port (issue #13), for any number of API and worker processes on
 * one server. Transactions take turns (a cluster-wide advisory lock, like SQLite's one writer),
 * are SERIALIZABLE against single statements outside them, and run again on a serialization
 * failure, so code written for SQLite's single writer (read, decide, write) stays correct when
 * many processes write at once; `fn` must therefore be short and not have effects outside the
 * database that cannot be repeated. Reads, OCR and everything else run in parallel. Expensive reads (`interruptible`) use a pool of their own and are cancelled on the
 * server (`pg_cancel_backend`) when their budget runs out or the client goes away.
 *
 *     const db = await PgDatabase.open('postgres://dossier@db/dossier');
 *     await db.tx(async (q) => { await q.run('INSERT …'); });
 */
export class PgDatabase implements Database {
  readonly dialect = 'postgres' as const;
  private readonly q: Queryable;
  private readonly writers = new Mutex();
  private closed = false;

  private constructor(
    readonly url: string,
    private readonly pool: pg.Pool,
    private readonly searchPool: pg.Pool,
  ) {
    this.q = wrap(pool);
  }

  static async open(url: string, opts: { poolSize?: number; searchConnections?: number; applicationName?: string } = {}): Promise<PgDatabase> {
    // keepAlive and an idle-in-transaction limit: a machine lost mid-transaction (not a clean
    // SIGKILL) must not keep its session, and with it the write lock, for the kernel's two hours.
    // No JIT: every statement here answers a person or a job within milliseconds to a second, and
    // PostgreSQL compiles one once its estimated cost passes jit_above_cost, which search crosses
    // past a few hundred thousand documents: 20-50 ms of compiling per search at 1M documents
    // (`financiele` 160 -> 115 ms), never paid back by a faster run. jit is a user setting, so
    // managed services allow it.
    const common = {
      connectionString: url,
      application_name: opts.applicationName ?? 'dossierlink',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      options: '-c idle_in_transaction_session_timeout=60000 -c jit=off',
    };
    const pool = new pg.Pool({ ...common, max: opts.poolSize ?? 10 });
    const searchPool = new pg.Pool({ ...common, max: Math.max(1, opts.searchConnections ?? 2) });
    // An idle client that loses its server (restart, failover) must not crash the process.
    pool.on('error', () => undefined);
    searchPool.on('error', () => undefined);
    const version = await pool.query<{ server_version_num: string }>('SHOW server_version_num');
    if (Number(version.rows[0]!.server_version_num) < 150000) {
      await Promise.all([pool.end(), searchPool.end()]);
      throw new Error(`PostgreSQL 15 or newer is needed (this server is ${version.rows[0]!.server_version_num})`);
    }
    return new PgDatabase(url, pool, searchPool);
  }

  run(sql: string, params?: Params): Promise<RunResult> {
    return this.q.run(sql, params);
  }
  get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return this.q.get<T>(sql, params);
  }
  all<T>(sql: string, params?: Params): Promise<T[]> {
    return this.q.all<T>(sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  /**
   * One transaction of this process at a time waits for the cluster-wide lock: the others wait
   * here, without a connection, so waiting writers never take the pool from reads and health.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.writers.lock(() => this.txLocked(fn));
  }

  private async txLocked<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let retry = false;
      const client = await this.pool.connect();
      let broken = false;
      let locked = false;
      try {
        // Write transactions take turns across every process, as SQLite's one writer does: taken
        // before BEGIN, so the snapshot is made after the previous writer committed. Without it,
        // many audited reads at once (each chains one row onto the newest) abort each other
        // round after round until some run out of retries. Reads outside tx() never wait for it.
        await client.query('SELECT pg_advisory_lock(7253003)');
        locked = true;
        await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        if (!(retryable(err) && attempt < MAX_TX_ATTEMPTS)) throw err;
        retry = true;
      } finally {
        if (locked && !broken) await client.query('SELECT pg_advisory_unlock(7253003)').catch(() => (broken = true));
        // A connection that could not roll back or unlock is closed, which ends its lock too.
        client.release(broken);
      }
      // The back-off is slept with the lock and the connection given back, not holding them.
      if (retry) await sleep(Math.random() * 5 * attempt);
    }
  }

  /**
   * A whole script in one transaction while holding a cluster-wide advisory lock, so processes
   * that start at the same time migrate one after the other (the second finds nothing to do).
   */
  async withMigrationLock<T>(fn: (q: Queryable & { exec(sql: string): Promise<void> }) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(7253001)');
      try {
        return await fn({ ...wrap(client), exec: async (sql) => void (await client.query(sql)) });
      } finally {
        await client.query('SELECT pg_advisory_unlock(7253001)');
      }
    } finally {
      client.release();
    }
  }

  async interruptible<T>(fn: (q: Queryable) => Promise<T>, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<T> {
    let reason: 'timeout' | 'cancelled' | null = null;
    let client: pg.PoolClient | null = null;
    let running = 0;
    // The budget also bounds the wait for a connection (all busy, or a slow connect on a loaded
    // server): a search does not hang there past its budget.
    let giveUp: ((err: Error) => void) | undefined;
    const stopped = new Promise<never>((_, reject) => (giveUp = reject));
    stopped.catch(() => undefined);
    const stop = (why: 'timeout' | 'cancelled') => {
      reason ??= why;
      giveUp?.(new QueryInterrupted(reason));
      // Cancelling on the server stops the statement itself, not just our wait for it.
      if (client && running > 0) void this.pool.query('SELECT pg_cancel_backend($1)', [(client as unknown as { processID: number }).processID]).catch(() => undefined);
    };
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onCancel = () => stop('cancelled');
    if (opts.signal?.aborted) onCancel();
    opts.signal?.addEventListener('abort', onCancel, { once: true });
    try {
      if (reason) throw new QueryInterrupted(reason);
      const connecting = this.searchPool.connect();
      try {
        client = await Promise.race([connecting, stopped]);
      } catch (err) {
        // Given up while connecting: the connection, once it comes, goes back unused.
        void connecting.then((c) => c.release(), () => undefined);
        throw err;
      }
      if (reason) throw new QueryInterrupted(reason);
      const base = wrap(client);
      const guarded = async <R>(p: () => Promise<R>): Promise<R> => {
        if (reason) throw new QueryInterrupted(reason);
        running++;
        try {
          return await p();
        } catch (err) {
          throw reason || (err as { code?: string }).code === '57014' ? new QueryInterrupted(reason ?? 'timeout') : err;
        } finally {
          running--;
        }
      };
      return await fn({
        dialect: 'postgres',
        run: () => Promise.reject(new Error('interruptible connections are read-only')),
        get: (sql, params) => guarded(() => base.get(sql, params)),
        all: (sql, params) => guarded(() => base.all(sql, params)),
      });
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onCancel);
      // A cancel sent late must not hit the next search on this connection: close it instead.
      client?.release(reason !== null);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.searchPool.end()]);
  }
}
