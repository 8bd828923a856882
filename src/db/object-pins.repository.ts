import type { Queryable } from './database.js';

export type DeletionClaimRow = { sha256: string; holder: string; claimed_at: string };

/**
 * Pins of writes, claims of deletions and deferred deletions of store objects (migration
 * 020_object_pins; the protocol is in src/services/object-guard.ts). Times are ISO wall-clock
 * strings (they compare as text), as the store's own times are: this is about processes running
 * at the same moment, not about the services' business clock.
 */
export const objectPinsRepository = {
  /** Records that the write `holder` is storing `sha256` and will refer to it before `expiresAt`. */
  async pin(q: Queryable, p: { sha256: string; holder: string; expiresAt: string }): Promise<void> {
    await q.run('INSERT INTO object_pins (sha256, holder, expires_at) VALUES (?, ?, ?)', [p.sha256, p.holder, p.expiresAt]);
  },

  /** Gives a write's pin back (its row is in, or it will write none). */
  async unpin(q: Queryable, sha256: string, holder: string): Promise<void> {
    await q.run('DELETE FROM object_pins WHERE sha256 = ? AND holder = ?', [sha256, holder]);
  },

  /** Whether some write still running may be about to refer to `sha256`. */
  async isPinned(q: Queryable, sha256: string, now: string): Promise<boolean> {
    return !!(await q.get('SELECT 1 FROM object_pins WHERE sha256 = ? AND expires_at > ? LIMIT 1', [sha256, now]));
  },

  claim(q: Queryable, sha256: string) {
    return q.get<DeletionClaimRow>('SELECT sha256, holder, claimed_at FROM object_deletion_claims WHERE sha256 = ?', [sha256]);
  },

  /**
   * Claims `sha256` for the deletion `holder`; false while another deletion's claim, made after
   * `staleBefore`, runs (that one deletes it). A stale claim is taken over.
   */
  async claimForDeletion(q: Queryable, c: { sha256: string; holder: string; now: string; staleBefore: string }): Promise<boolean> {
    const row = await q.get<{ holder: string }>(
      `INSERT INTO object_deletion_claims (sha256, holder, claimed_at) VALUES (?, ?, ?)
       ON CONFLICT (sha256) DO UPDATE SET holder = excluded.holder, claimed_at = excluded.claimed_at
       WHERE object_deletion_claims.claimed_at <= ?
       RETURNING holder`,
      [c.sha256, c.holder, c.now, c.staleBefore],
    );
    return row?.holder === c.holder;
  },

  /** Removes the claims of one deletion (`sha256` given: only that one). */
  async releaseClaims(q: Queryable, holder: string, sha256?: string): Promise<void> {
    if (sha256) await q.run('DELETE FROM object_deletion_claims WHERE holder = ? AND sha256 = ?', [holder, sha256]);
    else await q.run('DELETE FROM object_deletion_claims WHERE holder = ?', [holder]);
  },

  /** Remembers that `sha256` should go once no write pins it any more (the sweep's work). */
  async defer(q: Queryable, sha256: string, now: string): Promise<void> {
    await q.run('INSERT INTO object_deferred_deletions (sha256, deferred_at) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING', [sha256, now]);
  },

  async undefer(q: Queryable, sha256: string): Promise<void> {
    await q.run('DELETE FROM object_deferred_deletions WHERE sha256 = ?', [sha256]);
  },

  async deferred(q: Queryable): Promise<string[]> {
    return (await q.all<{ sha256: string }>('SELECT sha256 FROM object_deferred_deletions ORDER BY sha256')).map((r) => r.sha256);
  },

  /** Drops pins past their time and claims made before `staleBefore`; returns how many of each. */
  async expire(q: Queryable, now: string, staleBefore: string): Promise<{ pins: number; claims: number }> {
    const pins = await q.run('DELETE FROM object_pins WHERE expires_at <= ?', [now]);
    const claims = await q.run('DELETE FROM object_deletion_claims WHERE claimed_at <= ?', [staleBefore]);
    return { pins: pins.changes, claims: claims.changes };
  },
};
