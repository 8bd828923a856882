import type { Queryable } from './database.js';

/** Questions about the data dir as a whole rather than about one table. */
export const instanceRepository = {
  /** True when the data dir has never been used: no customers and no users (the demo seed's guard). */
  async isUnused(q: Queryable): Promise<boolean> {
    const row = await q.get<{ n: number }>('SELECT (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM users) AS n');
    return (row?.n ?? 0) === 0;
  },
  /** PostgreSQL: the database's collation (`C` orders text byte by byte, as SQLite does); null on SQLite. */
  async collation(q: Queryable): Promise<string | null> {
    if (q.dialect !== 'postgres') return null;
    return (await q.get<{ collate: string }>('SELECT datcollate AS collate FROM pg_database WHERE datname = current_database()'))?.collate ?? null;
  },
};

/** Readiness (issue #13): the cheapest statement that proves the database answers. */
export const healthRepository = {
  async ping(q: Queryable): Promise<void> {
    await q.get<{ one: number }>('SELECT 1 AS one');
  },
};
