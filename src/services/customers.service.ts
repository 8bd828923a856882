import type { Database } from '../db/database.js';
import { customersRepository, type CustomerInput, type CustomerRow } from '../db/customers.repository.js';
import { documentsRepository } from '../db/documents.repository.js';
import { statusRepository } from '../db/status.repository.js';
import type { Principal } from '../domain/roles.js';
import { Invalid, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { toDocumentView, type PlaceCache } from './documents.service.js';
import { holdsForDossier } from './holds.service.js';
import { recomputeRetentionForCustomer, triggerAttributesChanged } from './retention.service.js';

export function toCustomerView(r: CustomerRow) {
  return {
    id: r.id,
    name: r.name,
    kvk: r.kvk,
    email: r.email,
    address: r.address,
    postcode: r.postcode,
    city: r.city,
    attributes: JSON.parse(r.attributes) as Record<string, unknown>,
    restricted: Boolean(r.restricted),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
export type CustomerView = ReturnType<typeof toCustomerView>;

/** Customers mirror the CRM (which is leading) and own the dossier. */
export class CustomersService {
  private readonly pattern: RegExp;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    customerPattern: string,
  ) {
    this.pattern = new RegExp(`^(?:${customerPattern})$`);
  }

  assertNumber(id: string): void {
    if (!this.pattern.test(id)) {
      throw new Invalid(`${JSON.stringify(id)} is not a customer number (expected ${this.pattern.source})`, undefined, 'invalid_customer_number');
    }
  }

  async upsert(id: string, input: CustomerInput, actor: Principal): Promise<{ customer: CustomerView; created: boolean }> {
    this.assertNumber(id);
    return this.db.tx(async (q) => {
      const before = await customersRepository.get(q, id);
      const { created } = await customersRepository.upsert(q, id, input, nowIso(this.clock));
      await this.audit.record(q, {
        actorId: actor.id,
        action: created ? 'customer.create' : 'customer.update',
        subjectType: 'customer',
        subjectId: id,
        customerId: id,
      });
      // The end of the relationship or a withdrawn consent starts retention periods (issue #8).
      if (before && triggerAttributesChanged(JSON.parse(before.attributes) as Record<string, unknown>, input.attributes ?? {})) {
        const changes = await recomputeRetentionForCustomer(q, id, this.clock);
        if (changes.length) {
          await this.audit.record(q, { actorId: actor.id, action: 'retention.recompute', subjectType: 'customer', subjectId: id, customerId: id, details: { reason: 'customer trigger attributes changed', changes: changes.slice(0, 200), count: changes.length } });
        }
      }
      const row = await customersRepository.get(q, id);
      return { customer: toCustomerView(row!), created };
    });
  }

  async get(id: string): Promise<CustomerView> {
    const row = await customersRepository.get(this.db, id);
    if (!row) throw new NotFound('customer', id);
    return toCustomerView(row);
  }

  async search(text: string, limit = 20): Promise<CustomerView[]> {
    const rows = text ? await customersRepository.search(this.db, text, limit) : await customersRepository.list(this.db, limit, 0);
    return rows.map(toCustomerView);
  }

  /** The whole dossier: digital and paper documents newest first, and status variables with history. Audited. */
  async dossier(id: string, actor: Principal) {
    const row = await customersRepository.get(this.db, id);
    if (!row) throw new NotFound('customer', id);
    const docs = await documentsRepository.byCustomer(this.db, id);
    const documents = [];
    const places: PlaceCache = new Map();
    for (const d of docs) documents.push(await toDocumentView(this.db, d, places));
    const history = await statusRepository.history(this.db, id);
    const statuses = (await statusRepository.byCustomer(this.db, id)).map((s) => ({
      name: s.name,
      value: s.value,
      detail: JSON.parse(s.detail) as Record<string, unknown>,
      setAt: s.set_at,
      setBy: s.set_by,
      source: s.source,
      history: history
        .filter((h) => h.name === s.name)
        .map((h) => ({ value: h.value, setAt: h.set_at, detail: JSON.parse(h.detail) as Record<string, unknown> })),
    }));
    await this.audit.recordNow({
      actorId: actor.id,
      action: 'dossier.view',
      subjectType: 'customer',
      subjectId: id,
      customerId: id,
      details: { documents: documents.length },
    });
    const holds = await holdsForDossier(this.db, id, actor);
    return { customer: toCustomerView(row), documents, statuses, holds };
  }
}
