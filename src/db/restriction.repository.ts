import type { Queryable } from './database.js';
import { mailDomain, matchSender, PUBLIC_MAIL_DOMAINS } from '../domain/mail-sender.js';
import { mailMessagesRepository } from './mail-messages.repository.js';

/**
 * The one SQL form of the GDPR art. 18 rule for lists: "this row's customer is not restricted".
 * Every list, search, export and feed that leaves restricted customers out uses it, so the rule
 * has one spelling. Restricted customers are few, so the subquery is a short list.
 *
 *     `SELECT … FROM documents d WHERE ${notRestricted('d.customer_id')}`
 */
export function notRestricted(customerColumn: string): string {
  return `(${customerColumn} IS NULL OR ${customerColumn} NOT IN (SELECT id FROM customers WHERE restricted <> 0))`;
}

/** The same for FTS rowids: documents of restricted customers, by rowid. */
export const RESTRICTED_DOCUMENT_ROWIDS = 'SELECT d.rowid FROM documents d WHERE d.customer_id IN (SELECT id FROM customers WHERE restricted <> 0)';
/** The same by document id (PostgreSQL's search index is keyed by id). */
export const RESTRICTED_DOCUMENT_IDS = 'SELECT d.id FROM documents d WHERE d.customer_id IN (SELECT id FROM customers WHERE restricted <> 0)';

/** Messages matched to a restricted customer, carrying one of its documents, or sent from its exact address. */
async function restrictedMailBySql(q: Queryable, ids: string[]): Promise<Set<string>> {
  const rows = await q.all<{ id: string }>(
    `SELECT m.id FROM mail_messages m WHERE m.id IN (${ids.map(() => '?').join(',')}) AND (
       NOT ${notRestricted('m.customer_id')}
       OR EXISTS (SELECT 1 FROM mail_message_documents l JOIN documents d ON d.id = l.document_id WHERE l.message_id = m.id AND NOT ${notRestricted('d.customer_id')})
       OR (m.sender IS NOT NULL AND lower(trim(m.sender)) IN (SELECT lower(trim(email)) FROM customers WHERE restricted <> 0 AND email IS NOT NULL)))`,
    ids,
  );
  return new Set(rows.map((r) => r.id));
}

export const restrictionRepository = {
  async customerRestricted(q: Queryable, customerId: string): Promise<boolean> {
    const r = await q.get<{ restricted: number }>('SELECT restricted FROM customers WHERE id = ?', [customerId]);
    return Boolean(r?.restricted);
  },
  /** The customer of a document and whether it is restricted; undefined when there is no such document. */
  documentOwner(q: Queryable, documentId: string) {
    return q.get<{ customer_id: string | null; restricted: number | null }>(
      'SELECT d.customer_id, c.restricted FROM documents d LEFT JOIN customers c ON c.id = d.customer_id WHERE d.id = ?',
      [documentId],
    );
  },
  /** Which of these documents belong to a restricted customer. */
  async restrictedDocumentsAmong(q: Queryable, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await q.all<{ id: string }>(`SELECT id FROM documents WHERE id IN (${ids.map(() => '?').join(',')}) AND NOT ${notRestricted('customer_id')}`, ids);
    return new Set(rows.map((r) => r.id));
  },
  /**
   * Which of these e-mail messages are about a restricted customer: matched to one, carrying one
   * of its documents, sent from its exact address, or not matched (yet) but from an address the
   * intake links to it by its domain: the one customer with an address at that domain, not a
   * public mail service (matchSender, the intake's own rule). A message still queued or failed is
   * not matched yet, but its sender already names the customer. A domain shared by several
   * customers, or gmail.com and the like, names no one: such mail is not hidden.
   */
  async restrictedMailMessagesAmong(q: Queryable, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const hidden = await restrictedMailBySql(q, ids);
    const unmatched = await q.all<{ id: string; sender: string }>(
      `SELECT id, sender FROM mail_messages WHERE id IN (${ids.map(() => '?').join(',')}) AND customer_id IS NULL AND sender IS NOT NULL`,
      ids,
    );
    const byDomain = new Map<string, string | null>();
    for (const m of unmatched) {
      if (hidden.has(m.id)) continue;
      const domain = mailDomain(m.sender);
      if (!domain || PUBLIC_MAIL_DOMAINS.has(domain)) continue;
      if (!byDomain.has(domain)) byDomain.set(domain, matchSender([], (await mailMessagesRepository.customersByDomain(q, domain)).map((c) => c.id), domain).customerId);
      const customerId = byDomain.get(domain);
      if (customerId && (await restrictionRepository.customerRestricted(q, customerId))) hidden.add(m.id);
    }
    return hidden;
  },
  /** Which of these customers are restricted. */
  async restrictedAmong(q: Queryable, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await q.all<{ id: string }>(`SELECT id FROM customers WHERE restricted <> 0 AND id IN (${ids.map(() => '?').join(',')})`, ids);
    return new Set(rows.map((r) => r.id));
  },
};
