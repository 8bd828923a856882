/**
 * Pure rules of the disposal workflow and of erasure requests: what a document's medium is, when
 * its retention has really ended, what execution does with an item, and what an erasure request
 * may remove. No I/O here; the services apply these.
 */
import rules from '../../classifiers/retention.json' with { type: 'json' };
import type { Disposition } from './document.js';
import type { IsoDate } from './dates.js';

export type Medium = 'digital' | 'paper';
export type DisposalKind = 'retention' | 'erasure';
export type DisposalStatus = 'proposed' | 'approved' | 'executing' | 'completed' | 'cancelled';
export type ItemStatus = 'pending' | 'destroyed' | 'transferred' | 'extended' | 'skipped';

/** A document with a barcode has a paper original that someone must shred; otherwise only digital copies exist. */
export function mediumOf(d: { barcode: string | null }): Medium {
  return d.barcode ? 'paper' : 'digital';
}

/** The later of the schedule's end and any extension a review decided; null while the trigger is open. */
export function effectiveEnd(endsOn: IsoDate | null, extendedUntil: IsoDate | null | undefined): IsoDate | null {
  if (!endsOn) return null;
  return extendedUntil && extendedUntil > endsOn ? extendedUntil : endsOn;
}

/** Retention has ended on `today` when the end date is today or earlier. */
export function retentionEnded(end: IsoDate | null, today: IsoDate): boolean {
  return end !== null && end <= today;
}

export type ItemState = {
  medium: Medium;
  disposition: Disposition;
  decision: 'destroy' | 'extend' | null;
  status: ItemStatus;
};

/**
 * What execution does with a pending item on `today`:
 *   skip-held       a legal hold covers it now: it stays, whatever was approved
 *   wait            (retention disposals) its retention has not ended yet: it stays pending
 *   extend          a review decided to keep it longer
 *   destroy         digital only: every copy goes now
 *   await-shred     paper: on the pick list until its barcode is scanned as shredded
 *   await-transfer  handed over to an archive service, confirmed per item
 *
 *     executionStep({ medium: 'digital', disposition: 'destroy', decision: null, status: 'pending' },
 *       { kind: 'retention', held: false, ended: true }) // 'destroy'
 */
export function executionStep(
  item: ItemState,
  ctx: { kind: DisposalKind; held: boolean; ended: boolean },
): 'none' | 'skip-held' | 'wait' | 'extend' | 'destroy' | 'await-shred' | 'await-transfer' {
  if (item.status !== 'pending') return 'none';
  if (ctx.held) return 'skip-held';
  if (item.disposition === 'review' && item.decision === 'extend') return 'extend';
  if (ctx.kind === 'retention' && !ctx.ended) return 'wait';
  if (item.disposition === 'transfer') return 'await-transfer';
  return item.medium === 'paper' ? 'await-shred' : 'destroy';
}

/** A disposal is complete when no item is pending any more. */
export function isComplete(statuses: ItemStatus[]): boolean {
  return statuses.every((s) => s !== 'pending');
}

// ------------------------------------------------------------------------------------ erasure

type ScheduleWithErasure = { legalBasis: string; period: string; erasureException?: string };
const schedules = rules.schedules as Record<string, ScheduleWithErasure>;

/** Why an erasure request cannot remove documents of this type before their period ends, or null. */
export function erasureException(type: string): string | null {
  return (schedules[type] ?? schedules['*'])?.erasureException ?? null;
}

export type ErasureInput = {
  type: string;
  endsOn: IsoDate | null;
  trigger: string;
  period: string;
  holds: { id: string; reason: string }[];
};

/** Why, as a code with parameters, so an interface can say it in the reader's language. */
export type ErasureReason =
  | { code: 'legal_hold'; holds: string[] }
  | { code: 'retention_runs'; period: string; until: IsoDate }
  | { code: 'retention_not_started'; period: string; trigger: string }
  | { code: 'retention_ended'; endedOn: IsoDate | null }
  | { code: 'no_obligation' };

export type ErasureVerdict =
  | { action: 'remove'; why: string; reason: ErasureReason }
  | { action: 'keep'; until: IsoDate | null; basis: string; why: string; reason: ErasureReason };

/**
 * GDPR art. 17: a document is removed unless an exception of art. 17(3) applies. A legal hold is
 * one (legal claims, (e)); a schedule with an `erasureException` is one until its period ends.
 *
 *     erasureVerdict({ type: 'invoice', endsOn: '2033-09-30', trigger: 'document-date', period: 'P7Y', holds: [] }, '2026-11-23')
 *     // { action: 'keep', until: '2033-09-30', basis: 'GDPR art. 17(3)(b): …', why: … }
 */
export function erasureVerdict(d: ErasureInput, today: IsoDate): ErasureVerdict {
  if (d.holds.length) {
    return {
      action: 'keep',
      until: null,
      basis: 'GDPR art. 17(3)(e): establishment, exercise or defence of legal claims (legal hold)',
      why: `under legal hold ${d.holds.map((h) => h.id).join(', ')}; kept until the hold is released`,
      reason: { code: 'legal_hold', holds: d.holds.map((h) => h.id) },
    };
  }
  const exception = erasureException(d.type);
  if (exception && !retentionEnded(d.endsOn, today)) {
    return {
      action: 'keep',
      until: d.endsOn,
      basis: exception,
      why: d.endsOn
        ? `the retention period (${d.period}) runs until ${d.endsOn}; after that it is destroyed`
        : `the retention period (${d.period}) starts at the ${d.trigger.replace(/-/g, ' ')} event, which has not happened yet; it is kept that long after it`,
      reason: d.endsOn ? { code: 'retention_runs', period: d.period, until: d.endsOn } : { code: 'retention_not_started', period: d.period, trigger: d.trigger },
    };
  }
  return {
    action: 'remove',
    why: exception ? `its retention period ended on ${d.endsOn}` : 'no legal obligation to keep it applies',
    reason: exception ? { code: 'retention_ended', endedOn: d.endsOn } : { code: 'no_obligation' },
  };
}
