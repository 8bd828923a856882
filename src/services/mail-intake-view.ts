import type { ImapConfig } from '../config.js';
import type { Queryable } from '../db/database.js';
import { mailMessagesRepository, type MailMessageRow } from '../db/mail-messages.repository.js';
import { restrictionRepository } from '../db/restriction.repository.js';
import { seesRestricted } from '../domain/restriction.js';
import type { Principal } from '../domain/roles.js';
import type { JobQueuePort } from './job-queue.port.js';
import type { MailboxLeaseView } from './mailbox-lease.js';
import type { PollReport } from './mail-intake.service.js';

/** What a redacted field of a restricted customer's message says instead (GDPR art. 18). */
const HIDDEN = 'hidden: the customer\'s processing is restricted (GDPR art. 18)';

/**
 * For the operator: configuration (no password), the last poll, counts and messages with their
 * documents and errors.
 *
 * GDPR art. 18, for everyone but compliance and admin (`actor`): a message about a restricted
 * customer (matched to it, carrying one of its documents, or sent from its address) stays in
 * the list, so the mailroom still sees that it arrived, which documents it became (their ids
 * only: opening one is refused) and whether its job failed (to retry it), but nothing that names
 * the customer or says what the mail is about: sender, subject, Message-ID, customer, attachment
 * names, skip reasons and error text are blanked, and it is marked `restricted: true`.
 */
export async function mailIntakeView(
  db: Queryable,
  queue: JobQueuePort,
  cfg: ImapConfig | null,
  extras: { lease: MailboxLeaseView | null; lastPoll: PollReport | null },
  f: { status?: MailMessageRow['status']; limit: number; offset: number },
  actor?: Principal,
) {
  const counts = { queued: 0, done: 0, failed: 0 };
  for (const c of await mailMessagesRepository.counts(db)) counts[c.status] = c.n;
  const rows = await mailMessagesRepository.list(db, f);
  const hidden = seesRestricted(actor) ? new Set<string>() : await restrictionRepository.restrictedMailMessagesAmong(db, rows.map((m) => m.id));
  const messages = [];
  for (const m of rows) {
    const job = m.job_id ? await queue.get(m.job_id) : null;
    const documents = (await mailMessagesRepository.documents(db, m.id)).map((d) => ({ documentId: d.document_id, name: d.name, duplicate: d.duplicate === 1 }));
    const skipped = JSON.parse(m.skipped) as { name?: string | null; reason?: string; code?: string }[];
    const shown = {
      id: m.id,
      messageId: m.message_id,
      sender: m.sender,
      subject: m.subject,
      receivedAt: m.received_at,
      status: m.status,
      customerId: m.customer_id,
      documents,
      skipped: skipped as unknown[],
      error: m.error,
      // Why its job failed as a code the screen says in the user's language (error.<code>), beside the server's text in `error`.
      job: job ? { id: job.id, status: job.status, attempts: job.attempts, maxAttempts: job.maxAttempts, runAfter: job.runAfter, lastErrorCode: job.lastErrorCode, lastErrorDetails: job.lastErrorDetails } : null,
      eml: { sha256: m.eml_sha256 as string | null, size: m.eml_size },
      markedAt: m.marked_at,
      createdAt: m.created_at,
    };
    messages.push(
      hidden.has(m.id)
        ? {
            ...shown,
            messageId: null,
            sender: null,
            subject: null,
            customerId: null,
            documents: documents.map((d) => ({ ...d, name: null })),
            skipped: skipped.map((x) => ({ name: null, code: x.code, reason: HIDDEN })),
            error: m.error === null ? null : HIDDEN,
            job: shown.job && { ...shown.job, lastErrorDetails: null },
            eml: { sha256: null, size: m.eml_size },
            restricted: true,
          }
        : shown,
    );
  }
  return {
    enabled: Boolean(cfg),
    lease: extras.lease,
    mailbox: cfg ? { host: cfg.host, port: cfg.port, secure: cfg.secure, user: cfg.user, mailbox: cfg.mailbox, processed: cfg.processed, moveTo: cfg.processed === 'move' ? cfg.moveTo : null, intervalMs: cfg.intervalMs } : null,
    lastPoll: extras.lastPoll,
    counts,
    messages,
  };
}
