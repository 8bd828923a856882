import sqlite3 from 'sqlite3';
import { loadRanking, rankingExtensionPath } from './fts-ranking.js';

export type Params = unknown[] | Record<string, unknown>;
/** `lastID` is SQLite's rowid of an INSERT; portable code uses `INSERT … RETURNING` instead (PostgreSQL gives 0). */
export type RunResult = { changes: number; lastID: number };

/**
 * Which SQL engine answers: the embedded default (`sqlite`) or PostgreSQL when users outgrow one
 * machine (issue #13). Repositories write one portable statement where they can and branch on
 * this only where the engines differ (full-text search, JSON, upserts of odd shapes).
 */
export type Dialect = 'sqlite' | 'postgres';

/** What a repository needs: the same three calls inside and outside a transaction. */
export interface Queryable {
  readonly dialect: Dialect;
  run(sql: string, params?: Params): Promise<RunResult>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  all<T>(sql: string, params?: Params): Promise<T[]>;
  /**
   * Only on an interruptible (search) connection of the embedded engine: runs `fn` with up to
   * `max` of the pool's slice connections that are idle right now (none when all are busy; it
   * never waits for one), under the same budget and interruption, to split one costly read
   * across cores. Each goes back once `fn` has settled and its statements stopped.
   */
  withSpare?<R>(max: number, fn: (spare: Queryable[]) => Promise<R>): Promise<R>;
  /** Only on the embedded engine's search connections: bm25d() of native/dossier_fts.c is loaded (src/db/fts-ranking.ts). */
  readonly bm25d?: boolean;
}

/** Serialises async critical sections (not re-entrant): SQLite's one writer, PostgreSQL's queue of writers per process. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async lock<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * A read on an interruptible connection was stopped: its time budget ran out (`timeout`) or the
 * caller gave up, e.g. the client went away (`cancelled`).
 */
export class QueryInterrupted extends Error {
  constructor(readonly reason: 'timeout' | 'cancelled') {
    super(reason === 'timeout' ? 'The query ran out of its time budget' : 'The query was cancelled');
  }
}

/**
 * Read-only connections of their own for expensive reads (full-text search). One statement at a
 * time per connection, handed out in turn: node-sqlite3 would otherwise park every queued query on
 * a libuv thread waiting for the connection's mutex, and enough of those starve every other
 * connection (and fs) of threads. Beside them, `slices`: connections only a running read takes,
 * when idle, to split its work (`withSpare`), so a search ranking in slices never holds a
 * connection another search is waiting for.
 */
class ReadPool {
  private readonly idle: sqlite3.Database[];
  private readonly idleSlices: sqlite3.Database[];
  private readonly waiters: { resolve: (c: sqlite3.Database) => void; reject: (e: Error) => void; signal: AbortSignal; onAbort: () => void }[] = [];

  constructor(
    readonly conns: sqlite3.Database[],
    readonly slices: sqlite3.Database[] = [],
  ) {
    this.idle = [...conns];
    this.idleSlices = [...slices];
  }

  acquire(signal: AbortSignal, reason: () => 'timeout' | 'cancelled'): Promise<sqlite3.Database> {
    if (signal.aborted) return Promise.reject(new QueryInterrupted(reason()));
    const conn = this.idle.pop();
    if (conn) return Promise.resolve(conn);
    return new Promise((resolve, reject) => {
      const w = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          reject(new QueryInterrupted(reason()));
        },
      };
      signal.addEventListener('abort', w.onAbort, { once: true });
      this.waiters.push(w);
    });
  }

  /** Up to `max` slice connections that are idle now, without waiting. */
  takeSlices(max: number): sqlite3.Database[] {
    return this.idleSlices.splice(Math.max(0, this.idleSlices.length - max), max);
  }

  release(conn: sqlite3.Database): void {
    if (this.slices.includes(conn)) {
      this.idleSlices.push(conn);
      return;
    }
    const w = this.waiters.shift();
    if (!w) {
      this.idle.push(conn);
      return;
    }
    w.signal.removeEventListener('abort', w.onAbort);
    w.resolve(conn);
  }
}

function openConnection(file: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, mode, (err) => (err ? reject(err) : resolve(db)));
  });
}

function bind(params?: Params): unknown[] | Record<string, unknown> {
  if (params === undefined) return [];
  if (Array.isArray(params)) return params;
  // Named parameters: sqlite3 wants the prefix in the key.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[/^[:@$]/.test(k) ? k : `$${k}`] = v;
  return out;
}

function wrap(conn: sqlite3.Database): Queryable & { exec(sql: string): Promise<void> } {
  return {
    dialect: 'sqlite',
    run: (sql, params) =>
      new Promise((resolve, reject) =>
        conn.run(sql, bind(params), function (this: sqlite3.RunResult, err: Error | null) {
          if (err) reject(err);
          else resolve({ changes: this.changes, lastID: this.lastID });
        }),
      ),
    get: <T>(sql: string, params?: Params) =>
      new Promise<T | undefined>((resolve, reject) =>
        conn.get(sql, bind(params), (err: Error | null, row: T) => (err ? reject(err) : resolve(row))),
      ),
    all: <T>(sql: string, params?: Params) =>
      new Promise<T[]>((resolve, reject) =>
        conn.all(sql, bind(params), (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))),
      ),
    exec: (sql) => new Promise((resolve, reject) => conn.exec(sql, (err) => (err ? reject(err) : resolve()))),
  };
}

/**
 * The database port: reads and writes (`Queryable`), transactions, migrations' scripts and
 * interruptible reads for expensive queries. Two engines implement it: SqliteDatabase (the
 * embedded default, one file) and PgDatabase (src/db/pg-database.ts, for many processes).
 */
export interface Database extends Queryable {
  /** Runs `fn` in one transaction; commits if it resolves, rolls back if it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Read-only work on a connection of its own, stopped after `timeoutMs` or when `signal` aborts (QueryInterrupted). */
  interruptible<T>(fn: (q: Queryable) => Promise<T>, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<T>;
  close(): Promise<void>;
}

/**
 * One SQLite file, three kinds of connection: a writer used under a mutex (plain writes and
 * `BEGIN IMMEDIATE` transactions never interleave), a reader for everything else, which WAL lets
 * run beside the writer and which only ever sees committed data, and a small pool of readers for
 * expensive reads (`interruptible`), so a costly search never makes authentication or a dossier
 * wait behind it.
 *
 *     const db = await Database.open('/tmp/x.sqlite');
 *     await db.tx(async (q) => { await q.run('INSERT ...'); });
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  private readonly lock = new Mutex();
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly writerConn: sqlite3.Database,
    private readonly readerConn: sqlite3.Database,
    private readonly searchPool: ReadPool,
    /** Why searches rank with SQLite's bm25() instead of bm25d() (not built, or it did not load); null when bm25d() is loaded. */
    readonly rankingFallback: string | null = null,
  ) {}

  private get writer() {
    return wrap(this.writerConn);
  }
  private get reader() {
    return wrap(this.readerConn);
  }

  /**
   * `searchConnections`: how many interruptible readers to open (the most expensive reads that run
   * at once); `sliceConnections`: how many more, which only such a read may take to split its work.
   * `nativeRanking: false` leaves bm25d() out of them (tests compare it with bm25()).
   */
  static async open(file: string, opts: { searchConnections?: number; sliceConnections?: number; nativeRanking?: boolean } = {}): Promise<SqliteDatabase> {
    const writerConn = await openConnection(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE);
    const w = wrap(writerConn);
    await w.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;');
    const readerConn = await openConnection(file, sqlite3.OPEN_READWRITE);
    await wrap(readerConn).exec('PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA query_only = ON;');
    const extension = opts.nativeRanking === false ? null : rankingExtensionPath();
    let fallback: string | null = opts.nativeRanking === false ? 'turned off' : extension ? null : 'native/build/dossier_fts.so was not built';
    const readOnly = async (n: number) => {
      const out: sqlite3.Database[] = [];
      for (let i = 0; i < n; i++) {
        const c = await openConnection(file, sqlite3.OPEN_READONLY);
        await wrap(c).exec('PRAGMA busy_timeout = 10000; PRAGMA query_only = ON;');
        // A search's slices must rank with one function: after a failure no connection uses it.
        if (extension && !fallback) await loadRanking(c, extension).catch((err: Error) => (fallback = `native/build/dossier_fts.so did not load: ${err.message}`));
        out.push(c);
      }
      return out;
    };
    const searchConns = await readOnly(Math.max(1, opts.searchConnections ?? 1));
    const sliceConns = await readOnly(Math.max(0, opts.sliceConnections ?? 0));
    return new SqliteDatabase(file, writerConn, readerConn, new ReadPool(searchConns, sliceConns), fallback);
  }

  run(sql: string, params?: Params): Promise<RunResult> {
    return this.lock.lock(() => this.writer.run(sql, params));
  }
  get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return this.reader.get<T>(sql, params);
  }
  all<T>(sql: string, params?: Params): Promise<T[]> {
    return this.reader.all<T>(sql, params);
  }

  /**
   * Runs read-only work on a connection of its own that is interrupted (`sqlite3_interrupt`)
   * when `timeoutMs` has passed or `signal` aborts; then the promise rejects with
   * QueryInterrupted at once, and the connection goes back to the pool only when the
   * statement has really stopped. Waiting for a free connection counts against the budget.
   *
   *     await db.interruptible((q) => q.all('SELECT … MATCH ?', [m]), { timeoutMs: 3000, signal });
   */
  async interruptible<T>(fn: (q: Queryable) => Promise<T>, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<T> {
    let reason: 'timeout' | 'cancelled' | null = null;
    const ac = new AbortController();
    const stop = (why: 'timeout' | 'cancelled') => {
      reason ??= why;
      ac.abort();
    };
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onCancel = () => stop('cancelled');
    if (opts.signal?.aborted) onCancel();
    opts.signal?.addEventListener('abort', onCancel, { once: true });
    const why = () => reason ?? 'cancelled';
    try {
      const conn = await this.searchPool.acquire(ac.signal, why);
      const readOnly = (c: sqlite3.Database, track?: Set<Promise<unknown>>): Queryable => {
        const base = wrap(c);
        const guarded = <R>(p: () => Promise<R>): Promise<R> => {
          if (reason) return Promise.reject(new QueryInterrupted(reason));
          const running = p().catch((err: Error & { code?: string }) => {
            throw reason || err.code === 'SQLITE_INTERRUPT' ? new QueryInterrupted(why()) : err;
          });
          if (track) {
            const settled = running.then(() => undefined, () => undefined);
            track.add(settled);
            void settled.then(() => track.delete(settled));
          }
          return running;
        };
        return {
          dialect: 'sqlite',
          bm25d: this.rankingFallback === null,
          run: () => Promise.reject(new Error('interruptible connections are read-only')),
          get: (sql, params) => guarded(() => base.get(sql, params)),
          all: (sql, params) => guarded(() => base.all(sql, params)),
        };
      };
      const interruptAll = new Set<sqlite3.Database>([conn]);
      const interrupt = () => interruptAll.forEach((c) => c.interrupt());
      ac.signal.addEventListener('abort', interrupt, { once: true });
      const withSpare = async <R>(max: number, use: (spare: Queryable[]) => Promise<R>): Promise<R> => {
        const taken = reason ? [] : this.searchPool.takeSlices(max);
        const running = new Set<Promise<unknown>>();
        taken.forEach((c) => interruptAll.add(c));
        try {
          return await use(taken.map((c) => readOnly(c, running)));
        } finally {
          // Handed back once their statements have stopped (a slice may still run when another failed).
          void Promise.all([...running]).finally(() => {
            for (const c of taken) {
              interruptAll.delete(c);
              this.searchPool.release(c);
            }
          });
        }
      };
      const work = fn({ ...readOnly(conn), withSpare });
      // The connection is handed back only once the statement has stopped, never while it still runs.
      void work.then(
        () => undefined,
        () => undefined,
      ).finally(() => {
        ac.signal.removeEventListener('abort', interrupt);
        this.searchPool.release(conn);
      });
      const aborted = new Promise<never>((_, reject) => {
        const fail = () => reject(new QueryInterrupted(why()));
        if (ac.signal.aborted) fail();
        else ac.signal.addEventListener('abort', fail, { once: true });
      });
      aborted.catch(() => undefined);
      return await Promise.race([work, aborted]);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onCancel);
    }
  }

  /** Runs a multi-statement script on the writer (migrations). */
  exec(sql: string): Promise<void> {
    return this.lock.lock(() => this.writer.exec(sql));
  }

  /**
   * Runs `fn` in one `BEGIN IMMEDIATE` transaction on the writer; commits if it resolves,
   * rolls back if it throws. Reads through the handle see the transaction's own writes.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.lock.lock(async () => {
      const w = this.writer;
      await w.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(w);
        await w.exec('COMMIT');
        return result;
      } catch (err) {
        await w.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lock.lock(async () => {
      await new Promise<void>((r, j) => this.readerConn.close((e) => (e ? j(e) : r())));
      // A search still running would keep its connection from closing: stop it first.
      const all = [...this.searchPool.conns, ...this.searchPool.slices];
      for (const c of all) c.interrupt();
      for (const c of all) await new Promise<void>((r, j) => c.close((e) => (e ? j(e) : r())));
      await new Promise<void>((r, j) => this.writerConn.close((e) => (e ? j(e) : r())));
    });
  }
}

/** `Database.open(file)` opens the embedded default, as before the port existed. */
export const Database = { open: SqliteDatabase.open.bind(SqliteDatabase) };
