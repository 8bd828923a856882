import { customersRepository } from '../db/customers.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { holdsRepository, type HoldRow } from '../db/holds.repository.js';
import { searchRepository } from '../db/search.repository.js';
import { usersRepository } from '../db/users.repository.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { parseQuery, QueryError, type SearchQuery } from '../domain/search-query.js';
import { Conflict, Invalid, NotFound, UnknownReference } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';

export type HoldQuery = { customerId?: string; type?: string; from?: string; to?: string; text?: string };
export type PlaceHoldInput = { reason: string } & (
  | { customerId: string; documentIds?: undefined; query?: undefined }
  | { documentIds: string[]; customerId?: undefined; query?: undefined }
  | { query: HoldQuery; customerId?: undefined; documentIds?: undefined }
);

/** A text hold freezes at most this many matches; a query that wide is a mistake more often than a plan. */
const MAX_TEXT_MATCHES = 10_000;

export type HoldView = {
  id: string;
  kind: HoldRow['kind'];
  reason: string | null;
  scope: string;
  customerId: string | null;
  query: { type: string | null; from: string | null; to: string | null; text: string | null } | null;
  placedBy: { id: string; name: string };
  placedAt: string;
  releasedBy: { id: string; name: string } | null;
  releasedAt: string | null;
  releaseReason: string | null;
  documents: number;
};

/** Legal holds, placed and released by compliance with a reason. A held document cannot be disposed of. */
export class HoldsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async place(input: PlaceHoldInput, actor: Principal): Promise<HoldView & { documentIds: string[] }> {
    const given = [input.customerId !== undefined, input.documentIds !== undefined, input.query !== undefined].filter(Boolean).length;
    if (given !== 1) throw new Invalid('Give exactly one of customerId, documentIds or query', undefined, 'invalid_hold_scope');
    let match: SearchQuery | null = null;
    if (input.query?.text) {
      try {
        match = parseQuery(input.query.text);
      } catch (err) {
        if (err instanceof QueryError) throw new Invalid(err.message, { text: input.query.text }, 'invalid_query');
        throw err;
      }
    }
    if (input.query && !input.query.customerId && !input.query.type && !input.query.from && !input.query.to && !input.query.text) {
      throw new Invalid('A query hold needs at least one criterion (customerId, type, from, to or text)', undefined, 'invalid_hold_scope');
    }
    return this.db.tx(async (q) => {
      const id = newId('hold', this.clock.now().getTime());
      const base = { id, reason: input.reason, placed_by: actor.id, placed_at: nowIso(this.clock), document_id: null, q_type: null, q_from: null, q_to: null, q_text: null };
      let documentIds: string[] = [];
      if (input.customerId !== undefined) {
        await this.requireCustomer(q, input.customerId);
        await holdsRepository.insert(q, { ...base, kind: 'customer', customer_id: input.customerId });
      } else if (input.documentIds !== undefined) {
        const ids = [...new Set(input.documentIds)];
        if (ids.length === 0) throw new Invalid('documentIds is empty', undefined, 'invalid_hold_scope');
        const unknown: string[] = [];
        for (const docId of ids) if (!(await documentsRepository.get(q, docId))) unknown.push(docId);
        if (unknown.length) throw new UnknownReference(`${unknown.length} document(s) do not exist or were destroyed`, { documentIds: unknown }, 'unknown_documents');
        await holdsRepository.insert(q, { ...base, kind: 'documents', customer_id: null }, ids);
        documentIds = ids;
      } else {
        const f = input.query!;
        if (f.customerId) await this.requireCustomer(q, f.customerId);
        if (match) {
          const rows = await searchRepository.matchText(q, match, { customerId: f.customerId ?? null, type: f.type ?? null, from: f.from ?? null, to: f.to ?? null }, MAX_TEXT_MATCHES + 1);
          if (rows.length > MAX_TEXT_MATCHES) throw new Invalid(`The text matches more than ${MAX_TEXT_MATCHES} documents; narrow it down`, undefined, 'hold_too_wide');
          documentIds = rows.map((r) => r.id);
        }
        await holdsRepository.insert(
          q,
          { ...base, kind: 'query', customer_id: f.customerId ?? null, q_type: f.type ?? null, q_from: f.from ?? null, q_to: f.to ?? null, q_text: f.text ?? null },
          documentIds,
        );
      }
      const row = (await holdsRepository.get(q, id))!;
      const covered = await holdsRepository.coveredDocuments(q, id, MAX_TEXT_MATCHES);
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'hold.place',
        subjectType: 'legal_hold',
        subjectId: id,
        customerId: row.customer_id,
        details: { kind: row.kind, reason: row.reason, scope: describe(row), documents: covered.length, documentIds: covered.slice(0, 200).map((d) => d.id) },
      });
      return { ...(await toHoldView(q, row, true)), documentIds: covered.map((d) => d.id) };
    });
  }

  async release(id: string, reason: string, actor: Principal): Promise<HoldView> {
    return this.db.tx(async (q) => {
      const row = await holdsRepository.get(q, id);
      if (!row) throw new NotFound('legal hold', id);
      const covered = await holdsRepository.countCovered(q, id);
      if (!(await holdsRepository.release(q, id, actor.id, nowIso(this.clock), reason))) {
        throw new Conflict(`The hold was already released on ${row.released_at}`, { releasedAt: row.released_at, releasedBy: row.released_by }, 'hold_released');
      }
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'hold.release',
        subjectType: 'legal_hold',
        subjectId: id,
        customerId: row.customer_id,
        details: { kind: row.kind, reason, placedReason: row.reason, scope: describe(row), documents: covered },
      });
      return toHoldView(q, (await holdsRepository.get(q, id))!, true);
    });
  }

  async get(id: string) {
    const row = await holdsRepository.get(this.db, id);
    if (!row) throw new NotFound('legal hold', id);
    const docs = await holdsRepository.coveredDocuments(this.db, id, 1000);
    return { ...(await toHoldView(this.db, row, true)), covered: docs.map((d) => ({ id: d.id, customerId: d.customer_id, type: d.type, barcode: d.barcode, title: d.title })) };
  }

  async list(f: { active?: boolean; customerId?: string; limit: number }) {
    const rows = await holdsRepository.list(this.db, f);
    const holds = [];
    for (const r of rows) holds.push(await toHoldView(this.db, r, true));
    return { holds };
  }

  private async requireCustomer(q: Queryable, id: string) {
    if (!(await customersRepository.get(q, id))) throw new UnknownReference(`customer ${JSON.stringify(id)} does not exist`, { customerId: id }, 'unknown_customer');
  }

}

async function toHoldView(q: Queryable, r: HoldRow, withReason: boolean): Promise<HoldView> {
  const person = async (id: string) => ({ id, name: (await usersRepository.get(q, id))?.name ?? id });
  return {
    id: r.id,
    kind: r.kind,
    // Why a hold exists (a dispute, an investigation) is itself confidential outside compliance.
    reason: withReason ? r.reason : null,
    scope: describe(r),
    customerId: r.customer_id,
    query: r.kind === 'query' ? { type: r.q_type, from: r.q_from, to: r.q_to, text: r.q_text } : null,
    placedBy: await person(r.placed_by),
    placedAt: r.placed_at,
    releasedBy: r.released_by ? await person(r.released_by) : null,
    releasedAt: r.released_at,
    releaseReason: withReason ? r.release_reason : null,
    documents: r.released_at ? 0 : await holdsRepository.countCovered(q, r.id),
  };
}

/** The active holds concerning a customer, for the dossier; the reason only for compliance and admin. */
export async function holdsForDossier(q: Queryable, customerId: string, viewer: Principal): Promise<HoldView[]> {
  const mayReadReason = viewer.roles.some((r) => r === 'compliance' || r === 'admin');
  const out = [];
  for (const r of await holdsRepository.activeForCustomer(q, customerId)) out.push(await toHoldView(q, r, mayReadReason));
  return out;
}

/** A hold's scope in words, e.g. "invoices of customer KL-000123 dated 2019-01-01 to 2019-12-31". */
export function describe(r: HoldRow): string {
  switch (r.kind) {
    case 'customer':
      return r.customer_id ? `every document of customer ${r.customer_id}` : `document ${r.document_id}`;
    case 'document':
      return `document ${r.document_id}`;
    case 'documents':
      return 'a set of documents';
    case 'query': {
      const parts = [r.q_type ? `${r.q_type} documents` : 'documents'];
      if (r.customer_id) parts.push(`of customer ${r.customer_id}`);
      if (r.q_from || r.q_to) parts.push(`dated ${r.q_from ?? '…'} to ${r.q_to ?? '…'}`);
      if (r.q_text) parts.push(`matching "${r.q_text}" (as matched when placed)`);
      return parts.join(' ');
    }
  }
}
