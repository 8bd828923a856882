import type { Queryable } from './database.js';

export type LocationRow = {
  id: string;
  barcode: string;
  kind: string;
  name: string;
  parent_id: string | null;
  created_at: string;
  /** A box or folder checked out to a person (then parent_id is NULL); see 004_tracking.sql. */
  holder_user_id?: string | null;
  due_back_on?: string | null;
};

export const locationsRepository = {
  get(q: Queryable, id: string) {
    return q.get<LocationRow>('SELECT * FROM locations WHERE id = ?', [id]);
  },
  byBarcode(q: Queryable, barcode: string) {
    return q.get<LocationRow>('SELECT * FROM locations WHERE barcode = ?', [barcode]);
  },
  insert(q: Queryable, l: LocationRow) {
    return q.run('INSERT INTO locations (id, barcode, kind, name, parent_id, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      l.id,
      l.barcode,
      l.kind,
      l.name,
      l.parent_id,
      l.created_at,
    ]);
  },
  /** The location and its ancestors, from the root down. */
  async ancestry(q: Queryable, id: string): Promise<LocationRow[]> {
    const rows = await q.all<LocationRow & { depth: number }>(
      `WITH RECURSIVE up(id, barcode, kind, name, parent_id, created_at, holder_user_id, due_back_on, depth) AS (
         SELECT id, barcode, kind, name, parent_id, created_at, holder_user_id, due_back_on, 0 FROM locations WHERE id = ?
         UNION ALL
         SELECT l.id, l.barcode, l.kind, l.name, l.parent_id, l.created_at, l.holder_user_id, l.due_back_on, up.depth + 1
         FROM locations l JOIN up ON l.id = up.parent_id WHERE up.depth < 32
       ) SELECT * FROM up ORDER BY depth DESC`,
      [id],
    );
    return rows;
  },
  list(q: Queryable) {
    return q.all<LocationRow>('SELECT * FROM locations ORDER BY created_at');
  },
};
