import sqlite3 from 'sqlite3';

export type Params = unknown[] | Record<string, unknown>;
export type RunResult = { changes: number; lastID: number };

/** What a repository needs: the same three calls inside and outside a transaction. */
export interface Queryable {
  run(sql: string, params?: Params): Promise<RunResult>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  all<T>(sql: string, params?: Params): Promise<T[]>;
}

/** Serialises async critical sections; sqlite3 has one writer and transactions must not interleave. */
class Mutex {
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
 * One SQLite file, two connections: a writer used under a mutex (plain writes and
 * `BEGIN IMMEDIATE` transactions never interleave) and a reader for everything else,
 * which WAL lets run beside the writer and which only ever sees committed data.
 *
 *     const db = await Database.open('/tmp/x.sqlite');
 *     await db.tx(async (q) => { await q.run('INSERT ...'); });
 */
export class Database implements Queryable {
  private readonly lock = new Mutex();
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly writerConn: sqlite3.Database,
    private readonly readerConn: sqlite3.Database,
  ) {}

  private get writer() {
    return wrap(this.writerConn);
  }
  private get reader() {
    return wrap(this.readerConn);
  }

  static async open(file: string): Promise<Database> {
    const writerConn = await openConnection(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE);
    const w = wrap(writerConn);
    await w.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;');
    const readerConn = await openConnection(file, sqlite3.OPEN_READWRITE);
    await wrap(readerConn).exec('PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA query_only = ON;');
    return new Database(file, writerConn, readerConn);
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
      await new Promise<void>((r, j) => this.writerConn.close((e) => (e ? j(e) : r())));
    });
  }
}
