import type { Queryable } from './database.js';

export type StatusRow = { customer_id: string; name: string; value: string; detail: string; set_at: string; set_by: string | null; source: string | null };

export const statusRepository = {
  byCustomer(q: Queryable, customerId: string) {
    return q.all<StatusRow>('SELECT * FROM status_variables WHERE customer_id = ? ORDER BY name', [customerId]);
  },
  /**
   * The customer's current values, each with the sequence number of the history row that set it
   * (`lastSeq`): which of two values set in the same millisecond came last.
   */
  withOrder(q: Queryable, customerId: string) {
    return q.all<StatusRow & { lastSeq: number | null }>(
      `SELECT v.*, (SELECT MAX(h.seq) FROM status_history h WHERE h.customer_id = v.customer_id AND h.name = v.name) AS "lastSeq"
       FROM status_variables v WHERE v.customer_id = ? ORDER BY v.name`,
      [customerId],
    );
  },
  history(q: Queryable, customerId: string) {
    return q.all<StatusRow & { seq: number }>('SELECT * FROM status_history WHERE customer_id = ? ORDER BY seq DESC', [customerId]);
  },
  async set(q: Queryable, s: StatusRow): Promise<void> {
    await q.run(
      `INSERT INTO status_variables (customer_id, name, value, detail, set_at, set_by, source) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(customer_id, name) DO UPDATE SET value = excluded.value, detail = excluded.detail,
         set_at = excluded.set_at, set_by = excluded.set_by, source = excluded.source`,
      [s.customer_id, s.name, s.value, s.detail, s.set_at, s.set_by, s.source],
    );
    await q.run(
      'INSERT INTO status_history (customer_id, name, value, detail, set_at, set_by, source) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [s.customer_id, s.name, s.value, s.detail, s.set_at, s.set_by, s.source],
    );
  },
  /** Sets the current value without a history row: a merge carries a value whose history moves separately. */
  async carry(q: Queryable, s: StatusRow): Promise<void> {
    await q.run(
      `INSERT INTO status_variables (customer_id, name, value, detail, set_at, set_by, source) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value, detail = excluded.detail, set_at = excluded.set_at,
         set_by = excluded.set_by, source = excluded.source`,
      [s.customer_id, s.name, s.value, s.detail, s.set_at, s.set_by, s.source],
    );
  },
  async deleteAllOf(q: Queryable, customerId: string): Promise<void> {
    await q.run('DELETE FROM status_variables WHERE customer_id = ?', [customerId]);
  },
  /** Moves a customer's status history to another customer (a merge); returns how many rows moved. */
  async moveHistory(q: Queryable, fromId: string, intoId: string): Promise<number> {
    return (await q.run('UPDATE status_history SET customer_id = ? WHERE customer_id = ?', [intoId, fromId])).changes;
  },
};
