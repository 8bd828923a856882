import type { Queryable } from './database.js';
import type { DocumentRow } from './documents.repository.js';
import type { LocationRow } from './locations.repository.js';

export type MovementRow = {
  seq: number;
  at: string;
  actor_id: string;
  kind: 'file' | 'move' | 'check-out' | 'check-in' | 'transfer' | 'correction';
  item_type: 'document' | 'container' | 'location';
  barcode: string;
  document_id: string | null;
  location_id: string | null;
  from_location_id: string | null;
  from_user_id: string | null;
  from_path: string | null;
  to_location_id: string | null;
  to_user_id: string | null;
  to_path: string | null;
  due_back_on: string | null;
  via_barcode: string | null;
  request_id: string | null;
  audit_id: string | null;
  note: string | null;
};
export type NewMovement = Omit<MovementRow, 'seq'>;

/** A location under a root, with its depth and its path relative to the root ('' for the root). */
export type SubtreeRow = LocationRow & { depth: number; rel_path: string };

const MOVEMENT_COLUMNS: (keyof NewMovement)[] = [
  'at', 'actor_id', 'kind', 'item_type', 'barcode', 'document_id', 'location_id', 'from_location_id', 'from_user_id',
  'from_path', 'to_location_id', 'to_user_id', 'to_path', 'due_back_on', 'via_barcode', 'request_id', 'audit_id', 'note',
];

const SUBTREE = `WITH RECURSIVE sub(id, depth, rel_path) AS (
    SELECT id, 0, '' FROM locations WHERE id = ?
    UNION ALL
    SELECT l.id, sub.depth + 1, CASE WHEN sub.rel_path = '' THEN l.name ELSE sub.rel_path || ' › ' || l.name END
    FROM locations l JOIN sub ON l.parent_id = sub.id WHERE sub.depth < 32
  )`;

/** The file tracker's queries: the place tree, what is where, and the movement history. */
export const trackingRepository = {
  /** The root and every place under it, parents before children. */
  subtree(q: Queryable, rootId: string) {
    return q.all<SubtreeRow>(`${SUBTREE} SELECT l.*, sub.depth, sub.rel_path FROM sub JOIN locations l ON l.id = sub.id ORDER BY sub.depth, l.name`, [rootId]);
  },

  /** Documents whose place is the root or anything under it (not those checked out). */
  documentsUnder(q: Queryable, rootId: string) {
    return q.all<DocumentRow & { rel_path: string }>(
      `${SUBTREE} SELECT d.*, sub.rel_path FROM sub JOIN documents d ON d.location_id = sub.id
       WHERE d.destroyed_at IS NULL ORDER BY sub.rel_path, d.barcode`,
      [rootId],
    );
  },

  documentsAt(q: Queryable, locationId: string) {
    return q.all<DocumentRow>('SELECT * FROM documents WHERE location_id = ? AND destroyed_at IS NULL ORDER BY barcode', [locationId]);
  },

  countDocumentsUnder(q: Queryable, rootId: string) {
    return q
      .get<{ n: number }>(`${SUBTREE} SELECT COUNT(*) AS n FROM sub JOIN documents d ON d.location_id = sub.id WHERE d.destroyed_at IS NULL`, [rootId])
      .then((r) => r?.n ?? 0);
  },

  /** Documents per place, for the tree view. */
  documentCounts(q: Queryable) {
    return q.all<{ location_id: string; n: number }>(
      'SELECT location_id, COUNT(*) AS n FROM documents WHERE location_id IS NOT NULL AND destroyed_at IS NULL GROUP BY location_id',
    );
  },

  children(q: Queryable, parentId: string) {
    return q.all<LocationRow>('SELECT * FROM locations WHERE parent_id = ? ORDER BY name', [parentId]);
  },

  /** Puts a place under another (or with a person when parentId is null and holder is set). */
  setLocationPlace(q: Queryable, id: string, at: { parentId: string | null; holder: string | null; dueBackOn: string | null }) {
    return q.run('UPDATE locations SET parent_id = ?, holder_user_id = ?, due_back_on = ? WHERE id = ?', [at.parentId, at.holder, at.dueBackOn, id]);
  },

  rename(q: Queryable, id: string, name: string) {
    return q.run('UPDATE locations SET name = ? WHERE id = ?', [name, id]);
  },

  async insertMovement(q: Queryable, m: NewMovement): Promise<number> {
    const r = await q.get<{ seq: number }>(
      `INSERT INTO movements (${MOVEMENT_COLUMNS.join(', ')}) VALUES (${MOVEMENT_COLUMNS.map(() => '?').join(', ')}) RETURNING seq`,
      MOVEMENT_COLUMNS.map((c) => m[c]),
    );
    return r!.seq;
  },

  /** An item's history, oldest first. */
  history(q: Queryable, barcode: string) {
    return q.all<MovementRow>('SELECT * FROM movements WHERE barcode = ? ORDER BY seq', [barcode]);
  },

  /** When the current loan of an item started: its last check-out or transfer. */
  lastHandOver(q: Queryable, barcode: string) {
    return q.get<MovementRow>("SELECT * FROM movements WHERE barcode = ? AND kind IN ('check-out','transfer') ORDER BY seq DESC LIMIT 1", [barcode]);
  },

  overdueDocuments(q: Queryable, today: string) {
    return q.all<DocumentRow>(
      `SELECT * FROM documents WHERE holder_user_id IS NOT NULL AND due_back_on < ? AND destroyed_at IS NULL ORDER BY due_back_on, barcode`,
      [today],
    );
  },

  overdueContainers(q: Queryable, today: string) {
    return q.all<LocationRow>('SELECT * FROM locations WHERE holder_user_id IS NOT NULL AND due_back_on < ? ORDER BY due_back_on, barcode', [today]);
  },
};
