import type { Queryable } from './database.js';
import { notRestricted } from './restriction.repository.js';

export type PaperRequestRow = {
  id: string;
  document_id: string;
  requested_by: string;
  note: string | null;
  needed_by: string | null;
  status: 'open' | 'fulfilled' | 'cancelled';
  created_at: string;
  closed_at: string | null;
  closed_by: string | null;
  movement_seq: number | null;
};

/** Requests for paper from the archive. */
export const requestsRepository = {
  insert(q: Queryable, r: Pick<PaperRequestRow, 'id' | 'document_id' | 'requested_by' | 'note' | 'needed_by' | 'created_at'>) {
    return q.run(
      `INSERT INTO paper_requests (id, document_id, requested_by, note, needed_by, status, created_at) VALUES (?, ?, ?, ?, ?, 'open', ?)`,
      [r.id, r.document_id, r.requested_by, r.note, r.needed_by, r.created_at],
    );
  },

  get(q: Queryable, id: string) {
    return q.get<PaperRequestRow>('SELECT * FROM paper_requests WHERE id = ?', [id]);
  },

  openFor(q: Queryable, documentId: string, userId: string) {
    return q.get<PaperRequestRow>("SELECT * FROM paper_requests WHERE document_id = ? AND requested_by = ? AND status = 'open'", [documentId, userId]);
  },

  /** Open requests by a user for documents anywhere under a box (a box handed over fulfils them). */
  openUnder(q: Queryable, rootId: string, userId: string) {
    return q.all<PaperRequestRow>(
      `WITH RECURSIVE sub(id, depth) AS (
         SELECT id, 0 FROM locations WHERE id = ?
         UNION ALL SELECT l.id, sub.depth + 1 FROM locations l JOIN sub ON l.parent_id = sub.id WHERE sub.depth < 32
       )
       SELECT r.* FROM paper_requests r JOIN documents d ON d.id = r.document_id JOIN sub ON d.location_id = sub.id
       WHERE r.requested_by = ? AND r.status = 'open'`,
      [rootId, userId],
    );
  },

  list(q: Queryable, f: { status?: PaperRequestRow['status']; requestedBy?: string; limit: number; hideRestricted?: boolean }) {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.hideRestricted) where.push(`document_id NOT IN (SELECT id FROM documents WHERE NOT ${notRestricted('customer_id')})`);
    if (f.status) (where.push('status = ?'), args.push(f.status));
    if (f.requestedBy) (where.push('requested_by = ?'), args.push(f.requestedBy));
    return q.all<PaperRequestRow>(
      `SELECT * FROM paper_requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...args, f.limit],
    );
  },

  /** Open requests, oldest first, for the pick list. */
  open(q: Queryable, hideRestricted = false) {
    const hide = hideRestricted ? ` AND document_id NOT IN (SELECT id FROM documents WHERE NOT ${notRestricted('customer_id')})` : '';
    return q.all<PaperRequestRow>(`SELECT * FROM paper_requests WHERE status = 'open'${hide} ORDER BY created_at, id`);
  },

  /** Closes an open request; returns false when it was no longer open (someone else closed it first). */
  async close(q: Queryable, id: string, c: { status: 'fulfilled' | 'cancelled'; at: string; by: string; movementSeq: number | null }): Promise<boolean> {
    const r = await q.run(
      "UPDATE paper_requests SET status = ?, closed_at = ?, closed_by = ?, movement_seq = ? WHERE id = ? AND status = 'open'",
      [c.status, c.at, c.by, c.movementSeq, id],
    );
    return r.changes === 1;
  },
};
