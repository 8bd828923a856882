import type { CustomerRow } from './customers.repository.js';
import type { Queryable } from './database.js';
import type { DocumentRow } from './documents.repository.js';
import type { StatusRow } from './status.repository.js';
import { notRestricted, restrictionRepository } from './restriction.repository.js';

export type ChangeRow = { entity: 'customer' | 'document' | 'status'; entity_id: string; customer_id: string | null; seq: number };

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

export const changesRepository = {
  after(q: Queryable, since: number, limit: number, entity?: ChangeRow['entity']) {
    return entity
      ? q.all<ChangeRow>('SELECT * FROM sync_changes WHERE seq > ? AND entity = ? ORDER BY seq LIMIT ?', [since, entity, limit])
      : q.all<ChangeRow>('SELECT * FROM sync_changes WHERE seq > ? ORDER BY seq LIMIT ?', [since, limit]);
  },

  /** The latest sequence number handed out. */
  async head(q: Queryable): Promise<number> {
    return (await q.get<{ value: number }>('SELECT value FROM sync_counter WHERE id = 1'))?.value ?? 0;
  },

  customers(q: Queryable, ids: string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return q.all<CustomerRow & { merged_into: string | null }>(
      `SELECT c.*, m.into_id AS merged_into FROM customers c LEFT JOIN customer_merges m ON m.merged_id = c.id WHERE c.id IN (${marks(ids.length)})`,
      ids,
    );
  },

  documents(q: Queryable, ids: string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return q.all<DocumentRow>(`SELECT * FROM documents WHERE id IN (${marks(ids.length)})`, ids);
  },

  pages(q: Queryable, documentIds: string[]) {
    if (documentIds.length === 0) return Promise.resolve([]);
    return q.all<{ document_id: string; page_no: number; text: string }>(
      `SELECT document_id, page_no, text FROM document_pages WHERE document_id IN (${marks(documentIds.length)}) ORDER BY document_id, page_no`,
      documentIds,
    );
  },

  statuses(q: Queryable, keys: { customerId: string; name: string }[]) {
    if (keys.length === 0) return Promise.resolve([]);
    return q.all<StatusRow>(
      `SELECT * FROM status_variables WHERE (customer_id, name) IN (VALUES ${keys.map(() => '(?, ?)').join(', ')})`,
      keys.flatMap((k) => [k.customerId, k.name]),
    );
  },

  /** Which of these customers may not be synced to mobile devices (GDPR art. 18 restriction). */
  restricted(q: Queryable, ids: string[]): Promise<Set<string>> {
    return restrictionRepository.restrictedAmong(q, ids);
  },

  /** Paper and static documents changed after `since` (destroyed ones included, as tombstones). */
  keyPointsAfter(q: Queryable, since: number, limit: number, customerId?: string) {
    return q.all<DocumentRow & { seq: number }>(
      `SELECT c.seq, d.* FROM sync_changes c JOIN documents d ON d.id = c.entity_id
       WHERE c.entity = 'document' AND c.seq > ? AND (d.class = 'static' OR d.barcode IS NOT NULL) AND ${notRestricted('d.customer_id')} ${customerId ? 'AND d.customer_id = ?' : ''}
       ORDER BY c.seq LIMIT ?`,
      customerId ? [since, customerId, limit] : [since, limit],
    );
  },

  /** Same, by last change time (for a first nightly run that only knows a date). */
  keyPointsUpdatedSince(q: Queryable, since: string, limit: number, customerId?: string) {
    return q.all<DocumentRow & { seq: number }>(
      `SELECT c.seq, d.* FROM documents d JOIN sync_changes c ON c.entity = 'document' AND c.entity_id = d.id
       WHERE d.updated_at >= ? AND (d.class = 'static' OR d.barcode IS NOT NULL) AND ${notRestricted('d.customer_id')} ${customerId ? 'AND d.customer_id = ?' : ''}
       ORDER BY c.seq LIMIT ?`,
      customerId ? [since, customerId, limit] : [since, limit],
    );
  },
};
