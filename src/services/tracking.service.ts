import type { Database, Queryable } from '../db/database.js';
import { blankCodesRepository } from '../db/blank-codes.repository.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { locationsRepository, type LocationRow } from '../db/locations.repository.js';
import { requestsRepository } from '../db/requests.repository.js';
import { trackingRepository, type MovementRow } from '../db/tracking.repository.js';
import { usersRepository, type UserRow } from '../db/users.repository.js';
import { BARCODE_PROBLEM_TEXT, parseBarcode, type ParsedBarcode } from '../domain/barcode.js';
import type { LocationRef } from '../domain/document.js';
import type { Principal } from '../domain/roles.js';
import {
  daysOverdue,
  defaultDueBackOn,
  isContainerKind,
  movementKind,
  parseScanTarget,
  placementProblem,
  type LocationKind,
  type MovementKind,
} from '../domain/tracking.js';
import { AppError, Conflict, Invalid, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, today, type Clock } from './clock.js';
import { placeRef } from './documents.service.js';
import { events } from './events.service.js';
import { restrictionRepository } from '../db/restriction.repository.js';

/** Something that has a place: a paper document, a box or folder, or (moved by an admin edit) a fixed place. */
export type TrackedItem =
  | { type: 'document'; barcode: string; doc: DocumentRow }
  | { type: 'container' | 'location'; barcode: string; loc: LocationRow };

export type Destination = { type: 'person'; user: UserRow } | { type: 'place'; loc: LocationRow };

export type HistoryEntry = {
  seq: number;
  at: string;
  kind: MovementKind;
  actor: { id: string; name: string };
  from: { kind: 'location' | 'person'; id: string; path: string } | null;
  to: { kind: 'location' | 'person'; id: string; path: string } | null;
  dueBackOn: string | null;
  via: string | null;
  requestId: string | null;
  auditId: string | null;
  note: string | null;
};

export type MoveResult = {
  barcode: string;
  type: TrackedItem['type'];
  documentId: string | null;
  containerId: string | null;
  /** False when the item already was there: nothing was written. */
  moved: boolean;
  kind: MovementKind | null;
  location: LocationRef | null;
  movement: HistoryEntry | null;
  /** Documents and folders that moved along inside a box. */
  carried: number;
  fulfilledRequests: string[];
};

export type MoveOptions = { dueBackOn?: string; transfer?: boolean; note?: string; kind?: MovementKind; auditId?: string };

/** Parses a scanned item code or throws 400 with the scheme's reason. */
export function parseItemCode(raw: string, field = 'barcode'): ParsedBarcode {
  const parsed = parseBarcode(raw);
  if (!parsed.ok) {
    throw new Invalid(`${field} ${JSON.stringify(raw.trim())}: ${BARCODE_PROBLEM_TEXT[parsed.problem]}`, { [field]: raw, problem: parsed.problem }, 'invalid_barcode');
  }
  return parsed.value;
}

async function userNames(q: Queryable, ids: Iterable<string | null>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of new Set(ids)) {
    if (!id || out.has(id)) continue;
    out.set(id, (await usersRepository.get(q, id))?.name ?? id);
  }
  return out;
}

function toHistory(m: MovementRow, names: Map<string, string>): HistoryEntry {
  const end = (locationId: string | null, userId: string | null, path: string | null) =>
    userId ? { kind: 'person' as const, id: userId, path: path ?? '' } : locationId ? { kind: 'location' as const, id: locationId, path: path ?? '' } : null;
  return {
    seq: m.seq,
    at: m.at,
    kind: m.kind,
    actor: { id: m.actor_id, name: names.get(m.actor_id) ?? m.actor_id },
    from: end(m.from_location_id, m.from_user_id, m.from_path),
    to: end(m.to_location_id, m.to_user_id, m.to_path),
    dueBackOn: m.due_back_on,
    via: m.via_barcode,
    requestId: m.request_id,
    auditId: m.audit_id,
    note: m.note,
  };
}

/**
 * The file tracker: every movement of paper (and of the boxes it sits in) is a scan that is
 * checked, written and audited in one transaction, so two scans of the same item serialise:
 * the second sees what the first did.
 */
export class TrackingService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** `POST /api/tracking/scan`: the item goes to a place or a person. */
  async scan(input: { barcode: string; to: string } & MoveOptions, actor: Principal): Promise<MoveResult> {
    const code = parseItemCode(input.barcode);
    const target = parseScanTarget(input.to);
    if (target.type === 'invalid') throw new Invalid(target.message, { to: input.to }, target.code);
    if (input.dueBackOn !== undefined && target.type !== 'person') {
      throw new Invalid('dueBackOn goes with a check-out to a person (to: user:<id>)', { dueBackOn: input.dueBackOn }, 'due_date_without_checkout');
    }
    return this.db.tx(async (q) => {
      const item = await this.resolveItem(q, code, 'move');
      const dest: Destination =
        target.type === 'person' ? { type: 'person', user: await this.resolveUser(q, target.userId) } : { type: 'place', loc: await this.resolvePlace(q, target.code) };
      return this.move(q, item, dest, actor, input);
    });
  }

  /** What a code stands for. With purpose 'move', fixed places are refused: they do not move by scanning. */
  async resolveItem(q: Queryable, code: ParsedBarcode, purpose: 'move' | 'read'): Promise<TrackedItem> {
    if (code.kind === 'document') {
      const doc = await documentsRepository.byBarcode(q, code.code);
      if (doc) return { type: 'document', barcode: code.code, doc };
      const reserved = await blankCodesRepository.get(q, code.code);
      if (reserved && !reserved.document_id) {
        throw new AppError(404, 'unregistered_blank_code', `${code.code} is a pre-printed blank code that no paper was registered with yet: register the paper with it first (POST /api/documents/paper with barcode)`);
      }
      throw new NotFound('document with barcode', code.code);
    }
    if (code.kind === 'container' || code.kind === 'location') {
      const loc = await locationsRepository.byBarcode(q, code.code);
      if (!loc) throw new NotFound('place', code.code);
      const container = isContainerKind(loc.kind);
      if (!container && purpose === 'move') {
        throw new Invalid(
          `${code.code} is the ${loc.kind} "${loc.name}", a fixed place: only documents, boxes and folders move by scanning. Scan the item first, then this code as \`to\`.`,
          { barcode: code.code, kind: loc.kind },
          'not_movable',
        );
      }
      return { type: container ? 'container' : 'location', barcode: code.code, loc };
    }
    throw new Invalid(`${code.code} is a ${code.kind} code, not something the file tracker keeps`, { barcode: code.code, kind: code.kind }, 'not_trackable');
  }

  async resolvePlace(q: Queryable, code: ParsedBarcode): Promise<LocationRow> {
    const loc = await locationsRepository.byBarcode(q, code.code);
    if (!loc) throw new NotFound('place', code.code);
    return loc;
  }

  async resolveUser(q: Queryable, id: string): Promise<UserRow> {
    const user = await usersRepository.get(q, id);
    if (!user) throw new NotFound('user', id);
    if (user.disabled_at) throw new Conflict(`${user.name} is disabled and cannot hold paper`, { userId: id }, 'user_disabled');
    return user;
  }

  /**
   * Moves an item inside the caller's transaction: checks, the new place, a movement for the item
   * and one for everything carried inside it, fulfilled requests and one audit event.
   */
  async move(q: Queryable, item: TrackedItem, dest: Destination, actor: Principal, opts: MoveOptions = {}): Promise<MoveResult> {
    const now = nowIso(this.clock);
    const day = today(this.clock);
    const from = item.type === 'document'
      ? { locationId: item.doc.location_id, userId: item.doc.holder_user_id, dueBackOn: item.doc.due_back_on }
      : { locationId: item.loc.parent_id, userId: item.loc.holder_user_id ?? null, dueBackOn: item.loc.due_back_on ?? null };
    const ids = { documentId: item.type === 'document' ? item.doc.id : null, containerId: item.type === 'document' ? null : item.loc.id };
    const base = { barcode: item.barcode, type: item.type, ...ids };

    let to: { locationId: string | null; userId: string | null; dueBackOn: string | null };
    if (dest.type === 'place') {
      if (item.type !== 'document') await this.checkPlacement(q, item.loc, dest.loc);
      if (from.locationId === dest.loc.id && !from.userId) {
        return { ...base, moved: false, kind: null, location: await placeRef(q, from), movement: null, carried: 0, fulfilledRequests: [] };
      }
      to = { locationId: dest.loc.id, userId: null, dueBackOn: null };
    } else {
      if (item.type === 'location') throw new Invalid(`${item.barcode} is a fixed place; it cannot be checked out`, undefined, 'not_movable');
      if (from.userId) {
        const holder = await usersRepository.get(q, from.userId);
        const details = { holder: { id: from.userId, name: holder?.name ?? from.userId }, dueBackOn: from.dueBackOn };
        if (from.userId === dest.user.id) throw new Conflict(`${item.barcode} is already checked out to ${details.holder.name}`, details, 'already_checked_out');
        if (!opts.transfer) {
          throw new Conflict(`${item.barcode} is checked out to ${details.holder.name}; send transfer: true to hand it over to ${dest.user.name}`, details, 'already_checked_out');
        }
      }
      const due = opts.dueBackOn ?? defaultDueBackOn(day);
      if (due < day) throw new Invalid(`dueBackOn ${due} is in the past`, { dueBackOn: due, today: day }, 'invalid_due_date');
      to = { locationId: null, userId: dest.user.id, dueBackOn: due };
    }
    const kind = opts.kind ?? movementKind({ person: Boolean(from.userId), place: Boolean(from.locationId) }, dest.type === 'person');

    // Paths before the write, for the history of the item and of what it carries.
    const fromRef = await placeRef(q, from);
    const carried = item.type === 'document' ? [] : await this.contents(q, item.loc);
    const carriedFrom = item.type === 'document' ? '' : ((await placeRef(q, { locationId: item.loc.id, userId: null }))?.path ?? item.loc.name);

    if (item.type === 'document') {
      await documentsRepository.update(q, item.doc.id, { location_id: to.locationId, holder_user_id: to.userId, due_back_on: to.dueBackOn }, now);
    } else {
      await trackingRepository.setLocationPlace(q, item.loc.id, { parentId: to.locationId, holder: to.userId, dueBackOn: to.dueBackOn });
    }
    const toRef = await placeRef(q, to);

    // Requests this hand-over fulfils: the item itself, or paper inside the box, asked for by the new holder.
    const requests =
      dest.type !== 'person'
        ? []
        : item.type === 'document'
          ? [await requestsRepository.openFor(q, item.doc.id, dest.user.id)].filter((r) => r !== undefined)
          : await requestsRepository.openUnder(q, item.loc.id, dest.user.id);

    const movement = {
      at: now,
      actor_id: actor.id,
      kind,
      due_back_on: to.dueBackOn,
      audit_id: opts.auditId ?? null,
      note: opts.note ?? null,
    };
    const seq = await trackingRepository.insertMovement(q, {
      ...movement,
      item_type: item.type,
      barcode: item.barcode,
      document_id: ids.documentId,
      location_id: ids.containerId,
      from_location_id: from.locationId,
      from_user_id: from.userId,
      from_path: fromRef?.path ?? null,
      to_location_id: to.locationId,
      to_user_id: to.userId,
      to_path: toRef?.path ?? null,
      via_barcode: null,
      request_id: item.type === 'document' ? (requests[0]?.id ?? null) : null,
    });
    if (carried.length && item.type !== 'document') {
      const carriedTo = (await placeRef(q, { locationId: item.loc.id, userId: null }))?.path ?? item.loc.name;
      for (const c of carried) {
        const rel = c.relPath ? ` › ${c.relPath}` : '';
        await trackingRepository.insertMovement(q, {
          ...movement,
          item_type: c.type,
          barcode: c.barcode,
          document_id: c.type === 'document' ? c.id : null,
          location_id: c.type === 'container' ? c.id : null,
          from_location_id: c.locationId,
          from_user_id: null,
          from_path: carriedFrom + rel,
          to_location_id: c.locationId,
          to_user_id: null,
          to_path: carriedTo + rel,
          via_barcode: item.barcode,
          request_id: requests.find((r) => r.document_id === c.id)?.id ?? null,
        });
      }
    }
    const fulfilled: string[] = [];
    for (const r of requests) {
      if (await requestsRepository.close(q, r.id, { status: 'fulfilled', at: now, by: actor.id, movementSeq: seq })) fulfilled.push(r.id);
    }
    await this.audit.record(q, {
      actorId: actor.id,
      action: `tracking.${kind}`,
      subjectType: item.type,
      subjectId: ids.documentId ?? ids.containerId,
      customerId: item.type === 'document' ? item.doc.customer_id : null,
      details: { barcode: item.barcode, from: fromRef?.path ?? null, to: toRef?.path ?? null, dueBackOn: to.dueBackOn, carried: carried.length, fulfilled, auditId: opts.auditId },
    });
    await events.emit(q, { type: 'paper.moved', subjectType: item.type, subjectId: ids.documentId ?? ids.containerId, customerId: item.type === 'document' ? item.doc.customer_id : null, actorId: actor.id, at: now, data: { barcode: item.barcode, kind, from: fromRef?.path ?? null, to: toRef?.path ?? null, dueBackOn: to.dueBackOn, carriedDocuments: carried.filter((c) => c.type === 'document').map((c) => c.id) } });
    const names = await userNames(q, [actor.id, from.userId, to.userId]);
    const [row] = (await trackingRepository.history(q, item.barcode)).slice(-1);
    return {
      ...base,
      moved: true,
      kind,
      location: toRef,
      movement: row && row.seq === seq ? toHistory(row, names) : null,
      carried: carried.length,
      fulfilledRequests: fulfilled,
    };
  }

  /** A place may not go into itself, into something inside it, or into a kind of place that cannot hold it. */
  private async checkPlacement(q: Queryable, item: LocationRow, into: LocationRow): Promise<void> {
    if (into.id === item.id) throw new Invalid(`${item.barcode} cannot go into itself`, { barcode: item.barcode }, 'move_into_itself');
    const chain = await locationsRepository.ancestry(q, into.id);
    if (chain.some((l) => l.id === item.id)) {
      throw new Conflict(`${into.barcode} (${into.name}) is inside ${item.barcode} (${item.name}): it cannot hold what holds it`, { barcode: item.barcode, to: into.barcode }, 'move_into_descendant');
    }
    const problem = placementProblem(item.kind as LocationKind, into.kind as LocationKind);
    if (problem) throw new Invalid(`${item.barcode} → ${into.barcode}: ${problem}`, { kind: item.kind, into: into.kind }, 'placement_not_allowed');
  }

  /** Everything inside a place that has a barcode: documents and nested boxes/folders, with their path inside it. */
  private async contents(q: Queryable, loc: LocationRow) {
    const out: { type: 'document' | 'container'; id: string; barcode: string; locationId: string; relPath: string }[] = [];
    const tree = await trackingRepository.subtree(q, loc.id);
    const relPath = new Map(tree.map((l) => [l.id, l.rel_path]));
    for (const l of tree) {
      if (l.depth > 0 && isContainerKind(l.kind)) {
        out.push({ type: 'container', id: l.id, barcode: l.barcode, locationId: l.parent_id!, relPath: relPath.get(l.parent_id!) ?? '' });
      }
    }
    for (const d of await trackingRepository.documentsUnder(q, loc.id)) {
      if (d.barcode) out.push({ type: 'document', id: d.id, barcode: d.barcode, locationId: d.location_id!, relPath: d.rel_path });
    }
    return out;
  }

  /** `GET /api/tracking/items/:barcode`: where an item is and every movement it made. */
  async item(raw: string) {
    const code = parseItemCode(raw);
    const item = await this.resolveItem(this.db, code, 'read');
    const at =
      item.type === 'document'
        ? { locationId: item.doc.location_id, userId: item.doc.holder_user_id, dueBackOn: item.doc.due_back_on }
        : { locationId: item.loc.parent_id, userId: item.loc.holder_user_id ?? null, dueBackOn: item.loc.due_back_on ?? null };
    const rows = await trackingRepository.history(this.db, item.barcode);
    const names = await userNames(this.db, rows.flatMap((r) => [r.actor_id, r.from_user_id, r.to_user_id]));
    return {
      barcode: item.barcode,
      type: item.type,
      documentId: item.type === 'document' ? item.doc.id : null,
      containerId: item.type === 'document' ? null : item.loc.id,
      title: item.type === 'document' ? item.doc.title : item.loc.name,
      customerId: item.type === 'document' ? item.doc.customer_id : null,
      location: await placeRef(this.db, at),
      history: rows.map((r) => toHistory(r, names)),
    };
  }

  /** `GET /api/tracking/overdue`: check-outs past their due date on `asOf` (default today), oldest first. */
  /**
   * `hideRestricted`: a restricted customer's paper stays on the list (the holder must still bring
   * it back: storage is allowed, GDPR art. 18) but without title and customer, `restricted: true`.
   */
  async overdue(asOf?: string, hideRestricted = false) {
    const day = asOf ?? today(this.clock);
    const docs = await trackingRepository.overdueDocuments(this.db, day);
    const hidden = hideRestricted ? await restrictionRepository.restrictedAmong(this.db, [...new Set(docs.flatMap((d) => (d.customer_id ? [d.customer_id] : [])))]) : new Set<string>();
    const boxes = await trackingRepository.overdueContainers(this.db, day);
    const names = await userNames(this.db, [...docs.map((d) => d.holder_user_id), ...boxes.map((b) => b.holder_user_id ?? null)]);
    const entry = async (e: { barcode: string; type: 'document' | 'container'; documentId: string | null; containerId: string | null; title: string; customerId: string | null; holder: string; due: string }) => ({
      barcode: e.barcode,
      type: e.type,
      documentId: e.documentId,
      containerId: e.containerId,
      title: e.title,
      customerId: e.customerId,
      holder: { id: e.holder, name: names.get(e.holder) ?? e.holder },
      dueBackOn: e.due,
      daysOverdue: daysOverdue(e.due, day),
      checkedOutAt: (await trackingRepository.lastHandOver(this.db, e.barcode))?.at ?? null,
    });
    const items = [
      ...(await Promise.all(
        docs.map(async (d) => {
          const restricted = d.customer_id !== null && hidden.has(d.customer_id);
          const e = await entry({ barcode: d.barcode ?? d.id, type: 'document', documentId: d.id, containerId: null, title: restricted ? '' : d.title, customerId: restricted ? null : d.customer_id, holder: d.holder_user_id!, due: d.due_back_on! });
          return restricted ? { ...e, restricted: true } : e;
        }),
      )),
      ...(await Promise.all(
        boxes.map((b) => entry({ barcode: b.barcode, type: 'container', documentId: null, containerId: b.id, title: b.name, customerId: null, holder: b.holder_user_id!, due: b.due_back_on! })),
      )),
    ].sort((a, b) => a.dueBackOn.localeCompare(b.dueBackOn) || a.barcode.localeCompare(b.barcode));
    return { asOf: day, items };
  }
}
