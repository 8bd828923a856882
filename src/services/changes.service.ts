import { changesRepository, type ChangeRow } from '../db/changes.repository.js';
import type { Database } from '../db/database.js';
import type { DocumentRow } from '../db/documents.repository.js';
import type { KeyPoints } from '../domain/document.js';
import type { Principal } from '../domain/roles.js';
import { Invalid } from '../errors.js';
import { toCustomerView } from './customers.service.js';
import { placeRef } from './documents.service.js';
import { keyPointsOf } from './events.service.js';

export type Change = {
  seq: string;
  entity: ChangeRow['entity'];
  id: string;
  op: 'upsert' | 'delete';
  customerId: string | null;
  /** The entity as it is now (absent for deletions). */
  data?: unknown;
  /** A merged customer: its dossier lives on under this number. */
  mergedInto?: string;
};

export type ChangesPage = { cursor: string; hasMore: boolean; changes: Change[] };

const FINAL = new Set(['ready', 'needs_review', 'failed']);

/**
 * Parses a feed cursor: empty means "from the beginning".
 *
 *     parseCursor('') // 0;  parseCursor('1234') // 1234
 */
export function parseCursor(raw: string | undefined, name = 'since'): number {
  if (raw === undefined || raw === '' || raw === '0') return 0;
  if (!/^\d{1,15}$/.test(raw)) throw new Invalid(`${name} must be a cursor returned by an earlier call (digits), or empty for a full sync`, { [name]: raw }, 'invalid_cursor');
  return Number(raw);
}

/** One CSV cell: quoted when it has to be, and never read as a formula by a spreadsheet. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n') + '\r\n';
}

export const KEY_POINT_COLUMNS = ['seq', 'documentId', 'customerId', 'type', 'class', 'barcode', 'title', 'number', 'date', 'amount', 'currency', 'endDate', 'location', 'deleted', 'updatedAt'] as const;

/**
 * The delta feed for mobile and offline CRM clients, and the key-points export for the CRM.
 * The feed carries customers, status variables and document METADATA; only DYNAMIC documents carry
 * content (their text, and a link to the file). Static documents, paper or not, travel as key
 * points and location without any content, so paper never inflates a mobile sync.
 */
export class ChangesService {
  constructor(private readonly db: Database) {}

  /**
   * Changes after `since`, oldest first, at most `limit` (scanned) per page. Pass the returned
   * cursor as the next `since`; `hasMore` says whether to call again now. An entity appears once
   * per page with its current state; deletions (destroyed documents, merged customers, removed
   * status variables, dossiers the user may no longer see) are tombstones, left out of a full sync.
   * `includeStaticContent` is the naive "scan and sync everything" behaviour, for comparison only.
   */
  async feed(opts: { since: number; limit: number; principal?: Principal; includeStaticContent?: boolean }): Promise<ChangesPage> {
    const rows = await changesRepository.after(this.db, opts.since, opts.limit);
    const full = opts.since === 0;
    const ids = (e: ChangeRow['entity']) => rows.filter((r) => r.entity === e).map((r) => r.entity_id);

    const customers = new Map((await changesRepository.customers(this.db, ids('customer'))).map((c) => [c.id, c]));
    const docs = new Map((await changesRepository.documents(this.db, ids('document'))).map((d) => [d.id, d]));
    const statusKeys = ids('status').map((k) => {
      const i = k.indexOf(':');
      return { customerId: k.slice(0, i), name: k.slice(i + 1) };
    });
    const statuses = new Map((await changesRepository.statuses(this.db, statusKeys)).map((s) => [`${s.customer_id}:${s.name}`, s]));
    const withContent = [...docs.values()].filter((d) => this.carriesContent(d, opts.includeStaticContent)).map((d) => d.id);
    const texts = new Map<string, string[]>();
    for (const p of await changesRepository.pages(this.db, withContent)) {
      const list = texts.get(p.document_id) ?? [];
      list.push(p.text);
      texts.set(p.document_id, list);
    }
    const owners = [...new Set(rows.map((r) => r.customer_id).filter((c): c is string => Boolean(c)))];
    const hidden = await changesRepository.restricted(this.db, owners);

    const changes: Change[] = [];
    const tombstone = (r: ChangeRow, extra: Partial<Change> = {}) => {
      if (!full) changes.push({ seq: String(r.seq), entity: r.entity, id: r.entity_id, op: 'delete', customerId: r.customer_id, ...extra });
    };
    for (const r of rows) {
      const seq = String(r.seq);
      if (r.entity === 'customer') {
        const c = customers.get(r.entity_id);
        if (!c) tombstone(r);
        else if (c.merged_into) tombstone(r, { mergedInto: c.merged_into });
        else if (hidden.has(c.id)) tombstone(r);
        else changes.push({ seq, entity: 'customer', id: c.id, op: 'upsert', customerId: c.id, data: toCustomerView(c) });
      } else if (r.entity === 'document') {
        const d = docs.get(r.entity_id);
        if (!d || d.destroyed_at || !d.customer_id || hidden.has(d.customer_id)) tombstone(r);
        else changes.push({ seq, entity: 'document', id: d.id, op: 'upsert', customerId: d.customer_id, data: await this.documentData(d, texts.get(d.id) ?? null, opts.includeStaticContent) });
      } else {
        const s = statuses.get(r.entity_id);
        if (!s || hidden.has(s.customer_id)) tombstone(r);
        else
          changes.push({
            seq,
            entity: 'status',
            id: r.entity_id,
            op: 'upsert',
            customerId: s.customer_id,
            data: { name: s.name, value: s.value, detail: JSON.parse(s.detail) as unknown, setAt: s.set_at, source: s.source },
          });
      }
    }
    const cursor = rows.length ? rows[rows.length - 1].seq : opts.since;
    return { cursor: String(cursor), hasMore: rows.length === opts.limit, changes };
  }

  private carriesContent(d: DocumentRow, includeStatic = false): boolean {
    return Boolean(d.original_sha256) && FINAL.has(d.status) && (d.class === 'dynamic' || includeStatic) && !d.destroyed_at;
  }

  private async documentData(d: DocumentRow, pages: string[] | null, includeStatic?: boolean) {
    const fields = JSON.parse(d.fields) as KeyPoints;
    const content = this.carriesContent(d, includeStatic)
      ? {
          text: (pages ?? []).join('\n\f'),
          pageCount: d.page_count,
          file: { url: `/api/documents/${d.id}/file`, mime: d.original_mime, size: d.original_size, sha256: d.original_sha256 },
        }
      : null;
    return {
      id: d.id,
      customerId: d.customer_id,
      type: d.type,
      class: d.class,
      status: d.status,
      title: d.title,
      docDate: d.doc_date,
      barcode: d.barcode,
      keyPoints: keyPointsOf(fields, d.doc_date),
      fields,
      // Where the paper is: what a mobile user needs to ask for it.
      location: await placeRef(this.db, { locationId: d.location_id, userId: d.holder_user_id, dueBackOn: d.due_back_on }),
      retention: { endsOn: d.retention_ends_on, disposition: d.retention_disposition },
      updatedAt: d.updated_at,
      content,
    };
  }

  /** The latest cursor: a client that only wants changes from now on starts here. */
  async head(): Promise<string> {
    return String(await changesRepository.head(this.db));
  }

  /**
   * Key points of static documents and registered paper changed after `since` (a cursor, or an
   * ISO date for a first run), for the CRM: number, date, amount, end date, where the paper is.
   */
  async keyPoints(opts: { since?: string; limit: number; customerId?: string }) {
    const byDate = opts.since !== undefined && /^\d{4}-\d{2}-\d{2}/.test(opts.since);
    // Read the head first: anything committed while the export runs comes again next time rather than never.
    const head = await changesRepository.head(this.db);
    const rows = byDate
      ? await changesRepository.keyPointsUpdatedSince(this.db, opts.since!, opts.limit, opts.customerId)
      : await changesRepository.keyPointsAfter(this.db, parseCursor(opts.since), opts.limit, opts.customerId);
    const items = [];
    for (const d of rows) {
      const kp = keyPointsOf(JSON.parse(d.fields) as KeyPoints, d.doc_date);
      items.push({
        seq: String(d.seq),
        documentId: d.id,
        customerId: d.customer_id,
        type: d.type,
        class: d.class,
        barcode: d.barcode,
        title: d.title,
        ...kp,
        location: d.destroyed_at ? null : ((await placeRef(this.db, { locationId: d.location_id, userId: d.holder_user_id }))?.path ?? null),
        deleted: Boolean(d.destroyed_at),
        updatedAt: d.updated_at,
      });
    }
    const hasMore = rows.length === opts.limit;
    const last = rows.length ? rows[rows.length - 1].seq : 0;
    // Without more to come, everything up to the head read before the query has been seen.
    const cursor = hasMore ? last : Math.max(head, last, byDate ? 0 : parseCursor(opts.since));
    return { cursor: String(cursor), hasMore, items };
  }

  static keyPointsCsv(items: Awaited<ReturnType<ChangesService['keyPoints']>>['items']): string {
    return toCsv([...KEY_POINT_COLUMNS], items.map((i) => KEY_POINT_COLUMNS.map((c) => i[c])));
  }
}
