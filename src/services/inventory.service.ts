import type { Database, Queryable } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { inventoryRepository, type InventoryAuditRow } from '../db/inventory.repository.js';
import { locationsRepository, type LocationRow } from '../db/locations.repository.js';
import { trackingRepository } from '../db/tracking.repository.js';
import { BARCODE_PROBLEM_TEXT, parseBarcode } from '../domain/barcode.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { isContainerKind, judgeAudit, type AuditItem } from '../domain/tracking.js';
import { AppError, Conflict, Invalid, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { placeRef } from './documents.service.js';
import type { LocationsService } from './locations.service.js';
import type { TrackingService } from './tracking.service.js';

export type ScanOutcome =
  | { barcode: string; status: 'recorded'; foundIn: string }
  | { barcode: string; status: 'place'; place: string }
  | { barcode: string; status: 'rejected'; code: string; message: string };

type ReportItem = {
  barcode: string;
  type: 'document' | 'container' | 'unknown';
  documentId: string | null;
  containerId: string | null;
  title: string | null;
  recordedAt: string | null;
  foundIn: string | null;
  reason?: string;
};

export type AuditReport = {
  counts: Record<'expected' | 'scanned' | 'present' | 'missing' | 'misplaced' | 'unexpected' | 'unknown' | 'corrected', number>;
  present: string[];
  missing: ReportItem[];
  misplaced: ReportItem[];
  unexpected: ReportItem[];
  unknown: ReportItem[];
  corrections: { barcode: string; to: string }[];
  notCorrected: { barcode: string; reason: string }[];
};

const REASON_TEXT = {
  elsewhere: 'recorded at another place in the archive',
  with_person: 'recorded as checked out to a person (returned without a check-in?)',
  never_filed: 'never filed anywhere',
} as const;

/**
 * Inventory audits: count a shelf or box by scanning, compare with the records (see
 * domain/tracking.ts for missing / misplaced / unexpected / unknown) and, when asked, correct the
 * records to what was found. Each step is one transaction with an audit event.
 */
export class InventoryService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly tracking: TrackingService,
    private readonly locations: LocationsService,
  ) {}

  async start(locationRaw: string, actor: Principal) {
    return this.db.tx(async (q) => {
      const loc = await this.locations.byCode(q, locationRaw);
      const open = await inventoryRepository.openAt(q, loc.id);
      if (open) throw new Conflict(`An audit of ${loc.barcode} is already open; scan into it or finish it`, { auditId: open.id }, 'audit_open');
      const id = newId('inv', this.clock.now().getTime());
      await inventoryRepository.insert(q, { id, location_id: loc.id, started_by: actor.id, started_at: nowIso(this.clock) });
      await this.audit.record(q, { actorId: actor.id, action: 'inventory.start', subjectType: 'location', subjectId: loc.id, details: { auditId: id, barcode: loc.barcode } });
      return this.view(q, (await inventoryRepository.get(q, id))!);
    });
  }

  /**
   * Records scanned codes in order, as a hand scanner sends them: a place or box code inside the
   * audited area says where the next items are; any other code is an item found there.
   */
  async scan(auditId: string, input: { barcodes: string[]; in?: string }, actor: Principal) {
    return this.db.tx(async (q) => {
      const audit = await this.openAudit(q, auditId);
      const area = new Map((await trackingRepository.subtree(q, audit.location_id)).map((l) => [l.id, l]));
      let place = audit.place_id ?? audit.location_id;
      let container = audit.container_id;
      const enter = (loc: LocationRow) => {
        if (loc.id === audit.location_id || !isContainerKind(loc.kind)) [place, container] = [loc.id, null];
        else container = loc.id;
      };
      if (input.in !== undefined) {
        const loc = await this.locations.byCode(q, input.in);
        if (!area.has(loc.id)) throw new Invalid(`${loc.barcode} is not inside the audited place`, { in: loc.barcode }, 'outside_audit');
        enter(loc);
      }
      const results: ScanOutcome[] = [];
      const now = nowIso(this.clock);
      for (const raw of input.barcodes) {
        const parsed = parseBarcode(raw);
        if (!parsed.ok) {
          results.push({ barcode: raw, status: 'rejected', code: 'invalid_barcode', message: BARCODE_PROBLEM_TEXT[parsed.problem] });
          continue;
        }
        const code = parsed.value;
        const record = async (foundIn: string) => {
          await inventoryRepository.upsertScan(q, { audit_id: audit.id, barcode: code.code, found_in_id: foundIn, scanned_by: actor.id, scanned_at: now });
          results.push({ barcode: code.code, status: 'recorded', foundIn: (await placeRef(q, { locationId: foundIn, userId: null }))?.path ?? foundIn });
        };
        if (code.kind === 'document') await record(container ?? place);
        else if (code.kind === 'location' || code.kind === 'container') {
          const loc = await locationsRepository.byBarcode(q, code.code);
          if (!loc) {
            results.push({ barcode: code.code, status: 'rejected', code: 'not_found', message: 'no place has this code' });
          } else if (loc.id === audit.location_id || !isContainerKind(loc.kind)) {
            if (!area.has(loc.id)) results.push({ barcode: code.code, status: 'rejected', code: 'outside_audit', message: 'this place is not inside the audited place' });
            else (enter(loc), results.push({ barcode: code.code, status: 'place', place: (await placeRef(q, { locationId: loc.id, userId: null }))!.path }));
          } else {
            // A box or folder is an item found where we are (in the box we are in, if it is inside
            // that box's subtree), and the place where the next items are.
            const inContainer = container !== null && (await locationsRepository.ancestry(q, loc.id)).some((l) => l.id === container && l.id !== loc.id);
            await record(inContainer ? container! : place);
            enter(loc);
          }
        } else results.push({ barcode: code.code, status: 'rejected', code: 'not_trackable', message: `a ${code.kind} code is not kept in the archive` });
      }
      await inventoryRepository.setContext(q, audit.id, place, container);
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'inventory.scan',
        subjectType: 'location',
        subjectId: audit.location_id,
        details: { auditId: audit.id, codes: input.barcodes.length, recorded: results.filter((r) => r.status === 'recorded').length },
      });
      return {
        auditId: audit.id,
        results,
        scanned: await inventoryRepository.countScans(q, audit.id),
        at: (await placeRef(q, { locationId: container ?? place, userId: null }))?.path ?? null,
      };
    });
  }

  /** Compares scans with records, stores the report, and with `correct` moves records to where items were found. */
  async finish(auditId: string, input: { correct: boolean }, actor: Principal) {
    return this.db.tx(async (q) => {
      const audit = await this.openAudit(q, auditId);
      const tree = await trackingRepository.subtree(q, audit.location_id);
      const expected: AuditItem[] = [];
      const info = new Map<string, Omit<ReportItem, 'recordedAt' | 'foundIn'>>();
      for (const l of tree) {
        if (l.depth === 0 || !isContainerKind(l.kind)) continue;
        expected.push({ barcode: l.barcode, type: 'container', recordedAt: l.parent_id, recordedWithPerson: false });
        info.set(l.barcode, { barcode: l.barcode, type: 'container', documentId: null, containerId: l.id, title: l.name });
      }
      for (const d of await trackingRepository.documentsUnder(q, audit.location_id)) {
        if (!d.barcode) continue;
        expected.push({ barcode: d.barcode, type: 'document', recordedAt: d.location_id, recordedWithPerson: false });
        info.set(d.barcode, { barcode: d.barcode, type: 'document', documentId: d.id, containerId: null, title: d.title });
      }
      const scans = (await inventoryRepository.scans(q, audit.id)).map((s) => ({ barcode: s.barcode, foundIn: s.found_in_id ?? audit.location_id }));
      const known = new Map<string, AuditItem>();
      for (const s of scans) {
        if (info.has(s.barcode)) continue;
        const parsed = parseBarcode(s.barcode);
        if (!parsed.ok) continue;
        if (parsed.value.kind === 'document') {
          const d = await documentsRepository.byBarcode(q, s.barcode);
          if (!d) continue;
          known.set(s.barcode, { barcode: s.barcode, type: 'document', recordedAt: d.location_id, recordedWithPerson: Boolean(d.holder_user_id) });
          info.set(s.barcode, { barcode: s.barcode, type: 'document', documentId: d.id, containerId: null, title: d.title });
        } else {
          const l = await locationsRepository.byBarcode(q, s.barcode);
          if (!l) continue;
          known.set(s.barcode, { barcode: s.barcode, type: 'container', recordedAt: l.parent_id, recordedWithPerson: Boolean(l.holder_user_id) });
          info.set(s.barcode, { barcode: s.barcode, type: 'container', documentId: null, containerId: l.id, title: l.name });
        }
      }
      const ancestors = new Map<string, Set<string>>();
      const holds = (outer: string, inner: string) => ancestors.get(inner)?.has(outer) ?? false;
      for (const id of new Set([...expected.map((e) => e.recordedAt), ...[...known.values()].map((k) => k.recordedAt)])) {
        if (id) ancestors.set(id, new Set((await locationsRepository.ancestry(q, id)).map((l) => l.id)));
      }
      const j = judgeAudit({ expected, scans, known, holds });

      const path = async (id: string | null) => (id ? ((await placeRef(q, { locationId: id, userId: null }))?.path ?? id) : null);
      const item = async (barcode: string, recordedAt: string | null, foundIn: string | null, reason?: string): Promise<ReportItem> => ({
        ...(info.get(barcode) ?? { barcode, type: 'unknown', documentId: null, containerId: null, title: null }),
        recordedAt: await path(recordedAt),
        foundIn: await path(foundIn),
        ...(reason ? { reason } : {}),
      });
      const report: AuditReport = {
        counts: { expected: expected.length, scanned: scans.length, present: j.present.length, missing: j.missing.length, misplaced: j.misplaced.length, unexpected: j.unexpected.length, unknown: j.unknown.length, corrected: 0 },
        present: j.present.map((p) => p.barcode),
        missing: await Promise.all(j.missing.map((m) => item(m.barcode, m.recordedAt, null))),
        misplaced: await Promise.all(j.misplaced.map((m) => item(m.barcode, m.recordedAt, m.foundIn))),
        unexpected: await Promise.all(j.unexpected.map((u) => item(u.barcode, u.recordedAt, u.foundIn, REASON_TEXT[u.reason]))),
        unknown: await Promise.all(j.unknown.map((u) => item(u.barcode, null, u.foundIn, 'not a registered document or box (a blank code never used?)'))),
        corrections: [],
        notCorrected: [],
      };
      if (input.correct) {
        // Boxes first: documents found in a box that is itself corrected then need no move of their own.
        const fixes = [...j.misplaced, ...j.unexpected].sort((a, b) => Number(info.get(a.barcode)?.type === 'document') - Number(info.get(b.barcode)?.type === 'document'));
        for (const f of fixes) {
          try {
            const parsed = parseBarcode(f.barcode);
            if (!parsed.ok) continue;
            const it = await this.tracking.resolveItem(q, parsed.value, 'move');
            const to = (await locationsRepository.get(q, f.foundIn))!;
            const r = await this.tracking.move(q, it, { type: 'place', loc: to }, actor, { kind: 'correction', auditId: audit.id, note: 'inventory audit correction' });
            if (r.moved) report.corrections.push({ barcode: f.barcode, to: r.location?.path ?? to.name });
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            report.notCorrected.push({ barcode: f.barcode, reason: err.message });
          }
        }
        report.counts.corrected = report.corrections.length;
      }
      if (!(await inventoryRepository.finish(q, audit.id, { by: actor.id, at: nowIso(this.clock), corrected: input.correct, report: JSON.stringify(report) }))) {
        throw new Conflict('The audit was finished meanwhile', { auditId }, 'audit_finished');
      }
      await this.audit.record(q, { actorId: actor.id, action: 'inventory.finish', subjectType: 'location', subjectId: audit.location_id, details: { auditId: audit.id, ...report.counts } });
      return this.view(q, (await inventoryRepository.get(q, audit.id))!);
    });
  }

  async get(auditId: string) {
    const row = await inventoryRepository.get(this.db, auditId);
    if (!row) throw new NotFound('inventory audit', auditId);
    return this.view(this.db, row);
  }

  private async openAudit(q: Queryable, id: string): Promise<InventoryAuditRow> {
    const audit = await inventoryRepository.get(q, id);
    if (!audit) throw new NotFound('inventory audit', id);
    if (audit.status !== 'open') throw new Conflict(`The audit was finished at ${audit.finished_at}`, { auditId: id }, 'audit_finished');
    return audit;
  }

  private async view(q: Queryable, a: InventoryAuditRow) {
    const loc = (await locationsRepository.get(q, a.location_id))!;
    return {
      id: a.id,
      status: a.status,
      location: { barcode: loc.barcode, name: loc.name, path: (await placeRef(q, { locationId: loc.id, userId: null }))?.path ?? loc.name },
      startedAt: a.started_at,
      startedBy: a.started_by,
      finishedAt: a.finished_at,
      finishedBy: a.finished_by,
      corrected: Boolean(a.corrected),
      scanned: await inventoryRepository.countScans(q, a.id),
      report: a.report ? (JSON.parse(a.report) as AuditReport) : null,
    };
  }
}
