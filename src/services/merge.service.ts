import type { Database, Queryable } from '../db/database.js';
import { customersRepository, type CustomerInput } from '../db/customers.repository.js';
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
  const m = await q.get<{ into_id: string }>('SELECT into_id FROM customer_merges WHERE merged_id = ?', [id]);
  return m?.into_id ?? id;
}

export async function mergedInto(q: Queryable, id: string): Promise<string | null> {
  return (await q.get<{ into_id: string }>('SELECT into_id FROM customer_merges WHERE merged_id = ?', [id]))?.into_id ?? null;
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

      const paper = (await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM documents WHERE customer_id = ? AND barcode IS NOT NULL', [fromId]))!.n;
      const documents = (await q.run('UPDATE documents SET customer_id = ?, updated_at = ? WHERE customer_id = ?', [intoId, now, fromId])).changes;
      // Retention can start from customer data (relationship ended): recompute it for the new owner.
      const retention = await recomputeRetentionForCustomer(q, intoId, this.clock);

      const statusConflicts: MergeReport['statusConflicts'] = [];
      const theirs = await statusRepository.byCustomer(q, fromId);
      const ours = new Map((await statusRepository.byCustomer(q, intoId)).map((s) => [s.name, s]));
      for (const s of theirs) {
        const mine = ours.get(s.name);
        if (mine) statusConflicts.push({ name: s.name, kept: mine.set_at >= s.set_at ? mine.value : s.value, from: mine.set_at >= s.set_at ? 'into' : 'merged' });
        if (!mine || mine.set_at < s.set_at) {
          await q.run(
            `INSERT INTO status_variables (customer_id, name, value, detail, set_at, set_by, source) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value, detail = excluded.detail, set_at = excluded.set_at,
               set_by = excluded.set_by, source = excluded.source`,
            [intoId, s.name, s.value, s.detail, s.set_at, s.set_by, s.source],
          );
        }
      }
      await q.run('DELETE FROM status_variables WHERE customer_id = ?', [fromId]);
      const statusHistory = (await q.run('UPDATE status_history SET customer_id = ? WHERE customer_id = ?', [intoId, fromId])).changes;
      const legalHolds = (await q.run('UPDATE legal_holds SET customer_id = ? WHERE customer_id = ?', [intoId, fromId])).changes;
      // A mailing that reached both keeps the merged customer's letter where it was (one letter per customer per mailing).
      const mailingLetters = (await q.run('UPDATE OR IGNORE mailing_letters SET customer_id = ? WHERE customer_id = ?', [intoId, fromId])).changes;
      await q.run('UPDATE separator_sheets SET customer_id = ? WHERE customer_id = ?', [intoId, fromId]);
      await q.run("UPDATE coupon_reviews SET hint_customer_id = ? WHERE hint_customer_id = ? AND status = 'open'", [intoId, fromId]);
      const letterheads = (
        await q.run('INSERT OR IGNORE INTO customer_aliases (customer_id, phrase, learned_at) SELECT ?, phrase, learned_at FROM customer_aliases WHERE customer_id = ?', [intoId, fromId])
      ).changes;
      await q.run('DELETE FROM customer_aliases WHERE customer_id = ?', [fromId]);
      // Numbers merged into the one now merged away resolve in one step to the survivor.
      const earlierMerges = (await q.run('UPDATE customer_merges SET into_id = ? WHERE into_id = ?', [intoId, fromId])).changes;

      const moved = { documents, paper, statusVariables: theirs.length, statusHistory, legalHolds, mailingLetters, letterheads, earlierMerges, retentionRecomputed: retention.length };
      await q.run('INSERT INTO customer_merges (merged_id, into_id, merged_at, merged_by, moved) VALUES (?, ?, ?, ?, ?)', [fromId, intoId, now, actor.id, JSON.stringify(moved)]);
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
    const merged = new Set(
      (await this.database.all<{ merged_id: string }>(`SELECT merged_id FROM customer_merges WHERE merged_id IN (${found.map(() => '?').join(', ')})`, found.map((c) => c.id))).map((r) => r.merged_id),
    );
    return found.filter((c) => !merged.has(c.id));
  }
}
