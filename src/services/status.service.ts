import type { Queryable } from '../db/database.js';
import { statusRepository } from '../db/status.repository.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { events } from './events.service.js';

export type StatusChange = {
  customerId: string;
  name: string;
  value: string;
  detail?: Record<string, unknown>;
  actorId: string;
  /** What set it, e.g. `mailing:<id>` or `coupon-batch:<id>`. */
  source: string;
};

/**
 * Status variables on a customer (letter-sent, reply-received, …). Setting one keeps the previous
 * values as history (the dossier shows both) and is an audit event on the customer, in the
 * caller's transaction.
 */
export class StatusService {
  constructor(
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Sets a status variable through the caller's transaction handle.
   *
   *     await db.tx((q) => status.set(q, { customerId: 'KL-000123', name: 'letter-sent', value: 'mlg_…', actorId: 'usr_…', source: 'mailing:mlg_…' }));
   */
  async set(q: Queryable, s: StatusChange): Promise<void> {
    const detail = s.detail ?? {};
    await statusRepository.set(q, {
      customer_id: s.customerId,
      name: s.name,
      value: s.value,
      detail: JSON.stringify(detail),
      set_at: nowIso(this.clock),
      set_by: s.actorId,
      source: s.source,
    });
    await this.audit.record(q, {
      actorId: s.actorId,
      action: 'status.set',
      subjectType: 'customer',
      subjectId: s.customerId,
      customerId: s.customerId,
      details: { name: s.name, value: s.value, source: s.source },
    });
    await events.emit(q, { type: 'status.set', subjectType: 'customer', subjectId: s.customerId, customerId: s.customerId, actorId: s.actorId, at: nowIso(this.clock), data: { name: s.name, value: s.value, detail, source: s.source } });
  }
}
