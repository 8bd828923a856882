import type { Database, Queryable } from '../db/database.js';
import { customersRepository, type CustomerInput } from '../db/customers.repository.js';
import { documentsRepository } from '../db/documents.repository.js';
import { mergesRepository } from '../db/merges.repository.js';
import { statusRepository } from '../db/status.repository.js';
import type { Principal } from '../domain/roles.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { CustomersService, type CustomerView } from './customers.service.js';
import { events } from './events.service.js';
import { recomputeRetentionForCustomer } from './retention.service.js';

export type MergeReport = {
  merged: string;
  into: string;
  moved: { documents: number; paper: number; statusVariables: number; statusHistory: number; legalHolds: number; mailingLetters: number; letterheads: number; earlierMerges: number; retentionRecomputed: number };
  /** Status variables both had: the later value won; the other one is kept in the history. */
  statusConflicts: { name: string; kept: string; from: 'merged' | 'into' }[];
};

/** The surviving number for a customer number that was merged away, or the number itself. */
export async function resolveCustomerId(q: Queryable, id: string): Promise<string> {
  return (await mergesRepository.mergedInto(q, id)) ?? id;
}

export async function mergedInto(q: Queryable, id: string): Promise<string | null> {
  return (await mergesRepository.mergedInto(q, id)) ?? null;
}

/**
 * Merges a duplicate customer into the surviving one: documents (paper included), status
 * variables with their history, legal holds, letters and learned letterheads move, in one
 * transaction, audited on both customers. The merged number stays as a tombstone that resolves to
 * the survivor: reads of it answer with the survivor, writes naming it (a scan, a coupon) land on
 * the survivor (see the triggers in 008_integration.sql), and a CRM update of it is refused.
 */
export class MergeService {
  private readonly pattern: RegExp;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    customerPattern: string,
  ) {
    this.pattern = new RegExp(`^(?:${customerPattern})$`);
  }

  async merge(fromId: string, intoId: string, actor: Principal): Promise<MergeReport> {
    for (const id of [fromId, intoId]) {
      if (!this.pattern.test(id)) throw new Invalid(`${JSON.stringify(id)} is not a customer number`, undefined, 'invalid_customer_number');
    }
    if (fromId === intoId) throw new Invalid('A customer cannot be merged into itself', undefined, 'merge_into_itself');
    return this.db.tx(async (q) => {
      const now = nowIso(this.clock);
      const fromTarget = await mergedInto(q, fromId);
      if (fromTarget) throw new Conflict(`${fromId} was already merged into ${fromTarget}`, { mergedInto: fromTarget }, 'already_merged');
      const intoTarget = await mergedInto(q, intoId);
      if (intoTarget) throw new Conflict(`${intoId} was itself merged into ${intoTarget}: merge into ${intoTarget}`, { mergedInto: intoTarget }, 'merged_target');
      if (!(await customersRepository.get(q, fromId))) throw new NotFound('customer', fromId);
      if (!(await customersRepository.get(q, intoId))) throw new NotFound('customer', intoId);

      const paper = await documentsRepository.countPaperOf(q, fromId);
      const documents = await documentsRepository.moveCustomer(q, fromId, intoId, now);
      // Retention can start from customer data (relationship ended): recompute it for the new owner.
      const retention = await recomputeRetentionForCustomer(q, intoId, this.clock);

      const statusConflicts: MergeReport['statusConflicts'] = [];
      const theirs = await statusRepository.withOrder(q, fromId);
      const ours = new Map((await statusRepository.withOrder(q, intoId)).map((s) => [s.name, s]));
      for (const { lastSeq: theirSeq, ...s } of theirs) {
        const mine = ours.get(s.name);
        // The later value wins; set in the same millisecond, the one set last (its history row).
        const keepMine = mine !== undefined && (mine.set_at > s.set_at || (mine.set_at === s.set_at && Number(mine.lastSeq ?? 0) >= Number(theirSeq ?? 0)));
        if (mine) statusConflicts.push({ name: s.name, kept: keepMine ? mine.value : s.value, from: keepMine ? 'into' : 'merged' });
        if (!keepMine) await statusRepository.carry(q, { ...s, customer_id: intoId });
      }
      await statusRepository.deleteAllOf(q, fromId);
      const statusHistory = await statusRepository.moveHistory(q, fromId, intoId);
      const legalHolds = await mergesRepository.moveLegalHolds(q, fromId, intoId);
      // A mailing that reached both keeps the merged customer's letter where it was (one letter per customer per mailing).
      const mailingLetters = await mergesRepository.moveMailingLetters(q, fromId, intoId);
      await mergesRepository.moveSeparatorSheets(q, fromId, intoId);
      await mergesRepository.moveOpenCouponHints(q, fromId, intoId);
      const letterheads = await mergesRepository.moveAliases(q, fromId, intoId);
      // Numbers merged into the one now merged away resolve in one step to the survivor.
      const earlierMerges = await mergesRepository.repointEarlier(q, fromId, intoId);

      const moved = { documents, paper, statusVariables: theirs.length, statusHistory, legalHolds, mailingLetters, letterheads, earlierMerges, retentionRecomputed: retention.length };
      await mergesRepository.record(q, { mergedId: fromId, intoId, at: now, by: actor.id, moved });
      for (const [subject, other] of [[fromId, intoId], [intoId, fromId]]) {
        await this.audit.record(q, { actorId: actor.id, action: 'customer.merge', subjectType: 'customer', subjectId: subject, customerId: subject, details: { merged: fromId, into: intoId, other, moved, statusConflicts } });
      }
      await events.emit(q, { type: 'customer.merged', subjectType: 'customer', subjectId: intoId, customerId: intoId, actorId: actor.id, at: now, data: { merged: fromId, into: intoId, moved } });
      return { merged: fromId, into: intoId, moved, statusConflicts };
    });
  }
}

/**
 * CustomersService that knows merged numbers: reading a merged number answers with the survivor
 * (customer and dossier), updating one is refused with the survivor's number, and search leaves
 * the tombstones out. Wired in dossierlink.ts in place of the plain service.
 */
export class MergeAwareCustomersService extends CustomersService {
  constructor(
    private readonly database: Database,
    audit: AuditService,
    clock: Clock,
    customerPattern: string,
  ) {
    super(database, audit, clock, customerPattern);
  }

  override async get(id: string): Promise<CustomerView> {
    return super.get(await resolveCustomerId(this.database, id));
  }

  override async dossier(id: string, actor: Principal) {
    return super.dossier(await resolveCustomerId(this.database, id), actor);
  }

  override async upsert(id: string, input: CustomerInput, actor: Principal) {
    const into = await mergedInto(this.database, id);
    if (into) throw new Conflict(`Customer ${id} was merged into ${into}; send updates for ${into}`, { mergedInto: into }, 'customer_merged');
    return super.upsert(id, input, actor);
  }

  override async search(text: string, limit = 20): Promise<CustomerView[]> {
    const found = await super.search(text, limit);
    if (found.length === 0) return found;
    const merged = await mergesRepository.mergedAmong(this.database, found.map((c) => c.id));
    return found.filter((c) => !merged.has(c.id));
  }
}
