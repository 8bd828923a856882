import type { Logger } from 'pino';
import rules from '../../classifiers/retention.json' with { type: 'json' };
import { customersRepository } from '../db/customers.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { retentionRepository } from '../db/retention.repository.js';
import type { DocumentView, KeyPoints } from '../domain/document.js';
import { computeRetention } from '../domain/retention.js';
import type { Principal } from '../domain/roles.js';
import { Conflict, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { WRITE_BATCH } from './document-records.js';
import { toDocumentView } from './documents.service.js';

export type RetentionChange = { id: string; type: string; from: string | null; to: string | null };

type TriggerAttributes = { relationshipEndedOn?: string; consentWithdrawnOn?: string };

/** The customer attributes that start retention periods; a change in either means recomputing. */
export const TRIGGER_ATTRIBUTES = ['relationshipEndedOn', 'consentWithdrawnOn'] as const;

export function triggerAttributesChanged(before: Record<string, unknown>, after: Record<string, unknown>): boolean {
  return TRIGGER_ATTRIBUTES.some((k) => (before[k] ?? null) !== (after[k] ?? null));
}

/**
 * Recomputes retention for the given rows inside the caller's transaction and writes what changed
 * (with `write: false`, on any connection, only reports what would change).
 * The registration date is the row's own (not today), so a document without a date does not see
 * its period start again on every pass.
 */
async function recomputeRows(q: Queryable, rows: DocumentRow[], clock: Clock, opts: { write: boolean } = { write: true }): Promise<RetentionChange[]> {
  const customers = new Map<string, TriggerAttributes | null>();
  const changes: RetentionChange[] = [];
  for (const row of rows) {
    let customer: TriggerAttributes | null = null;
    if (row.customer_id) {
      if (!customers.has(row.customer_id)) {
        const c = await customersRepository.get(q, row.customer_id);
        customers.set(row.customer_id, c ? (JSON.parse(c.attributes) as TriggerAttributes) : null);
      }
      customer = customers.get(row.customer_id)!;
    }
    const r = computeRetention({
      type: row.type,
      docDate: row.doc_date,
      registeredOn: row.created_at.slice(0, 10),
      fields: JSON.parse(row.fields) as KeyPoints,
      customer,
      hold: false,
    });
    if (
      r.endsOn === row.retention_ends_on &&
      r.startsOn === row.retention_starts_on &&
      r.legalBasis === row.retention_legal_basis &&
      r.period === row.retention_period &&
      r.disposition === row.retention_disposition &&
      r.trigger === row.retention_trigger
    ) {
      continue;
    }
    if (opts.write) {
      await documentsRepository.update(
        q,
        row.id,
        {
          retention_legal_basis: r.legalBasis,
          retention_trigger: r.trigger,
          retention_starts_on: r.startsOn,
          retention_period: r.period,
          retention_ends_on: r.endsOn,
          retention_disposition: r.disposition,
        },
        nowIso(clock),
      );
    }
    changes.push({ id: row.id, type: row.type, from: row.retention_ends_on, to: r.endsOn });
  }
  return changes;
}

/**
 * Recomputes the retention of every live document of a customer, inside the caller's transaction
 * (CustomersService calls it when relationshipEndedOn or consentWithdrawnOn changes).
 */
export async function recomputeRetentionForCustomer(q: Queryable, customerId: string, clock: Clock): Promise<RetentionChange[]> {
  return recomputeRows(q, await documentsRepository.byCustomer(q, customerId), clock);
}

export type RecomputeRun = {
  running: boolean;
  startedAt: string;
  startedBy: string;
  finishedAt: string | null;
  total: number;
  checked: number;
  changed: number;
  error: string | null;
};

const BATCH = 500;

/** Retention schedules, the due list, and recomputing retention when trigger data or schedules change. */
export class RetentionService {
  private run: RecomputeRun | null = null;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  schedules() {
    return { triggers: rules.triggers, schedules: rules.schedules };
  }

  /** `GET /api/retention/due`: documents whose retention ends before `before`; held ones listed apart. */
  async due(before: string, limit = 5000) {
    const rows = await retentionRepository.due(this.db, before, limit + 1);
    const truncated = rows.length > limit;
    const documents: DocumentView[] = [];
    const held: DocumentView[] = [];
    const extra: Record<string, { effectiveEnd: string; extendedUntil: string | null; disposalId: string | null }> = {};
    for (const r of rows.slice(0, limit)) {
      const view = await toDocumentView(this.db, r);
      (r.on_hold ? held : documents).push(view);
      extra[r.id] = { effectiveEnd: r.effective_end, extendedUntil: r.extended_until, disposalId: r.open_disposal_id };
    }
    return { before, count: documents.length, documents, held, truncated, details: extra };
  }

  /** Recomputes one customer's documents now, in one transaction; audited when anything changed. */
  async recomputeCustomer(customerId: string, actor: Principal) {
    return this.db.tx(async (q) => {
      if (!(await customersRepository.get(q, customerId))) throw new NotFound('customer', customerId);
      const changes = await recomputeRetentionForCustomer(q, customerId, this.clock);
      if (changes.length) {
        await this.audit.record(q, {
          actorId: actor.id,
          action: 'retention.recompute',
          subjectType: 'customer',
          subjectId: customerId,
          customerId,
          details: { reason: 'requested', changes: changes.slice(0, 200), count: changes.length },
        });
      }
      return { customerId, checked: (await documentsRepository.byCustomer(q, customerId)).length, changed: changes.length, changes };
    });
  }

  /** The state of the last full recompute (progress while it runs). */
  status(): RecomputeRun | null {
    return this.run ? { ...this.run } : null;
  }

  /**
   * Starts a full recompute in the background (after a schedule changed in retention.json):
   * one transaction per batch of 500, progress in `status()`. A second start while one runs is a 409.
   * Returns the run and a promise that settles when it is done (tests await it).
   */
  startFullRecompute(actor: Principal): { run: RecomputeRun; done: Promise<void> } {
    if (this.run?.running) throw new Conflict('A full retention recompute is already running', this.status(), 'recompute_running');
    const run: RecomputeRun = { running: true, startedAt: nowIso(this.clock), startedBy: actor.id, finishedAt: null, total: 0, checked: 0, changed: 0, error: null };
    this.run = run;
    const done = this.recomputeAll(run, actor).catch((err: unknown) => {
      run.error = err instanceof Error ? err.message : String(err);
      this.logger?.error({ err }, 'retention recompute failed');
    }).finally(() => {
      run.running = false;
      run.finishedAt = nowIso(this.clock);
    });
    return { run: { ...run }, done };
  }

  private async recomputeAll(run: RecomputeRun, actor: Principal): Promise<void> {
    run.total = await documentsRepository.count(this.db);
    let afterRowid = 0;
    for (;;) {
      const rows = await documentsRepository.liveBatchAfter(this.db, afterRowid, BATCH);
      if (rows.length === 0) break;
      afterRowid = rows[rows.length - 1].rowid;
      // Computed outside any transaction first: writes (and audited reads) take turns, and
      // computing 500 documents inside one held that turn for 1-2 s on PostgreSQL. Only the
      // documents that change are read again and written, WRITE_BATCH per transaction (a crash
      // loses at most those, and a re-run picks them up).
      const changing = (await recomputeRows(this.db, rows, this.clock, { write: false })).map((c) => c.id);
      for (let i = 0; i < changing.length; i += WRITE_BATCH) {
        const part = changing.slice(i, i + WRITE_BATCH);
        const changes = await this.db.tx(async (q) => {
          const fresh = (await Promise.all(part.map((id) => documentsRepository.get(q, id)))).filter((r): r is DocumentRow => Boolean(r && !r.destroyed_at));
          const c = await recomputeRows(q, fresh, this.clock);
          if (c.length) {
            await this.audit.record(q, {
              actorId: actor.id,
              action: 'retention.recompute',
              subjectType: 'documents',
              details: { reason: 'full recompute', changes: c, count: c.length },
            });
          }
          return c;
        });
        run.changed += changes.length;
      }
      run.checked += rows.length;
      this.logger?.info({ checked: run.checked, total: run.total, changed: run.changed }, 'retention recompute progress');
    }
  }
}
