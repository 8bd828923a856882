import type { Database, Queryable } from '../db/database.js';
import { JOB_STATUSES, jobsRepository, type JobFailure, type JobRow, type JobStatus } from '../db/jobs.repository.js';
import { newId } from '../domain/ids.js';
import { failureRecord, Invalid } from '../errors.js';
import type { Clock } from '../services/clock.js';
import type { Job, JobCounts, JobFilter, JobProgress, JobQueuePort, NewJob } from '../services/job-queue.port.js';
import { isPermanentFailure } from '../services/job-queue.port.js';

// The types and the permanent-failure rule moved to the port (issue #13); kept importable from here.
export type { Job, JobCounts, JobProgress, JobStatus, NewJob } from '../services/job-queue.port.js';
export { isPermanentFailure, PermanentJobError } from '../services/job-queue.port.js';

const DEFAULT_MAX_ATTEMPTS = 5;
const MAX_BACKOFF_MS = 10 * 60_000;
// last_error is for an operator's eyes; a full stack of a deep failure is enough, a megabyte is not.
const MAX_ERROR_CHARS = 2000;

/**
 * Delay before retry number `attempts + 1`: 2^attempts seconds capped at 10 minutes, with
 * "equal jitter" (half fixed, half random) so a burst of failures does not retry in lockstep
 * yet every retry still waits at least half the nominal delay.
 *
 *     retryDelayMs(3, () => 1) // 8000
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** last_error as stored: the stack, cut at MAX_ERROR_CHARS. */
export function describeError(error: Error): string {
  const text = error.stack ?? `${error.name}: ${error.message}`;
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

/**
 * A failed run as the jobs row keeps it: the stack (`describeError`) and, for the operator's
 * screen, the error's code (an AppError's, e.g. `corrupt_pdf`; `job_failed` for any other) with
 * its parameters, as documents keep theirs (`failureRecord`).
 *
 *     jobFailure(new Invalid('The PDF is damaged', undefined, 'corrupt_pdf')) // { text: 'Invalid: The PDF…', code: 'corrupt_pdf', details: null }
 */
export function jobFailure(error: Error): JobFailure {
  const { error_code, error_details } = failureRecord(error, 'job_failed');
  return { text: describeError(error), code: error_code, details: error_details };
}

/** Parses last_error_details, written by `jobFailure` as a JSON object or NULL. */
function parseDetails(raw: string | null): Record<string, unknown> | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A jobs row as the port's Job (JSON columns parsed). */
export function toJob<P>(row: JobRow): Job<P> {
  const progress = JSON.parse(row.progress) as Partial<JobProgress>;
  return {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload) as P,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAfter: row.run_after,
    lockedBy: row.locked_by,
    lockedAt: row.locked_at,
    lastError: row.last_error,
    lastErrorCode: row.last_error_code ?? null,
    lastErrorDetails: parseDetails(row.last_error_details ?? null),
    progress: typeof progress.total === 'number' ? (progress as JobProgress) : null,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export const emptyCounts = (): Record<JobStatus, number> => ({ queued: 0, running: 0, done: 0, failed: 0 });

/**
 * The durable job queue in SQLite. Delivery is at least once: a job can run again after a crash,
 * a lost lock or a retry, so handlers must be idempotent. Every state change by a worker is a
 * compare-and-swap on (status, locked_by), so only the lock holder can finish a job.
 *
 *     const queue = new JobQueue({ db, clock });
 *     await db.tx((q) => queue.enqueue(q, { kind: 'ocr', payload: { documentId }, idempotencyKey: `ocr:${documentId}` }));
 */
export class JobQueue implements JobQueuePort {
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly listeners = new Set<() => void>();

  constructor(deps: { db: Database; clock: Clock; random?: () => number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.random = deps.random ?? Math.random;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  /**
   * Adds a job through the caller's handle, so it commits or rolls back with the row it concerns.
   * With an idempotency key already used, returns that job instead (`created: false`).
   * Inside `db.tx` pass the transaction handle, never `db` itself: the writer lock is not re-entrant.
   *
   *     await queue.enqueue(q, { kind: 'ocr', payload: { documentId: 'doc_1' }, idempotencyKey: 'ocr:doc_1' })
   */
  async enqueue(q: Queryable, job: NewJob): Promise<{ id: string; created: boolean }> {
    if (!job.kind) throw new Invalid('A job needs a kind');
    const maxAttempts = job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Invalid('maxAttempts must be a positive integer', { maxAttempts });
    const now = this.clock.now();
    const id = newId('job', now.getTime());
    const created = await jobsRepository.insert(q, {
      id,
      kind: job.kind,
      payload: JSON.stringify(job.payload),
      max_attempts: maxAttempts,
      run_after: (job.runAfter ?? now).toISOString(),
      idempotency_key: job.idempotencyKey ?? null,
      created_at: now.toISOString(),
    });
    if (created) {
      // Listeners (a JobRunner in this process) claim through the writer lock, which the caller's
      // transaction still holds, so they see the job as soon as it commits and never before.
      this.emitEnqueued();
      return { id, created: true };
    }
    const existing = await jobsRepository.idByKey(q, job.idempotencyKey!);
    return { id: existing!.id, created: false };
  }

  /**
   * Called after every enqueue or operator retry in this process; returns an unsubscribe function.
   *
   *     const off = queue.onEnqueued(() => runner.notify());
   */
  onEnqueued(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emitEnqueued(): void {
    for (const fn of this.listeners) {
      try {
        fn();
      } catch {
        // A listener only speeds pickup up; the job is stored and a poll will find it regardless.
      }
    }
  }

  /**
   * Claims the earliest due queued job of one of `kinds` for `workerId`: running, locked, attempts + 1.
   * `peek` (default true) first asks the reader whether anything is due, so idle polls do not take
   * the writer lock; pass false right after a notify, when the job may still sit in an open
   * transaction on this process's writer, which the claim then waits for.
   *
   *     const job = await queue.claim('worker-1', ['ocr']);
   */
  async claim(workerId: string, kinds: string[], opts: { peek?: boolean } = {}): Promise<Job | null> {
    if (kinds.length === 0) return null;
    if ((opts.peek ?? true) && !(await jobsRepository.anyDue(this.db, kinds, this.now()))) return null;
    const row = await this.db.tx((q) => jobsRepository.claimNext(q, kinds, workerId, this.now()));
    return row ? toJob(row) : null;
  }

  /**
   * Marks a job done; false (and nothing changed) unless `workerId` still holds its lock.
   *
   *     await queue.complete(job.id, 'worker-1') // true
   */
  complete(id: string, workerId: string): Promise<boolean> {
    return jobsRepository.markDone(this.db, id, workerId, this.now());
  }

  /**
   * Records a failed run: back to the queue after `retryDelayMs(attempts)`, or `failed` once
   * max_attempts runs failed, or at once for a permanent failure (`isPermanentFailure`). The
   * error is kept in last_error either way. False unless `workerId` holds the lock.
   *
   *     await queue.fail(job.id, 'worker-1', new Error('OCR engine crashed'))
   */
  fail(id: string, workerId: string, error: Error): Promise<boolean> {
    const failure = jobFailure(error);
    return this.db.tx(async (q) => {
      const row = await jobsRepository.heldBy(q, id, workerId);
      if (!row) return false;
      const now = this.clock.now();
      if (row.attempts >= row.max_attempts || isPermanentFailure(error)) return jobsRepository.markFailed(q, id, workerId, failure, now.toISOString());
      const runAfter = new Date(now.getTime() + retryDelayMs(row.attempts, this.random)).toISOString();
      return jobsRepository.scheduleRetry(q, id, workerId, runAfter, failure, now.toISOString());
    });
  }

  /**
   * Gives a claimed job back, due now and with the attempt returned: for a run that was stopped by
   * shutdown rather than failed by its own doing.
   *
   *     await queue.release(job.id, 'worker-1', 'interrupted by shutdown')
   */
  release(id: string, workerId: string, note: string): Promise<boolean> {
    return jobsRepository.release(this.db, id, workerId, note, this.now());
  }

  /**
   * Refreshes locked_at of jobs `workerId` is still running, so a threshold-based `recoverStale`
   * does not take a long job from a live worker. Returns how many locks were refreshed.
   *
   *     await queue.heartbeat(['job_1'], 'worker-1') // 1
   */
  heartbeat(ids: string[], workerId: string): Promise<number> {
    return jobsRepository.heartbeat(this.db, ids, workerId, this.now());
  }

  /**
   * Stores progress of a running job for `get`/`list` to show; false if the job is not running.
   *
   *     await queue.progress(job.id, { done: 3, total: 12, note: 'page 3' })
   */
  progress(id: string, p: JobProgress): Promise<boolean> {
    const value: JobProgress = {
      done: p.done,
      total: p.total,
      ...(p.note === undefined ? {} : { note: p.note }),
      ...(p.noteCode === undefined ? {} : { noteCode: p.noteCode, ...(p.noteParams ? { noteParams: p.noteParams } : {}) }),
    };
    return jobsRepository.setProgress(this.db, id, JSON.stringify(value), this.now());
  }

  /**
   * Puts jobs left running by a dead process back in the queue (attempt count kept), or fails
   * them if that was their last attempt. At startup, when this process is the only one using the
   * queue, pass 0: every running job is then an orphan.
   *
   *     await queue.recoverStale(0) // { requeued: 2, failed: 0 }
   */
  async recoverStale(olderThanMs: number): Promise<{ requeued: number; failed: number }> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - Math.max(0, olderThanMs)).toISOString();
    const result = await this.db.tx((q) => jobsRepository.recoverStale(q, cutoff, now.toISOString()));
    if (result.requeued > 0) this.emitEnqueued();
    return result;
  }

  /**
   * Operator action: a failed job back to the queue, due now, attempts reset, last_error kept
   * for reference. False if the job is not failed.
   *
   *     await queue.retry('job_01…') // true
   */
  async retry(id: string): Promise<boolean> {
    const ok = await jobsRepository.retryFailed(this.db, id, this.now());
    if (ok) this.emitEnqueued();
    return ok;
  }

  /**
   * Newest first, optionally by status and kind; `limit` is clamped to 1..500.
   *
   *     await queue.list({ status: 'failed', limit: 50, offset: 0 })
   */
  async list(f: JobFilter): Promise<Job[]> {
    if (f.status && !JOB_STATUSES.includes(f.status)) throw new Invalid('Unknown job status', { status: f.status });
    const limit = Math.min(500, Math.max(1, Math.floor(f.limit)));
    const offset = Math.max(0, Math.floor(f.offset));
    const rows = await jobsRepository.list(this.db, { ...f, limit, offset });
    return rows.map((r) => toJob(r));
  }

  /**
   * One job, or null.
   *
   *     (await queue.get(id))?.progress // { done: 3, total: 12 }
   */
  async get<P = unknown>(id: string): Promise<Job<P> | null> {
    const row = await jobsRepository.get(this.db, id);
    return row ? toJob<P>(row) : null;
  }

  /**
   * How many jobs there are per status, overall and per kind.
   *
   *     (await queue.counts()).byKind.ocr?.failed // 0
   */
  async counts(): Promise<JobCounts> {
    const out: JobCounts = { byStatus: emptyCounts(), byKind: {} };
    for (const r of await jobsRepository.counts(this.db)) {
      out.byStatus[r.status] += r.n;
      (out.byKind[r.kind] ??= emptyCounts())[r.status] += r.n;
    }
    return out;
  }
}
