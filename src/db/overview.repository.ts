import { notRestricted, restrictionRepository } from './restriction.repository.js';
import type { Queryable } from './database.js';
import { HOLD, type DocumentRow } from './documents.repository.js';
import { REVIEW_CUSTOMER } from './mailings.repository.js';

/** The overview's filters, already validated. */
export type OverviewFilter = {
  type?: string;
  customerId?: string;
  class?: 'static' | 'dynamic';
  status?: string;
  from?: string;
  to?: string;
  q?: string;
  /** Leave out documents of restricted customers (everyone but compliance and admin). */
  hideRestricted: boolean;
};

export type ThumbnailRow = { document_id: string; sha256: string; mime: string; width: number; height: number; created_at: string };
export type SavedViewRow = { id: string; user_id: string; name: string; filter: string; created_at: string };

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export const overviewRepository = {
  /** Documents newest first, `limit` after the (created_at, id) cursor. */
  list(q: Queryable, f: OverviewFilter, limit: number, after?: { createdAt: string; id: string }) {
    const where = ['d.destroyed_at IS NULL'];
    const params: unknown[] = [];
    if (f.type) (where.push('d.type = ?'), params.push(f.type));
    if (f.customerId) (where.push('d.customer_id = ?'), params.push(f.customerId));
    if (f.class) (where.push('d.class = ?'), params.push(f.class));
    if (f.status) (where.push('d.status = ?'), params.push(f.status));
    // A document's date, or when it was registered if it has none.
    if (f.from) (where.push('COALESCE(d.doc_date, substr(d.created_at, 1, 10)) >= ?'), params.push(f.from));
    if (f.to) (where.push('COALESCE(d.doc_date, substr(d.created_at, 1, 10)) <= ?'), params.push(f.to));
    if (f.q) {
      const like = `%${likeEscape(f.q)}%`;
      // lower() on both sides: SQLite's LIKE ignores (ASCII) case, PostgreSQL's does not.
      where.push("(lower(d.title) LIKE lower(?) ESCAPE '\\' OR lower(d.barcode) LIKE lower(?) ESCAPE '\\' OR lower(d.original_name) LIKE lower(?) ESCAPE '\\' OR d.id = ?)");
      params.push(like, like, like, f.q);
    }
    if (f.hideRestricted) where.push(notRestricted('d.customer_id'));
    if (after) (where.push('(d.created_at < ? OR (d.created_at = ? AND d.id < ?))'), params.push(after.createdAt, after.createdAt, after.id));
    return q.all<DocumentRow>(`SELECT d.*, ${HOLD} FROM documents d WHERE ${where.join(' AND ')} ORDER BY d.created_at DESC, d.id DESC LIMIT ?`, [...params, limit]);
  },

  thumbnail(q: Queryable, documentId: string) {
    return q.get<ThumbnailRow>('SELECT * FROM document_thumbnails WHERE document_id = ?', [documentId]);
  },
  putThumbnail(q: Queryable, t: ThumbnailRow) {
    return q.run(
      'INSERT INTO document_thumbnails (document_id, sha256, mime, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (document_id) DO NOTHING',
      [t.document_id, t.sha256, t.mime, t.width, t.height, t.created_at],
    );
  },
  deleteThumbnail(q: Queryable, documentId: string) {
    return q.run('DELETE FROM document_thumbnails WHERE document_id = ?', [documentId]);
  },
  /** Whether another row still uses the same image (identical first pages share one object). */
  thumbnailShared(q: Queryable, sha256: string, exceptDocumentId: string) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM document_thumbnails WHERE sha256 = ? AND document_id <> ?', [sha256, exceptDocumentId]).then((r) => (r?.n ?? 0) > 0);
  },
  /** Live digital documents without a thumbnail yet, for the backfill. */
  withoutThumbnail(q: Queryable, limit: number) {
    return q.all<{ id: string }>(
      'SELECT d.id FROM documents d WHERE d.destroyed_at IS NULL AND d.original_sha256 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM document_thumbnails t WHERE t.document_id = d.id) ORDER BY d.created_at LIMIT ?',
      [limit],
    );
  },

  views(q: Queryable, userId: string) {
    return q.all<SavedViewRow>('SELECT * FROM saved_views WHERE user_id = ? ORDER BY name', [userId]);
  },
  /** Saving a view under a name the user already has replaces its filter. */
  saveView(q: Queryable, v: SavedViewRow) {
    return q.run('INSERT INTO saved_views (id, user_id, name, filter, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, name) DO UPDATE SET filter = excluded.filter', [
      v.id,
      v.user_id,
      v.name,
      v.filter,
      v.created_at,
    ]);
  },
  view(q: Queryable, userId: string, name: string) {
    return q.get<SavedViewRow>('SELECT * FROM saved_views WHERE user_id = ? AND name = ?', [userId, name]);
  },
  deleteView(q: Queryable, userId: string, id: string) {
    return q.run('DELETE FROM saved_views WHERE user_id = ? AND id = ?', [userId, id]);
  },

  /** Names for ids, for screens that show people and things instead of ids (the audit log). */
  async names(q: Queryable, ids: NameIds, hideRestricted = false) {
    const inList = (n: number) => Array.from({ length: n }, () => '?').join(',');
    const users = ids.users.length ? await q.all<{ id: string; name: string }>(`SELECT id, name FROM users WHERE id IN (${inList(ids.users.length)})`, ids.users) : [];
    const customers = ids.customers.length ? await q.all<{ id: string; name: string }>(`SELECT id, name FROM customers WHERE id IN (${inList(ids.customers.length)})`, ids.customers) : [];
    const documents = ids.documents.length
      ? await q.all<{ id: string; title: string; type: string; customer_id: string | null; file_name: string | null }>(
          `SELECT id, title, type, customer_id, original_name AS file_name FROM documents WHERE id IN (${inList(ids.documents.length)})${hideRestricted ? ` AND ${notRestricted('customer_id')}` : ''}`,
          ids.documents,
        )
      : [];
    // A mailing's name is the campaign's, no customer's: shown whatever the reader's restriction.
    const mailingIds = ids.mailings ?? [];
    const mailings = mailingIds.length ? await q.all<{ id: string; name: string }>(`SELECT id, name FROM mailings WHERE id IN (${inList(mailingIds.length)})`, mailingIds) : [];
    // Places, coupon batches, disposals and webhooks belong to no customer either.
    const some = async <T>(list: string[] | undefined, sql: (inIds: string) => string): Promise<T[]> => (list?.length ? q.all<T>(sql(inList(list.length)), list) : []);
    const locations = await some<{ id: string; name: string; kind: string }>(ids.locations, (l) => `SELECT id, name, kind FROM locations WHERE id IN (${l})`);
    // A coupon review item by its pages in its stack (a held single scan by its code); one about a
    // restricted customer only for those who see them. Its stack is named with the batches asked for.
    const reviews = (
      await some<{ id: string; batch_id: string | null; pages: string; code: string | null; created_at: string }>(
        ids.reviews,
        (l) => `SELECT id, batch_id, pages, code, created_at FROM coupon_reviews WHERE id IN (${l})${hideRestricted ? ` AND ${notRestricted(REVIEW_CUSTOMER)}` : ''}`,
      )
    ).map((r) => ({ id: r.id, batchId: r.batch_id, pages: JSON.parse(r.pages) as number[], code: r.code, createdAt: r.created_at }));
    // A batch is known by the files it was uploaded as (their names, upload order) and when.
    const batchIds = [...new Set([...(ids.batches ?? []), ...reviews.flatMap((r) => (r.batchId ? [r.batchId] : []))])];
    const batchRows = await some<{ id: string; created_at: string; name: string | null }>(
      batchIds,
      (l) => `SELECT b.id, b.created_at, f.name FROM coupon_batches b LEFT JOIN coupon_batch_files f ON f.batch_id = b.id WHERE b.id IN (${l}) ORDER BY b.id, f.file_no`,
    );
    const byBatch = new Map<string, { id: string; createdAt: string; files: string[] }>();
    for (const r of batchRows) {
      const b = byBatch.get(r.id) ?? byBatch.set(r.id, { id: r.id, createdAt: r.created_at, files: [] }).get(r.id)!;
      if (r.name) b.files.push(r.name);
    }
    const batches = [...byBatch.values()];
    const disposals = (
      await some<{ id: string; kind: string; status: string; proposed_at: string }>(ids.disposals, (l) => `SELECT id, kind, status, proposed_at FROM disposals WHERE id IN (${l})`)
    ).map((d) => ({ id: d.id, kind: d.kind, status: d.status, proposedAt: d.proposed_at }));
    // A webhook by its description, else by where it posts to (the origin only: a path or query may hold a key).
    const webhooks = (await some<{ id: string; description: string | null; url: string }>(ids.webhooks, (l) => `SELECT id, description, url FROM webhooks WHERE id IN (${l})`)).map((w) => ({
      id: w.id,
      name: w.description?.trim() || originOf(w.url),
    }));
    // A legal hold by what it covers (the retention screen's words) and its reason; only for
    // those who see restricted customers (compliance, admin): a hold's reason can name a dispute.
    const holds = hideRestricted
      ? []
      : (
          await some<{ id: string; kind: string; reason: string; customer_id: string | null; q_type: string | null; q_from: string | null; q_to: string | null; q_text: string | null }>(
            ids.holds,
            (l) => `SELECT id, kind, reason, customer_id, q_type, q_from, q_to, q_text FROM legal_holds WHERE id IN (${l})`,
          )
        ).map((x) => ({ id: x.id, kind: x.kind, reason: x.reason, customerId: x.customer_id, query: x.kind === 'query' ? { type: x.q_type, from: x.q_from, to: x.q_to, text: x.q_text } : null }));
    // An e-mail message by its subject and sender (gone from a destroyed one's tombstone); one
    // about a restricted customer (matched to it, or from its address) only for those who see them.
    const hiddenMail = hideRestricted ? await restrictionRepository.restrictedMailMessagesAmong(q, ids.messages ?? []) : new Set<string>();
    const messages = (
      await some<{ id: string; subject: string | null; sender: string | null; received_at: string | null; created_at: string; destroyed_at: string | null }>(
        ids.messages,
        (l) => `SELECT id, subject, sender, received_at, created_at, destroyed_at FROM mail_messages WHERE id IN (${l})`,
      )
    )
      .filter((m) => !hiddenMail.has(m.id))
      .map((m) => ({ id: m.id, subject: m.subject, sender: m.sender, receivedAt: m.received_at ?? m.created_at, destroyed: m.destroyed_at !== null }));
    return { users, customers, documents, mailings, locations, batches, disposals, webhooks, holds, messages, reviews };
  },
};

/** The ids /api/names is asked for, by kind (each at most 200). */
export type NameIds = {
  users: string[];
  customers: string[];
  documents: string[];
  mailings?: string[];
  locations?: string[];
  batches?: string[];
  disposals?: string[];
  webhooks?: string[];
  holds?: string[];
  messages?: string[];
  reviews?: string[];
};

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '—'; // stored URLs were checked when the webhook was made
  }
}
