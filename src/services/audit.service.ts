import { createHash } from 'node:crypto';
import type { Database, Queryable } from '../db/database.js';
import { auditRepository, type AuditFilter, type AuditRow } from '../db/audit.repository.js';
import { nowIso, type Clock } from './clock.js';

export type AuditEvent = {
  actorId: string | null;
  action: string;
  subjectType: string;
  subjectId?: string | null;
  customerId?: string | null;
  details?: Record<string, unknown>;
};

const GENESIS = '0'.repeat(64);

function eventHash(prevHash: string, r: Omit<AuditRow, 'seq' | 'hash' | 'prev_hash'>): string {
  const content = JSON.stringify([r.at, r.actor_id, r.action, r.subject_type, r.subject_id, r.customer_id, r.details]);
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

/**
 * The audit log: every write that matters and every read of a dossier or document is an event,
 * chained by hash so an edited, inserted or deleted row breaks verification.
 */
export class AuditService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Appends an event. Pass the transaction's handle so the event commits (or not) with the change it records. */
  async record(q: Queryable, e: AuditEvent): Promise<void> {
    const last = await auditRepository.last(q);
    const row = {
      at: nowIso(this.clock),
      actor_id: e.actorId,
      action: e.action,
      subject_type: e.subjectType,
      subject_id: e.subjectId ?? null,
      customer_id: e.customerId ?? null,
      details: JSON.stringify(e.details ?? {}),
    };
    const prev_hash = last?.hash ?? GENESIS;
    await auditRepository.insert(q, { ...row, prev_hash, hash: eventHash(prev_hash, row) });
  }

  /** Records an event in its own transaction (reads, which change nothing else). */
  recordNow(e: AuditEvent): Promise<void> {
    return this.db.tx((q) => this.record(q, e));
  }

  /** Walks the whole chain; reports the first event whose hash or link does not hold. */
  async verify(): Promise<{ ok: boolean; checked: number; firstBadEvent?: { seq: number; reason: string } }> {
    let prev = GENESIS;
    let after = 0;
    let checked = 0;
    let expectedSeq: number | null = null;
    for (;;) {
      const rows = await auditRepository.page(this.db, after, 5000);
      if (rows.length === 0) break;
      for (const r of rows) {
        if (expectedSeq !== null && r.seq !== expectedSeq) {
          return { ok: false, checked, firstBadEvent: { seq: expectedSeq, reason: 'event missing (deleted)' } };
        }
        if (r.prev_hash !== prev) return { ok: false, checked, firstBadEvent: { seq: r.seq, reason: 'chain broken before this event' } };
        if (eventHash(prev, r) !== r.hash) return { ok: false, checked, firstBadEvent: { seq: r.seq, reason: 'event content altered' } };
        prev = r.hash;
        checked++;
        expectedSeq = r.seq + 1;
        after = r.seq;
      }
    }
    return { ok: true, checked };
  }

  async query(f: AuditFilter, limit = 100, beforeSeq?: number) {
    const rows = await auditRepository.query(this.db, f, limit, beforeSeq);
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      actorId: r.actor_id,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      customerId: r.customer_id,
      details: JSON.parse(r.details) as Record<string, unknown>,
    }));
  }
}
