import type { Queryable } from './database.js';

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * Customer merges: the tombstone table `customer_merges`, and the statements that re-point a
 * merged customer's rows in tables whose own repositories have no reason to know about merges
 * (holds, letters, separator sheets, coupon reviews, learned letterheads). Kept together so a
 * second backend implements the merge in one place.
 */
export const mergesRepository = {
  /** The surviving number a customer number was merged into, or undefined. */
  async mergedInto(q: Queryable, id: string): Promise<string | undefined> {
    return (await q.get<{ into_id: string }>('SELECT into_id FROM customer_merges WHERE merged_id = ?', [id]))?.into_id;
  },

  /** Which of these customer numbers were merged away. */
  async mergedAmong(q: Queryable, ids: string[]): Promise<Set<string>> {
    const rows = await q.all<{ merged_id: string }>(`SELECT merged_id FROM customer_merges WHERE merged_id IN (${marks(ids.length)})`, ids);
    return new Set(rows.map((r) => r.merged_id));
  },

  async record(q: Queryable, m: { mergedId: string; intoId: string; at: string; by: string; moved: Record<string, number> }): Promise<void> {
    await q.run('INSERT INTO customer_merges (merged_id, into_id, merged_at, merged_by, moved) VALUES (?, ?, ?, ?, ?)', [m.mergedId, m.intoId, m.at, m.by, JSON.stringify(m.moved)]);
  },

  /** Numbers merged earlier into `fromId` now resolve in one step to `intoId`; returns how many. */
  async repointEarlier(q: Queryable, fromId: string, intoId: string): Promise<number> {
    return (await q.run('UPDATE customer_merges SET into_id = ? WHERE into_id = ?', [intoId, fromId])).changes;
  },

  async moveLegalHolds(q: Queryable, fromId: string, intoId: string): Promise<number> {
    return (await q.run('UPDATE legal_holds SET customer_id = ? WHERE customer_id = ?', [intoId, fromId])).changes;
  },

  /** A mailing that reached both keeps the merged customer's letter where it was (one letter per customer per mailing). */
  async moveMailingLetters(q: Queryable, fromId: string, intoId: string): Promise<number> {
    return (
      await q.run('UPDATE mailing_letters SET customer_id = ? WHERE customer_id = ? AND mailing_id NOT IN (SELECT l.mailing_id FROM mailing_letters l WHERE l.customer_id = ?)', [intoId, fromId, intoId])
    ).changes;
  },

  async moveSeparatorSheets(q: Queryable, fromId: string, intoId: string): Promise<void> {
    await q.run('UPDATE separator_sheets SET customer_id = ? WHERE customer_id = ?', [intoId, fromId]);
  },

  /** Open coupon reviews that hint at the merged customer hint at the survivor. */
  async moveOpenCouponHints(q: Queryable, fromId: string, intoId: string): Promise<void> {
    await q.run("UPDATE coupon_reviews SET hint_customer_id = ? WHERE hint_customer_id = ? AND status = 'open'", [intoId, fromId]);
  },

  /** Learned letterheads move (ones the survivor already has stay once); returns how many were added. */
  async moveAliases(q: Queryable, fromId: string, intoId: string): Promise<number> {
    const added = (
      await q.run('INSERT INTO customer_aliases (customer_id, phrase, learned_at) SELECT CAST(? AS TEXT), phrase, learned_at FROM customer_aliases WHERE customer_id = ? ON CONFLICT DO NOTHING', [intoId, fromId])
    ).changes;
    await q.run('DELETE FROM customer_aliases WHERE customer_id = ?', [fromId]);
    return added;
  },
};
