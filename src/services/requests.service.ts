import { customersRepository } from '../db/customers.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { locationsRepository } from '../db/locations.repository.js';
import { requestsRepository, type PaperRequestRow } from '../db/requests.repository.js';
import { usersRepository } from '../db/users.repository.js';
import type { LocationRef } from '../domain/document.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { comparePaths } from '../domain/tracking.js';
import { Conflict, Forbidden, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { locateDocument } from './documents.service.js';
import { seesRestricted } from '../domain/restriction.js';

export type PaperRequestView = {
  id: string;
  documentId: string;
  barcode: string | null;
  title: string;
  customerId: string | null;
  requestedBy: { id: string; name: string };
  note: string | null;
  neededBy: string | null;
  status: PaperRequestRow['status'];
  createdAt: string;
  closedAt: string | null;
  closedBy: string | null;
  location: LocationRef | null;
};

export type PickListItem = {
  requestId: string;
  documentId: string;
  barcode: string;
  title: string;
  type: string;
  customerId: string | null;
  customerName: string | null;
  requestedBy: { id: string; name: string };
  requestedAt: string;
  neededBy: string | null;
  note: string | null;
  location: LocationRef | null;
  /** On a shelf or in a box in the archive (not with a person, not unfiled): it can be picked now. */
  available: boolean;
};

export type PickList = { generatedAt: string; count: number; items: PickListItem[] };

/** Only mailroom, compliance and admin see everyone's requests; a CRM user sees their own. */
function seesAll(p: Principal): boolean {
  return p.roles.some((r) => r === 'mailroom' || r === 'compliance' || r === 'admin');
}

/** CRM users ask for paper; the mailroom picks it by location and fulfils a request by checking the paper out. */
export class RequestsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Asks for a paper document. The same user asking again for the same paper gets the open request back. */
  async request(documentId: string, input: { note?: string; neededBy?: string }, actor: Principal): Promise<{ request: PaperRequestView; created: boolean }> {
    return this.db.tx(async (q) => {
      const doc = await documentsRepository.get(q, documentId);
      if (!doc) throw new NotFound('document', documentId);
      if (!doc.barcode) throw new Conflict('This document has no paper original in the archive to fetch', { documentId }, 'not_paper');
      const existing = await requestsRepository.openFor(q, doc.id, actor.id);
      if (existing) return { request: await this.view(q, existing), created: false };
      const id = newId('req', this.clock.now().getTime());
      await requestsRepository.insert(q, { id, document_id: doc.id, requested_by: actor.id, note: input.note ?? null, needed_by: input.neededBy ?? null, created_at: nowIso(this.clock) });
      await this.audit.record(q, { actorId: actor.id, action: 'request.create', subjectType: 'document', subjectId: doc.id, customerId: doc.customer_id, details: { requestId: id, barcode: doc.barcode } });
      return { request: await this.view(q, (await requestsRepository.get(q, id))!), created: true };
    });
  }

  async list(f: { status?: PaperRequestRow['status']; limit: number }, actor: Principal): Promise<{ requests: PaperRequestView[] }> {
    const rows = await requestsRepository.list(this.db, { ...f, requestedBy: seesAll(actor) ? undefined : actor.id, hideRestricted: !seesRestricted(actor) });
    const requests = [];
    for (const r of rows) requests.push(await this.view(this.db, r));
    return { requests };
  }

  async cancel(id: string, actor: Principal): Promise<PaperRequestView> {
    return this.db.tx(async (q) => {
      const row = await requestsRepository.get(q, id);
      if (!row) throw new NotFound('request', id);
      if (row.requested_by !== actor.id && !seesAll(actor)) throw new Forbidden('Only the requester or the mailroom can cancel a request');
      if (!(await requestsRepository.close(q, id, { status: 'cancelled', at: nowIso(this.clock), by: actor.id, movementSeq: null }))) {
        throw new Conflict(`The request is already ${row.status}`, { status: row.status }, 'request_closed');
      }
      const doc = await documentsRepository.get(q, row.document_id);
      await this.audit.record(q, { actorId: actor.id, action: 'request.cancel', subjectType: 'document', subjectId: row.document_id, customerId: doc?.customer_id ?? null, details: { requestId: id } });
      return this.view(q, (await requestsRepository.get(q, id))!);
    });
  }

  /**
   * Open requests in the order a person walks the archive: by location path (numbers as numbers),
   * then what is with someone else, then what was never filed.
   */
  async pickList(): Promise<PickList> {
    const items: (PickListItem & { segments: string[] | null })[] = [];
    // GDPR art. 18: a restricted customer's paper is not fetched for anyone (requests made before stay open, unlisted).
    for (const r of await requestsRepository.open(this.db, true)) {
      const doc = await documentsRepository.get(this.db, r.document_id);
      if (!doc || !doc.barcode) continue;
      const chain = doc.location_id ? await locationsRepository.ancestry(this.db, doc.location_id) : [];
      const available = !doc.holder_user_id && chain.length > 0 && !chain[0]!.holder_user_id;
      const customer = doc.customer_id ? await customersRepository.get(this.db, doc.customer_id) : undefined;
      items.push({
        requestId: r.id,
        documentId: doc.id,
        barcode: doc.barcode,
        title: doc.title,
        type: doc.type,
        customerId: doc.customer_id,
        customerName: customer?.name ?? null,
        requestedBy: await this.person(this.db, r.requested_by),
        requestedAt: r.created_at,
        neededBy: r.needed_by,
        note: r.note,
        location: await locateDocument(this.db, doc),
        available,
        segments: available ? chain.map((l) => l.name) : null,
      });
    }
    const rank = (i: PickListItem) => (i.available ? 0 : i.location ? 1 : 2);
    items.sort((a, b) => rank(a) - rank(b) || comparePaths(a.segments, b.segments) || (a.location?.path ?? '').localeCompare(b.location?.path ?? '') || a.requestedAt.localeCompare(b.requestedAt));
    return { generatedAt: nowIso(this.clock), count: items.length, items: items.map(({ segments: _, ...i }) => i) };
  }

  private async person(q: Queryable, id: string) {
    return { id, name: (await usersRepository.get(q, id))?.name ?? id };
  }

  private async view(q: Queryable, r: PaperRequestRow): Promise<PaperRequestView> {
    const doc = await documentsRepository.get(q, r.document_id);
    return {
      id: r.id,
      documentId: r.document_id,
      barcode: doc?.barcode ?? null,
      title: doc?.title ?? '',
      customerId: doc?.customer_id ?? null,
      requestedBy: await this.person(q, r.requested_by),
      note: r.note,
      neededBy: r.needed_by,
      status: r.status,
      createdAt: r.created_at,
      closedAt: r.closed_at,
      closedBy: r.closed_by,
      location: doc ? await locateDocument(q, doc) : null,
    };
  }
}
