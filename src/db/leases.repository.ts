import type { Queryable } from './database.js';

export type LeaseRow = { name: string; holder: string; acquired_at: string; renewed_at: string; expires_at: string };

/**
 * Leases: one holder at a time per name, renewed by the holder, taken over by anyone once expired.
 * Times are ISO strings from the services' clock (they compare as text). Portable SQL: an upsert
 * whose update only applies for the holder itself or over an expired row.
 */
export const leasesRepository = {
  get(q: Queryable, name: string) {
    return q.get<LeaseRow>('SELECT * FROM leases WHERE name = ?', [name]);
  },

  /** Takes or renews `name` for `holder` until `expiresAt`; false while another holder's lease runs. */
  async acquire(q: Queryable, l: { name: string; holder: string; now: string; expiresAt: string }): Promise<boolean> {
    const row = await q.get<{ holder: string }>(
      `INSERT INTO leases (name, holder, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET
         acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
         holder = excluded.holder, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.renewed_at
       RETURNING holder`,
      [l.name, l.holder, l.now, l.now, l.expiresAt],
    );
    return row?.holder === l.holder;
  },

  /** Gives `name` back at once (a stopping holder), so another process need not wait for it to expire. */
  async release(q: Queryable, name: string, holder: string): Promise<void> {
    await q.run('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder]);
  },
};
