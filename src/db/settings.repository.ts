import type { Queryable } from './database.js';

export const settingsRepository = {
  async get<T>(q: Queryable, key: string): Promise<T | undefined> {
    const row = await q.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
    return row ? (JSON.parse(row.value) as T) : undefined;
  },
  async set(q: Queryable, key: string, value: unknown): Promise<void> {
    await q.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [
      key,
      JSON.stringify(value),
    ]);
  },
};
