import type { Queryable } from '../db/database.js';
import { restrictionRepository } from '../db/restriction.repository.js';
import { seesRestricted, type ReadTarget } from '../domain/restriction.js';
import type { Principal } from '../domain/roles.js';
import { Restricted } from '../errors.js';
import type { AuditService } from './audit.service.js';

/**
 * The GDPR art. 18 check every read of one dossier or document goes through. Routes declare
 * what they read (`reads: { document: 'id' }`) and the route layer calls `check` before the
 * handler; lists and feeds use `hides` with the `notRestricted` SQL of the repository.
 */
export class RestrictionGuard {
  constructor(
    private readonly db: Queryable,
    /** Refusals are audited too: compliance sees who tried to read a restricted dossier. */
    private readonly audit?: AuditService,
  ) {}

  private async refuse(p: Principal, subject: { type: 'customer' | 'document'; id: string }, customerId: string | null, message?: string): Promise<never> {
    await this.audit?.recordNow({ actorId: p.id, action: 'restricted.refused', subjectType: subject.type, subjectId: subject.id, customerId });
    throw new Restricted(message);
  }

  /** Whether lists shown to this principal leave restricted customers' documents out. */
  hides(p: Principal | undefined): boolean {
    return !seesRestricted(p);
  }

  /** Of these documents, the ones this principal may not see (empty for compliance and admin). */
  async hiddenDocuments(p: Principal | undefined, documentIds: string[]): Promise<Set<string>> {
    if (seesRestricted(p)) return new Set();
    return restrictionRepository.restrictedDocumentsAmong(this.db, [...new Set(documentIds)]);
  }

  /** Of these e-mail messages, the ones about a restricted customer this principal may not see (empty for compliance and admin). */
  async hiddenMailMessages(p: Principal | undefined, messageIds: string[]): Promise<Set<string>> {
    if (seesRestricted(p)) return new Set();
    return restrictionRepository.restrictedMailMessagesAmong(this.db, [...new Set(messageIds)]);
  }

  /**
   * Paper lists the mailroom works from (inventory reports, disposal pick lists): a restricted
   * customer's item stays (storing and handling the paper is allowed) but its title and customer
   * are blanked and it is marked `restricted: true`, for everyone but compliance and admin.
   */
  async redactPaper<T extends { documentId: string | null; title: string | null; customerId?: string | null; customerName?: string | null }>(
    p: Principal | undefined,
    items: T[],
    blankTitle: '' | null,
  ): Promise<(T & { restricted?: boolean })[]> {
    const hidden = await this.hiddenDocuments(p, items.flatMap((i) => (i.documentId ? [i.documentId] : [])));
    if (hidden.size === 0) return items;
    return items.map((i) =>
      i.documentId && hidden.has(i.documentId)
        ? { ...i, title: blankTitle, ...('customerId' in i ? { customerId: null } : {}), ...('customerName' in i ? { customerName: null } : {}), restricted: true }
        : i,
    );
  }

  /** Whether this principal may not see this customer's data (false for compliance and admin). */
  async hidesCustomer(p: Principal | undefined, customerId: string | null | undefined): Promise<boolean> {
    if (!customerId || seesRestricted(p)) return false;
    return restrictionRepository.customerRestricted(this.db, customerId);
  }

  /**
   * `storage`: the read serves keeping the paper (where it is, moving it), which art. 18 still
   * allows, so the mailroom passes too.
   */
  async assertCustomer(p: Principal, customerId: string | null | undefined, opts: { storage?: boolean } = {}): Promise<void> {
    if (!customerId || seesRestricted(p) || (opts.storage && p.roles.includes('mailroom'))) return;
    if (await restrictionRepository.customerRestricted(this.db, customerId)) await this.refuse(p, { type: 'customer', id: customerId }, customerId);
  }

  /** A document that does not exist passes: the handler answers 404 for it. */
  async assertDocument(p: Principal, documentId: string): Promise<void> {
    if (seesRestricted(p)) return;
    const owner = await restrictionRepository.documentOwner(this.db, documentId);
    if (owner?.restricted) {
      await this.refuse(p, { type: 'document', id: documentId }, owner.customer_id, 'This document belongs to a customer whose processing is restricted (GDPR art. 18); only compliance may read it');
    }
  }

  /** Checks a route's declared target, whose id is the named path parameter. */
  async check(p: Principal, target: ReadTarget, params: Record<string, unknown>): Promise<void> {
    if ('document' in target) await this.assertDocument(p, String(params[target.document]));
    else await this.assertCustomer(p, String(params[target.customer]));
  }
}
