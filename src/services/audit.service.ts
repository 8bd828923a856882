import type { Logger } from 'pino';
import type { CheckpointLog } from '../adapters/audit/checkpoint-log.js';
import type { Database, Queryable } from '../db/database.js';
import { auditRepository, type AuditFilter } from '../db/audit.repository.js';
import { checkpointValid, eventHash, GENESIS_HASH, keyId, signCheckpoint, type Checkpoint } from '../domain/audit-chain.js';
import { nowIso, type Clock } from './clock.js';

export type AuditEvent = {
  actorId: string | null;
  action: string;
  subjectType: string;
  subjectId?: string | null;
  customerId?: string | null;
  details?: Record<string, unknown>;
};

/** Events recorded on their own that share one transaction at most (recordNow). */
const GROUP_MAX = 100;

/** The key and the checkpoint log, both outside the database (issue #14). */
export type AuditSeal = { key: Buffer; checkpoints: CheckpointLog; logger?: Logger; checkpointEveryMs?: number };

export type VerifyResult = {
  ok: boolean;
  checked: number;
  firstBadEvent?: { seq: number; reason: string };
  /** From this event on hashes are keyed (HMAC); null when the log is not sealed. */
  keyedFrom: number | null;
  checkpoints: { count: number; lastSeq: number | null; lastAt: string | null };
  /** Events newer than the last checkpoint: only these could be cut off unnoticed. */
  afterLastCheckpoint: number;
};

/**
 * The audit log: every write that matters and every read of a dossier or document is an event,
 * chained by hash so an edited, inserted or deleted row breaks verification. With a seal the
 * hashes are keyed with a secret the database does not hold, so a rewrite with recomputed
 * hashes fails too, and signed checkpoints written outside the database catch the newest rows
 * being cut off. The database itself refuses UPDATE and DELETE on audit rows (migration 009).
 */
export class AuditService {
  private keyedFrom: number | null = null;
  private lastCheckpointSeq = -1;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Events waiting for the next group transaction (recordNow), and whether one is under way. */
  private queued: { e: AuditEvent; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly seal?: AuditSeal,
  ) {}

  /**
   * Starts keyed hashing. On the first start with a seal, the next event's sequence becomes the
   * first keyed one and a signed genesis checkpoint pins the unkeyed chain written before it.
   */
  async init(): Promise<void> {
    if (!this.seal) return;
    const log = await this.seal.checkpoints.readAll();
    const genesis = log === 'missing' ? undefined : log.find((c): c is Checkpoint => c?.kind === 'genesis' && checkpointValid(this.seal!.key, c));
    const keying = await auditRepository.keying(this.db);
    if (genesis) {
      this.keyedFrom = genesis.keyedFrom;
      this.lastCheckpointSeq = (log as (Checkpoint | null)[]).reduce((m, c) => Math.max(m, c?.seq ?? -1), -1);
      return;
    }
    if (keying) {
      // Keying started once but its checkpoint log is gone: keep keying; verify reports the loss.
      this.keyedFrom = keying.keyed_from_seq;
      this.seal.logger?.error({ checkpoints: this.seal.checkpoints.where }, 'the audit checkpoint log is missing or unsigned; verification will fail');
      return;
    }
    const key = this.seal.key;
    const at = nowIso(this.clock);
    const pinned = await this.db.tx(async (q) => {
      const last = await auditRepository.last(q);
      const inserted = (await auditRepository.insertKeying(q, (last?.seq ?? 0) + 1, keyId(key), at)).changes > 0;
      // Another process started at the same moment keyed first: take its starting point.
      const row = inserted ? null : await auditRepository.keying(q);
      return { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH, keyedFrom: row?.keyed_from_seq ?? null };
    });
    if (pinned.keyedFrom !== null) {
      this.keyedFrom = pinned.keyedFrom;
      return;
    }
    this.keyedFrom = pinned.seq + 1;
    await this.seal.checkpoints.append(signCheckpoint(key, { kind: 'genesis', seq: pinned.seq, hash: pinned.hash, keyedFrom: this.keyedFrom, at }));
    this.lastCheckpointSeq = pinned.seq;
  }

  /** Appends an event. Pass the transaction's handle so the event commits (or not) with the change it records. */
  async record(q: Queryable, e: AuditEvent): Promise<void> {
    await this.recordAll(q, [e]);
  }

  /**
   * Appends events in their order: the chain's newest row read once, every row chained to the one
   * before in memory and written in one statement per 50, so a group of reads holds the write turn
   * for three round trips, not three per event (under a burst, with every statement slow, a group
   * of ten held it for ~200 ms and every other writer waited behind it).
   */
  private async recordAll(q: Queryable, events: AuditEvent[]): Promise<void> {
    const at = nowIso(this.clock);
    const rows = events.map((e) => ({
      at,
      actor_id: e.actorId,
      action: e.action,
      subject_type: e.subjectType,
      subject_id: e.subjectId ?? null,
      customer_id: e.customerId ?? null,
      details: JSON.stringify(e.details ?? {}),
    }));
    const last = await auditRepository.last(q);
    const key = this.keyedFrom !== null ? this.seal?.key : undefined;
    let seq = last?.seq ?? 0;
    let prev_hash = last?.hash ?? GENESIS_HASH;
    const chained = rows.map((row) => {
      const hash = eventHash(prev_hash, row, key);
      const r = { ...row, seq: ++seq, prev_hash, hash };
      prev_hash = hash;
      return r;
    });
    await auditRepository.insertMany(q, chained);
    this.scheduleCheckpoint();
  }

  /**
   * Records an event in a transaction of its own (reads, which change nothing else), resolved once
   * it has committed. Events recorded while an earlier one waits for its turn or commits share
   * the next transaction (group commit, as databases do for their logs): writes take turns, and
   * every read of a dossier, document or search needs one, so under a burst of reads each waited
   * behind all the others' transactions instead of one.
   */
  recordNow(e: AuditEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ e, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queued.length) {
        const group = this.queued.splice(0, GROUP_MAX);
        try {
          await this.db.tx((q) => this.recordAll(q, group.map((g) => g.e)));
          group.forEach((g) => g.resolve());
        } catch (err) {
          if (group.length === 1) group[0]!.reject(err);
          // One event that cannot be stored must not fail the others: each alone, then.
          else for (const g of group) await this.db.tx((q) => this.record(q, g.e)).then(g.resolve, g.reject);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private scheduleCheckpoint(): void {
    if (!this.seal || this.keyedFrom === null || this.checkpointTimer) return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined;
      this.checkpoint().catch((err: unknown) => this.seal?.logger?.error({ err: { message: (err as Error).message } }, 'audit checkpoint failed'));
    }, this.seal.checkpointEveryMs ?? 10_000);
    this.checkpointTimer.unref();
  }

  /**
   * Writes a signed checkpoint of the newest committed event, if it is newer than the last one.
   * Runs `checkpointEveryMs` after events are recorded and on shutdown; returns the checkpointed sequence.
   */
  checkpoint(): Promise<number | null> {
    if (!this.seal || this.keyedFrom === null) return Promise.resolve(null);
    const seal = this.seal;
    const run = this.writing.then(async () => {
      const last = await auditRepository.last(this.db);
      if (!last || last.seq <= this.lastCheckpointSeq) return last?.seq ?? null;
      await seal.checkpoints.append(signCheckpoint(seal.key, { kind: 'checkpoint', seq: last.seq, hash: last.hash, keyedFrom: this.keyedFrom!, at: nowIso(this.clock) }));
      this.lastCheckpointSeq = last.seq;
      return last.seq;
    });
    this.writing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Writes the last checkpoint and stops the timer (on shutdown, before the database closes). */
  async close(): Promise<void> {
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    await this.checkpoint();
  }

  /**
   * Walks the whole chain against the key and the signed checkpoints; reports the first event
   * that was edited, rewritten, deleted or cut off, or a checkpoint log that was tampered with.
   */
  async verify(): Promise<VerifyResult> {
    const cps: Checkpoint[] = [];
    let keyedFrom: number | null = null;
    const summary = () => ({
      keyedFrom,
      checkpoints: { count: cps.length, lastSeq: cps.length ? cps.reduce((m, c) => Math.max(m, c.seq), 0) : null, lastAt: cps.length ? cps.reduce((a, c) => (c.at > a ? c.at : a), '') : null },
    });
    const bad = (checked: number, seq: number, reason: string, afterLastCheckpoint = 0): VerifyResult => ({ ok: false, checked, firstBadEvent: { seq, reason }, ...summary(), afterLastCheckpoint });

    if (this.seal) {
      const log = await this.seal.checkpoints.readAll();
      const keying = await auditRepository.keying(this.db);
      if (log === 'missing') {
        const any = await auditRepository.last(this.db);
        if (keying || this.keyedFrom !== null) return bad(0, keying?.keyed_from_seq ?? 1, `the signed checkpoint log (${this.seal.checkpoints.where}) is missing`);
        if (any) return bad(0, 1, 'the audit log was never sealed: no signed checkpoint log');
      } else {
        for (const [i, c] of log.entries()) {
          if (!c || !checkpointValid(this.seal.key, c)) {
            const seq = typeof c?.seq === 'number' ? c.seq : 1;
            return bad(0, seq, `checkpoint ${i + 1} of the checkpoint log is damaged or not signed with this instance's audit key${c?.keyId && c.keyId !== keyId(this.seal.key) ? ` (signed with key ${c.keyId})` : ''}`);
          }
          // Order is not checked: the server and the CLI may append checkpoints at once, a little out of order.
          cps.push(c);
        }
        const genesis = cps.find((c) => c.kind === 'genesis');
        if (!genesis) return bad(0, 1, 'the checkpoint log has no genesis checkpoint');
        keyedFrom = genesis.keyedFrom;
        if (cps.some((c) => c.keyedFrom !== keyedFrom)) return bad(0, keyedFrom, 'checkpoints disagree on where keyed hashing starts');
        if (keying && keying.keyed_from_seq !== keyedFrom) {
          return bad(0, Math.min(keying.keyed_from_seq, keyedFrom), `the database says keyed hashing starts at event ${keying.keyed_from_seq}, the signed checkpoints say ${keyedFrom}`);
        }
      }
    }
    const pinned = new Map<number, string>();
    for (const c of cps) {
      if (pinned.has(c.seq) && pinned.get(c.seq) !== c.hash) return bad(0, c.seq, 'two signed checkpoints disagree on this event');
      pinned.set(c.seq, c.hash);
    }
    if (pinned.has(0) && pinned.get(0) !== GENESIS_HASH) return bad(0, 1, 'the genesis checkpoint of an empty log is not the empty hash');

    let prev = GENESIS_HASH;
    let after = 0;
    let checked = 0;
    let expectedSeq: number | null = null;
    let lastSeq = 0;
    for (;;) {
      const rows = await auditRepository.page(this.db, after, 5000);
      if (rows.length === 0) break;
      for (const r of rows) {
        if (expectedSeq !== null && r.seq !== expectedSeq) return bad(checked, expectedSeq, 'event missing (deleted)');
        if (r.prev_hash !== prev) return bad(checked, r.seq, 'chain broken before this event');
        const key = keyedFrom !== null && r.seq >= keyedFrom ? this.seal!.key : undefined;
        if (eventHash(prev, r, key) !== r.hash) return bad(checked, r.seq, key ? 'event content altered (its keyed hash does not match)' : 'event content altered');
        const signed = pinned.get(r.seq);
        if (signed !== undefined && signed !== r.hash) return bad(checked, r.seq, 'event differs from the signed checkpoint (the chain was rewritten)');
        prev = r.hash;
        checked++;
        expectedSeq = r.seq + 1;
        after = r.seq;
        lastSeq = r.seq;
      }
    }
    const lastSigned = cps.reduce((m, c) => Math.max(m, c.seq), 0);
    if (lastSigned > lastSeq) {
      return bad(checked, lastSeq + 1, `events ${lastSeq + 1} to ${lastSigned} are missing: a signed checkpoint names event ${lastSigned} (the newest events were cut off)`);
    }
    return { ok: true, checked, ...summary(), afterLastCheckpoint: cps.length ? lastSeq - lastSigned : checked };
  }

  async query(f: AuditFilter, limit = 100, beforeSeq?: number) {
    const rows = await auditRepository.query(this.db, f, limit, beforeSeq);
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      actorId: r.actor_id,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      customerId: r.customer_id,
      details: JSON.parse(r.details) as Record<string, unknown>,
    }));
  }
}
