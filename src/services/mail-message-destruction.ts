import type { Queryable } from '../db/database.js';
import { mailMessagesRepository, type MailMessageRow } from '../db/mail-messages.repository.js';
import { objectRefsRepository } from '../db/object-refs.repository.js';
import type { AuditService } from './audit.service.js';

/**
 * Destroys stored e-mail messages inside the caller's transaction: the row becomes a tombstone
 * (mailMessagesRepository.tombstone) and the .eml object is returned for deletion after the commit
 * unless something else still refers to the same bytes (object-refs.repository.ts, the list the
 * sweep uses, asked after the tombstone so this message no longer counts). Audited per message
 * with the removed hash: the audit is the proof of what went, the tombstone only that it existed.
 */
export async function destroyMailMessagesInTx(
  q: Queryable,
  audit: AuditService,
  messages: MailMessageRow[],
  r: { actorId: string; customerId: string | null; reason: string; now: string },
): Promise<string[]> {
  const objects: string[] = [];
  for (const m of messages) {
    await mailMessagesRepository.tombstone(q, m.id, r.now);
    const shared = await objectRefsRepository.isReferenced(q, m.eml_sha256);
    if (!shared && !objects.includes(m.eml_sha256)) objects.push(m.eml_sha256);
    await audit.record(q, {
      actorId: r.actorId,
      action: 'mail.message-destroy',
      subjectType: 'mail-message',
      subjectId: m.id,
      customerId: m.customer_id ?? r.customerId,
      details: { reason: r.reason, eml: m.eml_sha256, size: m.eml_size, objects: shared ? [] : [m.eml_sha256], keptShared: shared ? [m.eml_sha256] : [] },
    });
  }
  return objects;
}
