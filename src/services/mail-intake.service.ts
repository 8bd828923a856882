/**
 * E-mail intake: an IMAP mailbox read on a schedule. Each new message is kept whole (.eml, by
 * content hash) and queued as a `mail-message` job in one transaction with its row, keyed by its
 * Message-ID, so a restart or a second poll never takes it twice. The job turns the attachments
 * into documents through the same intake as uploads (preflight, store by hash, barcodes, ingest),
 * linked to the customer the sender's address points to. A message is marked on the server
 * (flagged or moved) only once its job is done; a job that keeps failing leaves the message in
 * the mailbox and is reported (GET /api/mail-intake, GET /api/jobs?kind=mail-message) for an
 * operator to retry.
 *
 * With several worker processes one of them reads a mailbox on schedule (mailbox-lease.ts). An
 * operator's "read now" reads at once in whichever process it reaches: rare, and safe as messages
 * are keyed by Message-ID.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
// The IMAP client and the MIME parser are loaded on first use: ~150 modules an instance without a
// mailbox would read at every start for nothing.
import type { ImapFlow, FetchMessageObject } from 'imapflow';
import type { Logger } from 'pino';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import type { ImapConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { mailMessagesRepository, type MailMessageRow } from '../db/mail-messages.repository.js';
import { mailDomain, matchSender } from '../domain/mail-sender.js';
import type { Principal } from '../domain/roles.js';
import { AppError } from '../errors.js';
import type { Job, JobQueuePort } from './job-queue.port.js';
import { attachmentsOf } from './mail-attachments.js';
import { mailIntakeView } from './mail-intake-view.js';
import { MailboxLease } from './mailbox-lease.js';
import { releasePins } from './object-guard.js';
export { LEASE_ROUNDS } from './mailbox-lease.js';
import type { JobContext } from './job-queue.port.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import type { IntakeService } from './intake.service.js';

export const MAIL_JOB = 'mail-message';
export type MailPayload = { messageId: string };

/** Set on a message once its attachments are documents; the poll leaves such messages alone. */
export const PROCESSED_KEYWORD = '$Dossierlink';

const MAILBOX: Principal = { id: 'email', name: 'E-mail intake', roles: ['mailroom'] };

export type PollReport = { at: string; ok: boolean; error: string | null; seen: number; queued: number; marked: number };

type Deps = {
  db: Database;
  store: ObjectStore;
  queue: JobQueuePort;
  audit: AuditService;
  intake: IntakeService;
  clock: Clock;
  config: ImapConfig | null;
  tmpDir: string;
  /** The same limit as an upload (DOSSIER_MAX_UPLOAD_MB). */
  maxFileBytes: number;
  logger?: Logger;
  /** Who this process is on the mailbox's lease; host/pid/random by default. */
  holderId?: string;
};

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

export class MailIntakeService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PollReport> | null = null;
  private next: Promise<PollReport> | null = null;
  private last: PollReport | null = null;
  private client: ImapFlow | null = null;
  private stopped = false;
  /** One process at a time reads on schedule (mailbox-lease.ts); null without a mailbox. */
  private readonly lease: MailboxLease | null;

  constructor(private readonly deps: Deps) {
    this.lease = deps.config ? new MailboxLease(deps, deps.config, deps.holderId) : null;
  }

  /** Who this process is on the mailbox's lease. */
  get holderId(): string {
    return this.lease?.holderId ?? '';
  }

  get enabled(): boolean {
    return this.deps.config !== null;
  }

  /** Reads the mailbox now and then every interval; nothing when e-mail intake is not configured. */
  start(): void {
    const cfg = this.deps.config;
    if (!cfg || this.timer) return;
    this.stopped = false;
    const tick = () => void this.pollIfHolder().catch((err: unknown) => this.deps.logger?.warn({ err }, 'mailbox lease could not be taken; will try again'));
    this.timer = setInterval(tick, cfg.intervalMs);
    this.timer.unref();
    setImmediate(tick);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopped = true;
    // A pass waiting on an unresponsive server is cut off rather than holding up shutdown; what it took is safe.
    this.client?.close();
    await this.running?.catch(() => undefined);
    await this.lease?.giveBack();
  }

  /**
   * The scheduled pass: reads the mailbox when this process holds its lease (taking or renewing it
   * first), else null: another process reads it this round.
   */
  async pollIfHolder(): Promise<PollReport | null> {
    if (!this.lease || this.stopped) return null;
    if (!(await this.lease.hold())) return null;
    // stop() came while the lease was being taken: give it straight back.
    if (this.stopped) {
      await this.lease.giveBack();
      return null;
    }
    return this.pollOnce();
  }

  /**
   * One pass over the mailbox, reported, never thrown. A call while a pass is under way gets a new
   * pass right after it (calls meanwhile share that one): "read now" sees what is done by now.
   */
  pollOnce(): Promise<PollReport> {
    if (this.running) {
      this.next ??= this.running.then(() => {
        this.next = null;
        return this.pollOnce();
      });
      return this.next;
    }
    this.running = this.poll().finally(() => (this.running = null));
    return this.running;
  }

  private async poll(): Promise<PollReport> {
    const cfg = this.deps.config;
    const report: PollReport = { at: nowIso(this.deps.clock), ok: true, error: null, seen: 0, queued: 0, marked: 0 };
    if (!cfg) return { ...report, ok: false, error: 'e-mail intake is not configured: set DOSSIER_IMAP_URL or DOSSIER_IMAP_HOST' };
    const { ImapFlow } = await import('imapflow');
    const client = new ImapFlow({ host: cfg.host, port: cfg.port, secure: cfg.secure, auth: { user: cfg.user, pass: cfg.password }, logger: false, disableAutoIdle: true });
    // A dropped connection is reported by the command that was waiting; without a listener it would crash the process.
    client.on('error', (err: Error) => this.deps.logger?.warn({ err }, 'imap connection error'));
    this.client = client;
    try {
      await client.connect();
      if (cfg.processed === 'move') await client.mailboxCreate(cfg.moveTo).catch(() => undefined); // exists already: fine
      const lock = await client.getMailboxLock(cfg.mailbox);
      try {
        const uids = (await client.search({ unKeyword: PROCESSED_KEYWORD }, { uid: true })) || [];
        for (const uid of uids) {
          if (this.lease && !(await this.lease.stillHeld())) break;
          report.seen++;
          // The envelope first: a message known by its Message-ID (queued, or failed and reported) is not downloaded again.
          const head = await client.fetchOne(String(uid), { uid: true, envelope: true }, { uid: true });
          if (!head) continue;
          let row = head.envelope?.messageId ? await mailMessagesRepository.get(this.deps.db, messageKey(head.envelope.messageId, null)) : undefined;
          if (!row) {
            const msg = await client.fetchOne(String(uid), { uid: true, envelope: true, source: true, internalDate: true }, { uid: true });
            if (!msg || !msg.source) continue;
            row = await mailMessagesRepository.get(this.deps.db, messageKey(msg.envelope?.messageId, msg.source));
            if (!row) {
              row = await this.take(cfg, uid, msg);
              report.queued++;
            }
          }
          if (row.status === 'done') {
            await this.markProcessed(client, cfg, uid);
            await this.deps.db.tx((q) => mailMessagesRepository.marked(q, row.id, nowIso(this.deps.clock)));
            report.marked++;
          }
        }
      } finally {
        lock.release();
      }
      await client.logout();
    } catch (err) {
      report.ok = false;
      report.error = (err as Error).message.slice(0, 500);
      this.deps.logger?.error({ err, host: cfg.host, mailbox: cfg.mailbox }, 'mailbox could not be read; will try again');
      client.close();
    } finally {
      this.client = null;
    }
    this.last = report;
    if (report.queued || report.marked) this.deps.logger?.info(report, 'mailbox read');
    return report;
  }

  /** Keeps the message (.eml by content hash) and queues its job, with its row, in one transaction. */
  private async take(cfg: ImapConfig, uid: number, msg: FetchMessageObject): Promise<MailMessageRow> {
    const { db, store, queue, clock } = this.deps;
    const source = msg.source!;
    const id = messageKey(msg.envelope?.messageId, source);
    const stored = await store.putBuffer(source, { contentType: 'message/rfc822' });
    return db.tx(async (q) => {
      // The row (this one or one before it) keeps the .eml from this commit on.
      await releasePins(q, stored);
      const existing = await mailMessagesRepository.get(q, id);
      if (existing) return existing;
      const now = nowIso(clock);
      const received = msg.internalDate ? new Date(msg.internalDate).toISOString() : (msg.envelope?.date ? new Date(msg.envelope.date).toISOString() : null);
      await mailMessagesRepository.insert(q, {
        id,
        message_id: msg.envelope?.messageId?.slice(0, 998) ?? null,
        mailbox: cfg.mailbox,
        uid,
        sender: msg.envelope?.from?.[0]?.address?.slice(0, 320) ?? null,
        subject: msg.envelope?.subject?.slice(0, 500) ?? null,
        eml_sha256: stored.sha256,
        eml_size: stored.size,
        status: 'queued',
        job_id: null,
        received_at: received,
        created_at: now,
        updated_at: now,
      });
      const job = await queue.enqueue(q, { kind: MAIL_JOB, payload: { messageId: id }, idempotencyKey: `mail:${id}`, maxAttempts: cfg.maxAttempts });
      await mailMessagesRepository.setJob(q, id, job.id);
      await this.deps.audit.record(q, { actorId: MAILBOX.id, action: 'mail.received', subjectType: 'mail-message', subjectId: id, details: { mailbox: cfg.mailbox, uid, size: stored.size, eml: stored.sha256 } });
      return (await mailMessagesRepository.get(q, id))!;
    });
  }

  private async markProcessed(client: ImapFlow, cfg: ImapConfig, uid: number): Promise<void> {
    // The keyword first: should the move fail, the message is at least not read again.
    await client.messageFlagsAdd(String(uid), ['\\Seen', PROCESSED_KEYWORD], { uid: true });
    if (cfg.processed === 'move') await client.messageMove(String(uid), cfg.moveTo, { uid: true });
  }

  /** The `mail-message` job: attachments → documents, linked to the sender's customer. Idempotent: intake answers a file it has with the same document. */
  async runJob(job: Job<MailPayload>, ctx: JobContext): Promise<void> {
    const { db, store, clock } = this.deps;
    const row = await mailMessagesRepository.get(db, job.payload.messageId);
    // A message destroyed while queued (its documents, or its customer, erased) has nothing left to read.
    if (!row || row.status === 'done' || row.destroyed_at) return;
    try {
      const { simpleParser } = await import('mailparser');
      const parsed = await simpleParser(await store.getBuffer(row.eml_sha256));
      const { files, forwardedFrom } = await attachmentsOf(parsed);
      // A message forwarded as an attachment (by a colleague) is the customer's: its sender counts when the forwarder's does not.
      let match = await this.matchCustomer(parsed.from?.value?.[0]?.address ?? row.sender ?? '');
      for (const from of forwardedFrom) if (!match.customerId) match = await this.matchCustomer(from);
      const documents: { documentId: string; name: string | null; duplicate: boolean }[] = [];
      const skipped: { name: string | null; reason: string; code?: string }[] = [];
      const dir = path.join(this.deps.tmpDir, 'mail', row.id);
      await mkdir(dir, { recursive: true });
      try {
        for (const [i, att] of files.entries()) {
          ctx.signal.throwIfAborted();
          const name = att.name;
          // Pictures inside an HTML body (logos, signatures) are part of the message, kept with it, not documents.
          if (att.related) {
            skipped.push({ name, reason: 'embedded in the message body' });
            continue;
          }
          if (att.content.length > this.deps.maxFileBytes) {
            skipped.push({ name, reason: `larger than the ${Math.round(this.deps.maxFileBytes / 1048576)} MiB an upload may be`, code: 'file_too_large' });
            continue;
          }
          const file = path.join(dir, `attachment-${i + 1}`);
          await writeFile(file, att.content);
          try {
            const r = await this.deps.intake.accept({ path: file, originalName: name ?? `bijlage-${i + 1}`, size: att.content.length }, { customerId: match.customerId }, MAILBOX, 'email');
            documents.push({ documentId: r.document.id, name, duplicate: r.duplicate });
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            skipped.push({ name, reason: err.message, code: err.code });
          }
          await ctx.progress(i + 1, files.length, name ?? undefined);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      await db.tx(async (q) => {
        for (const d of documents) await mailMessagesRepository.linkDocument(q, row.id, d.documentId, d.name, d.duplicate);
        await mailMessagesRepository.finish(q, row.id, { customerId: match.customerId, skipped: JSON.stringify(skipped), now: nowIso(clock) });
        await this.deps.audit.record(q, {
          actorId: MAILBOX.id,
          action: 'mail.processed',
          subjectType: 'mail-message',
          subjectId: row.id,
          customerId: match.customerId,
          details: { documents: documents.map((d) => d.documentId), skipped: skipped.length, customerBy: match.by },
        });
      });
    } catch (err) {
      const message = (err as Error).message.slice(0, 1000);
      const last = job.attempts >= job.maxAttempts && !ctx.signal.aborted;
      await db.tx((q) => (last ? mailMessagesRepository.fail(q, row.id, message, nowIso(clock)) : mailMessagesRepository.noteError(q, row.id, message, nowIso(clock))));
      if (last) this.deps.logger?.error({ err, message: row.id }, 'e-mail could not be taken in; reported, left in the mailbox');
      throw err;
    }
  }

  private async matchCustomer(sender: string) {
    const { db } = this.deps;
    const domain = mailDomain(sender);
    return matchSender(
      (await mailMessagesRepository.customersByEmail(db, sender)).map((c) => c.id),
      domain ? (await mailMessagesRepository.customersByDomain(db, domain)).map((c) => c.id) : [],
      domain,
    );
  }

  /**
   * For the operator: configuration (no password), the last poll, counts and messages with their
   * documents and errors, restricted customers' messages blanked for all but compliance and admin
   * (mail-intake-view.ts).
   */
  async status(f: { status?: MailMessageRow['status']; limit: number; offset: number }, actor?: Principal) {
    const { db, queue } = this.deps;
    return mailIntakeView(db, queue, this.deps.config, { lease: (await this.lease?.view()) ?? null, lastPoll: this.last }, f, actor);
  }
}

/** The message's key: its Message-ID, or the whole message when it has none (then an identical copy is the same message). */
export function messageKey(messageId: string | undefined, source: Uint8Array | null): string {
  const mid = messageId?.trim();
  if (!mid && !source) throw new Error('a message without Message-ID is keyed by its bytes');
  return sha256(mid ? `message-id:${mid}` : `eml:${sha256(source!)}`);
}
