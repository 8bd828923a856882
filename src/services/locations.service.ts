import type { Database, Queryable } from '../db/database.js';
import { locationsRepository, type LocationRow } from '../db/locations.repository.js';
import { sequencesRepository } from '../db/sequences.repository.js';
import { trackingRepository } from '../db/tracking.repository.js';
import { usersRepository } from '../db/users.repository.js';
import { makeBarcode } from '../domain/barcode.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { isContainerKind, placementProblem, type LocationKind } from '../domain/tracking.js';
import { Invalid, NotFound, UnknownReference } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { placeRef } from './documents.service.js';
import { parseItemCode, type TrackingService } from './tracking.service.js';
import { restrictionRepository } from '../db/restriction.repository.js';

export type LocationView = {
  id: string;
  barcode: string;
  kind: string;
  name: string;
  /** A box or folder: it holds documents and moves as a whole. */
  container: boolean;
  parentBarcode: string | null;
  path: string;
  holder: { id: string; name: string } | null;
  dueBackOn: string | null;
};

export type LocationNode = Omit<LocationView, 'path'> & { documents: number; children: LocationNode[] };

/** The archive's places: site → room → cabinet/rack → shelf → box/folder. */
export class LocationsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly tracking: TrackingService,
  ) {}

  async create(input: { name: string; kind: LocationKind; parent?: string }, actor: Principal): Promise<LocationView> {
    const parentCode = input.parent === undefined ? undefined : this.placeCode(input.parent, 'parent');
    return this.db.tx(async (q) => {
      const parent = parentCode ? await locationsRepository.byBarcode(q, parentCode) : undefined;
      if (parentCode && !parent) throw new UnknownReference(`parent ${parentCode} is not a known place`, { parent: parentCode }, 'unknown_parent');
      const problem = placementProblem(input.kind, (parent?.kind as LocationKind | undefined) ?? null);
      if (problem) throw new Invalid(problem, { kind: input.kind, parentKind: parent?.kind ?? null }, 'placement_not_allowed');
      const container = isContainerKind(input.kind);
      const n = await sequencesRepository.next(q, container ? 'barcode.container' : 'barcode.location');
      const row: LocationRow = {
        id: newId('loc', this.clock.now().getTime()),
        barcode: makeBarcode(container ? 'container' : 'location', n),
        kind: input.kind,
        name: input.name,
        parent_id: parent?.id ?? null,
        created_at: nowIso(this.clock),
      };
      await locationsRepository.insert(q, row);
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'location.create',
        subjectType: 'location',
        subjectId: row.id,
        details: { barcode: row.barcode, kind: row.kind, name: row.name, parent: parentCode ?? null },
      });
      return this.view(q, row);
    });
  }

  /** Every place as a tree; boxes that are checked out appear as roots with their holder. */
  async tree(): Promise<{ locations: LocationNode[] }> {
    const rows = await locationsRepository.list(this.db);
    const counts = new Map((await trackingRepository.documentCounts(this.db)).map((c) => [c.location_id, c.n]));
    const holders = new Map<string, string>();
    for (const r of rows) if (r.holder_user_id && !holders.has(r.holder_user_id)) holders.set(r.holder_user_id, (await usersRepository.get(this.db, r.holder_user_id))?.name ?? r.holder_user_id);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const nodes = new Map<string, LocationNode>();
    for (const r of rows) {
      nodes.set(r.id, {
        id: r.id,
        barcode: r.barcode,
        kind: r.kind,
        name: r.name,
        container: isContainerKind(r.kind),
        parentBarcode: r.parent_id ? (byId.get(r.parent_id)?.barcode ?? null) : null,
        holder: r.holder_user_id ? { id: r.holder_user_id, name: holders.get(r.holder_user_id)! } : null,
        dueBackOn: r.due_back_on ?? null,
        documents: counts.get(r.id) ?? 0,
        children: [],
      });
    }
    const roots: LocationNode[] = [];
    for (const r of rows) (r.parent_id ? nodes.get(r.parent_id)?.children : roots)?.push(nodes.get(r.id)!);
    const sort = (list: LocationNode[]) => {
      list.sort((a, b) => a.name.localeCompare(b.name, 'nl', { numeric: true }));
      for (const n of list) sort(n.children);
    };
    sort(roots);
    return { locations: roots };
  }

  /** One place with its path, what is directly inside it, and how many documents are under it. */
  /**
   * `hideRestricted`: paper of a restricted customer stays listed (storing it is allowed, GDPR
   * art. 18) but without its title and customer, marked `restricted: true`.
   */
  async get(raw: string, hideRestricted = false) {
    const row = await this.byCode(this.db, raw);
    const children = await trackingRepository.children(this.db, row.id);
    const docs = await trackingRepository.documentsAt(this.db, row.id);
    const hidden = hideRestricted ? await restrictionRepository.restrictedAmong(this.db, [...new Set(docs.flatMap((d) => (d.customer_id ? [d.customer_id] : [])))]) : new Set<string>();
    const isHidden = (d: { customer_id: string | null }) => d.customer_id !== null && hidden.has(d.customer_id);
    return {
      ...(await this.view(this.db, row)),
      children: children.map((c) => ({ id: c.id, barcode: c.barcode, kind: c.kind, name: c.name, container: isContainerKind(c.kind) })),
      documents: docs.map((d) =>
        isHidden(d)
          ? { id: d.id, barcode: d.barcode, title: '', type: d.type, customerId: null, docDate: null, restricted: true }
          : { id: d.id, barcode: d.barcode, title: d.title, type: d.type, customerId: d.customer_id, docDate: d.doc_date },
      ),
      documentsUnder: await trackingRepository.countDocumentsUnder(this.db, row.id),
    };
  }

  /** Renames a place and/or puts it under another parent (a recorded move: what is inside follows). */
  async update(raw: string, input: { name?: string; parent?: string; note?: string }, actor: Principal): Promise<LocationView> {
    const code = this.placeCode(raw, 'barcode');
    const parentCode = input.parent === undefined ? undefined : this.placeCode(input.parent, 'parent');
    return this.db.tx(async (q) => {
      let row = await locationsRepository.byBarcode(q, code);
      if (!row) throw new NotFound('place', code);
      if (input.name !== undefined && input.name !== row.name) {
        await trackingRepository.rename(q, row.id, input.name);
        await this.audit.record(q, { actorId: actor.id, action: 'location.rename', subjectType: 'location', subjectId: row.id, details: { barcode: code, from: row.name, to: input.name } });
      }
      if (parentCode !== undefined) {
        const parent = await locationsRepository.byBarcode(q, parentCode);
        if (!parent) throw new UnknownReference(`parent ${parentCode} is not a known place`, { parent: parentCode }, 'unknown_parent');
        row = (await locationsRepository.get(q, row.id))!;
        const type = isContainerKind(row.kind) ? 'container' : 'location';
        await this.tracking.move(q, { type, barcode: row.barcode, loc: row }, { type: 'place', loc: parent }, actor, { note: input.note });
      }
      return this.view(q, (await locationsRepository.get(q, row.id))!);
    });
  }

  async byCode(q: Queryable, raw: string): Promise<LocationRow> {
    const code = this.placeCode(raw, 'barcode');
    const row = await locationsRepository.byBarcode(q, code);
    if (!row) throw new NotFound('place', code);
    return row;
  }

  private placeCode(raw: string, field: string): string {
    const code = parseItemCode(raw, field);
    if (code.kind !== 'location' && code.kind !== 'container') {
      throw new Invalid(`${field} ${code.code} is a ${code.kind} code, not a place`, { [field]: code.code }, 'not_a_place');
    }
    return code.code;
  }

  async view(q: Queryable, r: LocationRow): Promise<LocationView> {
    const parent = r.parent_id ? await locationsRepository.get(q, r.parent_id) : undefined;
    const holder = r.holder_user_id ? await usersRepository.get(q, r.holder_user_id) : undefined;
    return {
      id: r.id,
      barcode: r.barcode,
      kind: r.kind,
      name: r.name,
      container: isContainerKind(r.kind),
      parentBarcode: parent?.barcode ?? null,
      path: (await placeRef(q, { locationId: r.id, userId: null }))?.path ?? r.name,
      holder: r.holder_user_id ? { id: r.holder_user_id, name: holder?.name ?? r.holder_user_id } : null,
      dueBackOn: r.due_back_on ?? null,
    };
  }
}
