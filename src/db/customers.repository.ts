import type { Queryable } from './database.js';

export type CustomerRow = {
  id: string;
  name: string;
  kvk: string | null;
  email: string | null;
  address: string | null;
  postcode: string | null;
  city: string | null;
  attributes: string;
  restricted: number;
  created_at: string;
  updated_at: string;
};

export type CustomerInput = {
  name: string;
  kvk?: string | null;
  email?: string | null;
  address?: string | null;
  postcode?: string | null;
  city?: string | null;
  attributes?: Record<string, unknown>;
};

/** The stored values of a customer's CRM fields, in column order (name … attributes). */
export function customerValues(c: CustomerInput): unknown[] {
  return [c.name, c.kvk ?? null, c.email ?? null, c.address ?? null, c.postcode ?? null, c.city ?? null, JSON.stringify(c.attributes ?? {})];
}

export const customersRepository = {
  get(q: Queryable, id: string) {
    return q.get<CustomerRow>('SELECT * FROM customers WHERE id = ?', [id]);
  },

  /** The names of these customers (those of a page of search hits or documents), by id; unknown ids are left out. */
  async namesOf(q: Queryable, ids: string[]): Promise<Map<string, string>> {
    const list = [...new Set(ids)];
    if (!list.length) return new Map();
    const rows = await q.all<{ id: string; name: string }>(`SELECT id, name FROM customers WHERE id IN (${list.map(() => '?').join(',')})`, list);
    return new Map(rows.map((r) => [r.id, r.name]));
  },

  /** Inserts or updates by CRM number; returns whether the customer is new. */
  async upsert(q: Queryable, id: string, c: CustomerInput, now: string): Promise<{ created: boolean }> {
    const existing = await q.get<{ id: string }>('SELECT id FROM customers WHERE id = ?', [id]);
    const values = customerValues(c);
    if (existing) {
      await q.run(
        `UPDATE customers SET name = ?, kvk = ?, email = ?, address = ?, postcode = ?, city = ?, attributes = ?, updated_at = ?
         WHERE id = ?`,
        [...values, now, id],
      );
      return { created: false };
    }
    await q.run(
      `INSERT INTO customers (id, name, kvk, email, address, postcode, city, attributes, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, ...values, now, now],
    );
    return { created: true };
  },

  search(q: Queryable, text: string, limit: number) {
    const like = `%${text.replace(/[%_\\]/g, (m) => `\\${m}`)}%`;
    return q.all<CustomerRow>(
      `SELECT * FROM customers
       WHERE lower(id) LIKE lower(?) ESCAPE '\\' OR lower(name) LIKE lower(?) ESCAPE '\\' OR lower(kvk) LIKE lower(?) ESCAPE '\\' OR lower(postcode) LIKE lower(?) ESCAPE '\\'
       ORDER BY name LIMIT ?`,
      [like, like, like, like, limit],
    );
  },

  list(q: Queryable, limit: number, offset: number) {
    return q.all<CustomerRow>('SELECT * FROM customers ORDER BY id LIMIT ? OFFSET ?', [limit, offset]);
  },

  count(q: Queryable) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM customers').then((r) => r?.n ?? 0);
  },
};
