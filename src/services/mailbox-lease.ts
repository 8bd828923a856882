/**
 * Who reads a mailbox on schedule when several worker processes run (DOSSIER_ROLE=worker): a
 * lease row in the database (leases.repository.ts), taken or renewed before each pass and valid
 * for LEASE_ROUNDS poll intervals. The others skip their rounds while it runs and take it over
 * once it has expired (the holder died) or was given back (the holder stopped). A row rather than
 * a PostgreSQL advisory lock: the same on SQLite, no pooled session held, and readable by the
 * operator.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ImapConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { leasesRepository } from '../db/leases.repository.js';
import type { Clock } from './clock.js';

/** A mailbox's lease lasts this many poll intervals: a holder that misses two rounds in a row is taken over. */
export const LEASE_ROUNDS = 3;

/** Who reads the mailbox on schedule, for the operator (several worker processes: only one at a time). */
export type MailboxLeaseView = { holder: string; thisProcess: boolean; acquiredAt: string; renewedAt: string; expiresAt: string };

const leaseName = (cfg: ImapConfig) => `imap:${cfg.user}@${cfg.host}:${cfg.port}/${cfg.mailbox}`;

export class MailboxLease {
  private holding = false;
  private renewedAt = 0;

  constructor(
    private readonly deps: { db: Database; clock: Clock; logger?: Logger },
    private readonly cfg: ImapConfig,
    /** Who this process is on the lease; host/pid/random by default. */
    readonly holderId = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
  ) {}

  /** Takes or renews the lease for LEASE_ROUNDS intervals; false while another process holds it. */
  async hold(): Promise<boolean> {
    const { cfg } = this;
    const name = leaseName(cfg);
    const now = this.deps.clock.now();
    const { held, before } = await this.deps.db.tx(async (q) => {
      const before = await leasesRepository.get(q, name);
      const held = await leasesRepository.acquire(q, { name, holder: this.holderId, now: now.toISOString(), expiresAt: new Date(now.getTime() + LEASE_ROUNDS * cfg.intervalMs).toISOString() });
      return { held, before };
    });
    if (held && !this.holding) this.deps.logger?.info({ mailbox: cfg.mailbox, holder: this.holderId, previous: before && before.holder !== this.holderId ? before.holder : null }, 'this process now reads the mailbox');
    if (!held && this.holding) this.deps.logger?.warn({ mailbox: cfg.mailbox, holder: before?.holder }, 'the mailbox lease expired and another process took it over');
    this.holding = held;
    if (held) this.renewedAt = now.getTime();
    return held;
  }

  /**
   * Within a long pass (a full mailbox after downtime), the holder renews its lease every interval,
   * so no other worker takes over and reads alongside; false once it was lost (the pass stops).
   */
  async stillHeld(): Promise<boolean> {
    if (!this.holding || this.deps.clock.now().getTime() - this.renewedAt < this.cfg.intervalMs) return true;
    return this.hold();
  }

  /** Given back, so another worker reads on at its next round instead of waiting for the lease to expire. */
  async giveBack(): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    await this.deps.db.tx((q) => leasesRepository.release(q, leaseName(this.cfg), this.holderId)).catch((err: unknown) => this.deps.logger?.warn({ err }, 'mailbox lease not given back; it expires'));
  }

  /** The lease as it stands, for the operator view. */
  async view(): Promise<MailboxLeaseView | null> {
    const lease = await leasesRepository.get(this.deps.db, leaseName(this.cfg));
    return lease ? { holder: lease.holder, thisProcess: lease.holder === this.holderId, acquiredAt: lease.acquired_at, renewedAt: lease.renewed_at, expiresAt: lease.expires_at } : null;
  }
}
