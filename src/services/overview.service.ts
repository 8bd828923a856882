import type { Database } from '../db/database.js';
import { customersRepository } from '../db/customers.repository.js';
import { documentsRepository } from '../db/documents.repository.js';
import { overviewRepository, type NameIds, type OverviewFilter } from '../db/overview.repository.js';
import { searchRepository } from '../db/search.repository.js';
import type { Classification, DocumentClass, DocumentView, TraceStep } from '../domain/document.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { seesRestricted } from '../domain/restriction.js';
import { restrictionRepository } from '../db/restriction.repository.js';
import { AppError, Invalid, NotFound, Restricted, UnknownReference } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { decide } from './document-records.js';
import { toDocumentView } from './documents.service.js';
import { events } from './events.service.js';
import { UNCLASSIFIED } from './intake.service.js';
import type { ScopesService } from './scopes.service.js';

export type Correction = { type?: string; customerId?: string; title?: string; class?: DocumentClass };
export type ViewFilter = Record<string, string>;

type Cursor = { createdAt: string; id: string };
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');
function decodeCursor(s: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof createdAt === 'string' && typeof id === 'string') return { createdAt, id };
  } catch {
    /* below */
  }
  throw new Invalid('The cursor is not one this server gave out', { cursor: s }, 'invalid_cursor');
}

/**
 * The document overview: a filtered list newest first, corrections of type, title, customer and
 * class afterwards (one or many at once, each audited), saved views and names for ids.
 */
export class OverviewService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly scopes: ScopesService,
    private readonly clock: Clock,
  ) {}

  async list(f: Omit<OverviewFilter, 'hideRestricted'>, limit: number, cursor: string | undefined, actor: Principal): Promise<{ documents: (DocumentView & { customerName: string | null })[]; nextCursor: string | null }> {
    const rows = await overviewRepository.list(this.db, { ...f, hideRestricted: !seesRestricted(actor) }, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    const page = rows.slice(0, limit);
    // Whose documents they are, by name: the page's customers in one lookup.
    const names = await customersRepository.namesOf(this.db, page.flatMap((r) => (r.customer_id ? [r.customer_id] : [])));
    const documents: (DocumentView & { customerName: string | null })[] = [];
    for (const r of page) documents.push({ ...(await toDocumentView(this.db, r)), customerName: (r.customer_id && names.get(r.customer_id)) || null });
    const last = page[page.length - 1];
    // One event per page listed: who looked at which documents' metadata.
    await this.audit.recordNow({ actorId: actor.id, action: 'documents.list', subjectType: 'document', subjectId: null, customerId: f.customerId ?? null, details: { filter: f, count: page.length, documentIds: page.map((r) => r.id) } });
    return { documents, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null };
  }

  /** The document, or 404; the route's `reads` already applied the GDPR art. 18 restriction. */
  async readable(id: string) {
    const row = await documentsRepository.get(this.db, id);
    if (!row) throw new NotFound('document', id);
    return row;
  }

  /** Corrects a document afterwards: class and retention follow the new type and customer; every change is audited. */
  async correct(id: string, c: Correction, actor: Principal): Promise<DocumentView> {
    return this.db.tx(async (q) => {
      const row = await documentsRepository.get(q, id);
      if (!row) throw new UnknownReference(`document ${JSON.stringify(id)} does not exist`, { id }, 'unknown_document');
      if (row.status === 'queued' || row.status === 'processing') throw new AppError(409, 'not_ready', 'The document is still being processed', { status: row.status });
      const type = c.type ?? row.type;
      const customerId = c.customerId ?? row.customer_id;
      // A correction is processing (GDPR art. 18): not of, nor into, a restricted customer's dossier. Bulk reaches here per id.
      if (!seesRestricted(actor)) {
        for (const cid of [row.customer_id, customerId]) if (cid && (await restrictionRepository.customerRestricted(q, cid))) throw new Restricted();
      }
      if (type === UNCLASSIFIED) throw new Invalid('Choose a document type', undefined, 'type_required');
      if (customerId && customerId !== row.customer_id && !(await customersRepository.get(q, customerId))) {
        throw new UnknownReference(`customer ${JSON.stringify(customerId)} does not exist`, { customerId }, 'unknown_customer');
      }
      const changes: { field: string; from: unknown; to: unknown }[] = [];
      if (type !== row.type) changes.push({ field: 'type', from: row.type, to: type });
      if (customerId !== row.customer_id) changes.push({ field: 'customerId', from: row.customer_id, to: customerId });
      const title = c.title ?? row.title;
      if (title !== row.title) changes.push({ field: 'title', from: row.title, to: title });
      if (c.class && c.class !== row.class) changes.push({ field: 'class', from: row.class, to: c.class });
      if (!changes.length) return toDocumentView(q, row);
      const now = nowIso(this.clock);
      const previous = JSON.parse(row.classification) as Classification;
      const trace: TraceStep[] = [
        { rule: 'review', evidence: `confirmed by ${actor.name}, corrected ${changes.map((x) => x.field).join(', ')}`, result: type },
        ...previous.trace.filter((s) => s.rule.startsWith('detect') || s.rule.startsWith('match')),
      ];
      const decision = await decide(
        q,
        { documentId: id, registeredOn: row.created_at.slice(0, 10), customerId, type, docDate: row.doc_date, fields: JSON.parse(row.fields), extraTrace: trace, confidence: 1, by: 'user', forceClass: c.class ?? (row.barcode && !row.original_sha256 ? 'static' : undefined) },
        await this.scopes.active(q),
        this.clock,
      );
      await documentsRepository.update(q, id, { type, customer_id: customerId, title, ...decision }, now);
      if (title !== row.title) await searchRepository.index(q, id, title, (await documentsRepository.pages(q, id)).map((p) => p.text).join('\n'));
      if (decision.class !== row.class) {
        await events.emit(q, { type: 'document.class_changed', subjectType: 'document', subjectId: id, customerId, actorId: actor.id, at: now, data: { from: row.class, to: decision.class } });
      }
      await this.audit.record(q, { actorId: actor.id, action: 'document.correct', subjectType: 'document', subjectId: id, customerId, details: { changes } });
      return toDocumentView(q, (await documentsRepository.get(q, id))!);
    });
  }

  /** The same correction for many documents; each succeeds or fails on its own. */
  async bulk(ids: string[], set: Correction, actor: Principal): Promise<{ updated: number; failed: { id: string; error: { code: string; message: string } }[] }> {
    let updated = 0;
    const failed: { id: string; error: { code: string; message: string } }[] = [];
    for (const id of [...new Set(ids)]) {
      try {
        await this.correct(id, set, actor);
        updated++;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        failed.push({ id, error: { code: err.code, message: err.message } });
      }
    }
    return { updated, failed };
  }

  async views(actor: Principal) {
    return (await overviewRepository.views(this.db, actor.id)).map((v) => ({ id: v.id, name: v.name, filter: JSON.parse(v.filter) as ViewFilter, createdAt: v.created_at }));
  }

  async saveView(name: string, filter: ViewFilter, actor: Principal) {
    await overviewRepository.saveView(this.db, { id: newId('view'), user_id: actor.id, name, filter: JSON.stringify(filter), created_at: nowIso(this.clock) });
    const v = (await overviewRepository.view(this.db, actor.id, name))!;
    return { id: v.id, name: v.name, filter: JSON.parse(v.filter) as ViewFilter, createdAt: v.created_at };
  }

  /** Idempotent: a view that is not there (or not yours) is simply not there afterwards. */
  async deleteView(id: string, actor: Principal): Promise<void> {
    await overviewRepository.deleteView(this.db, actor.id, id);
  }

  /** `hideRestricted`: a restricted customer's document titles and file names are left out (GDPR art. 18). */
  async names(ids: NameIds, hideRestricted = false) {
    return overviewRepository.names(this.db, ids, hideRestricted);
  }
}
