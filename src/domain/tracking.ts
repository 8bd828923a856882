/**
 * Pure rules of the file tracker: which place may hold which, what a scan means, how pick lists
 * sort, and how an inventory count is judged. No I/O here; the services feed these facts.
 */
import { BARCODE_PROBLEM_TEXT, parseBarcode, type ParsedBarcode } from './barcode.js';
import { addPeriod, toIsoDate, type IsoDate } from './dates.js';

export const LOCATION_KINDS = ['site', 'room', 'cabinet', 'rack', 'shelf', 'box', 'folder'] as const;
export type LocationKind = (typeof LOCATION_KINDS)[number];

/** Boxes and folders hold documents and move as a whole; they carry a C code, fixed places an L code. */
export const CONTAINER_KINDS: readonly LocationKind[] = ['box', 'folder'];

export function isContainerKind(kind: string): boolean {
  return (CONTAINER_KINDS as readonly string[]).includes(kind);
}

/** Outer to inner: a place only goes into one of a lower rank (a folder may go in a box, not the reverse). */
const RANK: Record<LocationKind, number> = { site: 0, room: 1, cabinet: 2, rack: 2, shelf: 3, box: 4, folder: 5 };

/**
 * Why a place of kind `child` may not go into `parent` (null: at the top level), or null when it may.
 *
 *     placementProblem('box', 'shelf')   // null
 *     placementProblem('shelf', 'box')   // 'a shelf cannot go into a box'
 */
export function placementProblem(child: LocationKind, parent: LocationKind | null): string | null {
  if (child === 'site') return parent === null ? null : 'a site is a top-level place and cannot go into another place';
  if (parent === null) return `a ${child} must be inside another place (only a site stands alone)`;
  return RANK[parent] < RANK[child] ? null : `a ${child} cannot go into a ${parent}`;
}

/** What a movement is, from where the item was to where it goes. */
export type MovementKind = 'file' | 'move' | 'check-out' | 'check-in' | 'transfer' | 'correction';

export function movementKind(from: { person: boolean; place: boolean }, toPerson: boolean): MovementKind {
  if (toPerson) return from.person ? 'transfer' : 'check-out';
  if (from.person) return 'check-in';
  return from.place ? 'move' : 'file';
}

/** Default loan period for a check-out. */
export const DEFAULT_LOAN_DAYS = 14;

/** The due date `days` after today (negative: in the past, for demo data and tests). */
export function defaultDueBackOn(today: IsoDate, days = DEFAULT_LOAN_DAYS): IsoDate {
  return days >= 0 ? addPeriod(today, `P${days}D`) : toIsoDate(new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000));
}

/** A check-out is overdue the day after its due date. */
export function daysOverdue(dueBackOn: IsoDate, today: IsoDate): number {
  return Math.max(0, Math.round((Date.parse(today) - Date.parse(dueBackOn)) / 86_400_000));
}

/** Where a scan sends an item: a person (`user:<id>`) or a place code. */
export type ScanTarget =
  | { type: 'person'; userId: string }
  | { type: 'place'; code: ParsedBarcode }
  | { type: 'invalid'; code: string; message: string };

/**
 * Reads the `to` of a scan. Keyboard wedges add white space and sometimes lower case; both are fine.
 *
 *     parseScanTarget('user:usr_01') // { type: 'person', userId: 'usr_01' }
 *     parseScanTarget(' l0000000017 ') // { type: 'place', code: { kind: 'location', ... } }
 */
export function parseScanTarget(raw: string): ScanTarget {
  const person = /^\s*user:\s*([A-Za-z0-9][A-Za-z0-9_-]{0,63})\s*$/i.exec(raw);
  if (person) return { type: 'person', userId: person[1]! };
  if (/^\s*user:/i.test(raw)) return { type: 'invalid', code: 'invalid_target', message: '`to` names a person as user:<id> with a user id' };
  const parsed = parseBarcode(raw);
  if (!parsed.ok) return { type: 'invalid', code: 'invalid_barcode', message: `\`to\` ${JSON.stringify(raw.trim())}: ${BARCODE_PROBLEM_TEXT[parsed.problem]}` };
  const kind = parsed.value.kind;
  if (kind === 'document') {
    return { type: 'invalid', code: 'cannot_move_into_document', message: `${parsed.value.code} is a document: paper goes into a box, folder or place, not into another document` };
  }
  if (kind !== 'location' && kind !== 'container') {
    return { type: 'invalid', code: 'not_a_place', message: `${parsed.value.code} is a ${kind} code, not a place: scan a location, a box or folder, or send user:<id>` };
  }
  return { type: 'place', code: parsed.value };
}

const collator = new Intl.Collator('nl', { numeric: true, sensitivity: 'base' });

/**
 * Orders location paths for walking the archive: segment by segment, numbers as numbers
 * ("Plank 2" before "Plank 10"), and items without a place (null) last.
 */
export function comparePaths(a: readonly string[] | null, b: readonly string[] | null): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = collator.compare(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------
// Inventory audits
//
// An audit counts everything under one location (a shelf, a box): its documents and containers,
// however deep. Scans arrive as a stream, as from a hand scanner: a place or box code inside the
// audited area says "the next items are here"; any other code is an item found there.
//
//   missing     recorded in the area, not scanned. The paper is not where the records say.
//   misplaced   recorded in the area and found in it, but in a different place than recorded
//               (the order of box A found in box B on the same shelf). Nothing is lost; the
//               paper or the record is in the wrong spot and a correction is local.
//   unexpected  found in the area but recorded outside it: elsewhere in the archive, with a
//               person (returned without a check-in), or never filed. It belongs elsewhere; the
//               report says where the records put it.
//   unknown     a valid code that is no tracked item (never registered, a blank code not yet used).
//
// An item counts as present when it is found in its recorded place or in a place that holds it
// (found on the shelf when recorded in a box on that shelf: the count was coarser, not wrong).
// ---------------------------------------------------------------------------------------------

export type AuditItem = {
  barcode: string;
  type: 'document' | 'container';
  /** Recorded place (location id), or null when with a person or never filed. */
  recordedAt: string | null;
  recordedWithPerson: boolean;
};

export type AuditScan = { barcode: string; foundIn: string };

export type AuditJudgement = {
  present: { barcode: string; foundIn: string }[];
  missing: { barcode: string; recordedAt: string | null }[];
  misplaced: { barcode: string; recordedAt: string; foundIn: string }[];
  unexpected: { barcode: string; recordedAt: string | null; foundIn: string; reason: 'elsewhere' | 'with_person' | 'never_filed' }[];
  unknown: { barcode: string; foundIn: string }[];
};

/**
 * Judges an audit. `expected` are the items recorded in the area; `known` the records of scanned
 * items that are not expected (absent from it: unknown); `holds(a, b)` is true when place a is
 * place b or contains it.
 */
export function judgeAudit(input: {
  expected: AuditItem[];
  scans: AuditScan[];
  known: Map<string, AuditItem>;
  holds: (outer: string, inner: string) => boolean;
}): AuditJudgement {
  const out: AuditJudgement = { present: [], missing: [], misplaced: [], unexpected: [], unknown: [] };
  const scanned = new Map(input.scans.map((s) => [s.barcode, s]));
  for (const item of input.expected) {
    const scan = scanned.get(item.barcode);
    if (!scan) out.missing.push({ barcode: item.barcode, recordedAt: item.recordedAt });
    else if (item.recordedAt && input.holds(scan.foundIn, item.recordedAt)) out.present.push({ barcode: item.barcode, foundIn: scan.foundIn });
    else out.misplaced.push({ barcode: item.barcode, recordedAt: item.recordedAt!, foundIn: scan.foundIn });
    scanned.delete(item.barcode);
  }
  for (const scan of scanned.values()) {
    const item = input.known.get(scan.barcode);
    if (!item) out.unknown.push(scan);
    else {
      const reason = item.recordedWithPerson ? 'with_person' : item.recordedAt ? 'elsewhere' : 'never_filed';
      out.unexpected.push({ barcode: scan.barcode, recordedAt: item.recordedAt, foundIn: scan.foundIn, reason });
    }
  }
  return out;
}
