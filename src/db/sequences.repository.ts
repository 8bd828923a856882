import type { Queryable } from './database.js';

export const sequencesRepository = {
  /** Next value of a named counter, starting at 1. Call inside a transaction. */
  async next(q: Queryable, name: string): Promise<number> {
    const row = await q.get<{ value: number }>(
      'INSERT INTO sequences (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = sequences.value + 1 RETURNING value',
      [name],
    );
    return row!.value;
  },
};
