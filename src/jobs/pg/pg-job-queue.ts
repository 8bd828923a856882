import type { Database, Queryable } from '../../db/database.js';
import { jobsRepository } from '../../db/jobs.repository.js';
import { pgJobsRepository } from '../../db/pg-jobs.repository.js';
import type { Clock } from '../../services/clock.js';
import type { Job, JobCounts, JobFilter, JobProgress, JobQueuePort, NewJob } from '../../services/job-queue.port.js';
import { isPermanentFailure } from '../../services/job-queue.port.js';
import { jobFailure, JobQueue, retryDelayMs, toJob } from '../job-queue.js';

/**
 * The job queue on PostgreSQL (issue #13), on graphile-worker rather than pg-boss because
 * graphile-worker's `add_job()` is a SQL function: it runs on the caller's transaction handle, so
 * a job commits or rolls back with the row it concerns (pg-boss can too, but only by handing it a
 * db adapter per call); its claims are `FOR UPDATE SKIP LOCKED` and idle workers wake on
 * LISTEN/NOTIFY instead of polling; `job_key` gives at most one waiting delivery per key; failed
 * deliveries back off exponentially and are kept once their attempts are spent. It needs no
 * Redis and no process of its own, and its schema is versioned and migrated by itself.
 *
 * Our `jobs` table (the same shape as SQLite's) stays the record of each job beside it: graphile
 * deletes a job once it succeeded, and keeps neither progress nor a history an operator can list,
 * while GET /api/jobs, the UI's done/failed/running view with progress, the operator's retry and
 * the document recovery in documents.repository all read `jobs` on both engines. So graphile
 * delivers (claim, wake-up, lock, run_at) and `jobs` records: a graphile job's payload is only
 * our id, and its job_key is our id too. The policy that was ours stays ours and the same on both
 * engines: idempotency keys (a unique column, so a repeat returns the first job's id), backoff
 * with jitter, permanent failures at once, max attempts, the operator's retry.
 *
 *     const queue = new PgJobQueue({ db, clock });
 *     await db.tx((q) => queue.enqueue(q, { kind: 'ingest', payload: { documentId }, idempotencyKey: `ingest:${documentId}` }));
 */
export class PgJobQueue implements JobQueuePort {
  /** The record in `jobs`: its reads, validation and SQL are the embedded queue's, on PostgreSQL. */
  readonly record: JobQueue;
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly random: () => number;
  /** Silence after which a runner's jobs are taken back (DOSSIER_JOB_WORKER_TIMEOUT_MS). */
  readonly workerTimeoutMs: number;

  constructor(deps: { db: Database; clock: Clock; random?: () => number; workerTimeoutMs?: number }) {
    if (deps.db.dialect !== 'postgres') throw new Error('PgJobQueue needs a PostgreSQL database');
    this.db = deps.db;
    this.clock = deps.clock;
    this.random = deps.random ?? Math.random;
    this.workerTimeoutMs = deps.workerTimeoutMs ?? 30_000;
    this.record = new JobQueue(deps);
  }

  /**
   * Records the job and schedules its delivery on the caller's handle: both commit or roll back
   * with the caller's transaction. A repeated idempotency key returns the first job (`created: false`).
   *
   *     await db.tx((q) => queue.enqueue(q, { kind: 'ocr', payload: { documentId: 'doc_1' }, idempotencyKey: 'ocr:doc_1' }))
   */
  async enqueue(q: Queryable, job: NewJob): Promise<{ id: string; created: boolean }> {
    // Outside a transaction the record and its delivery still go in together, or neither.
    if (q === this.db) return this.db.tx((t) => this.enqueue(t, job));
    const r = await this.record.enqueue(q, job);
    if (r.created) {
      const delayMs = job.runAfter ? job.runAfter.getTime() - this.clock.now().getTime() : 0;
      await pgJobsRepository.deliver(q, job.kind, r.id, delayMs);
    }
    return r;
  }

  /**
   * Operator action: a failed job back to the queue with fresh attempts, delivered now.
   *
   *     await queue.retry('job_01…') // true
   */
  retry(id: string): Promise<boolean> {
    const now = this.clock.now().toISOString();
    return this.db.tx(async (q) => {
      const row = await jobsRepository.get(q, id);
      if (!row || !(await jobsRepository.retryFailed(q, id, now))) return false;
      await pgJobsRepository.deliver(q, row.kind, id, 0);
      return true;
    });
  }

  /**
   * Hands back the jobs of runner processes that stopped beating for `workerTimeoutMs`: their
   * graphile locks are lifted and their `running` jobs go back to the queue (or fail on their last
   * attempt). `olderThanMs` of the port is not used: other processes may be running jobs now.
   *
   *     await queue.recoverDead(30_000) // { requeued: 1, failed: 0 }
   */
  recoverDead(workerTimeoutMs: number): Promise<{ requeued: number; failed: number }> {
    const now = this.clock.now().toISOString();
    return this.db.tx(async (q) => {
      await pgJobsRepository.unlockDead(q, workerTimeoutMs);
      const { requeued, failed } = await pgJobsRepository.releaseOrphans(q, now);
      for (const j of requeued) await pgJobsRepository.deliver(q, j.kind, j.id, 0);
      return { requeued: requeued.length, failed };
    });
  }

  /** Takes job `id` for `runnerId` when graphile delivers it; undefined if it is done, failed or spent. */
  async take<P>(id: string, runnerId: string): Promise<Job<P> | undefined> {
    const row = await this.db.tx((q) => pgJobsRepository.take(q, id, runnerId, this.clock.now().toISOString()));
    return row ? toJob<P>(row) : undefined;
  }

  /** Marks a job done; false (and nothing changed) unless `runnerId` still holds it. */
  complete(id: string, runnerId: string): Promise<boolean> {
    return jobsRepository.markDone(this.db, id, runnerId, this.clock.now().toISOString());
  }

  /**
   * A failed run, by the same rules as the embedded queue: failed at once when permanent or on the
   * last attempt, else queued again after `retryDelayMs` (jittered) with its next delivery
   * scheduled in the same transaction. False unless `runnerId` still holds the job.
   */
  fail(id: string, runnerId: string, error: Error): Promise<boolean> {
    const failure = jobFailure(error);
    return this.db.tx(async (q) => {
      const row = await jobsRepository.heldBy(q, id, runnerId);
      if (!row) return false;
      const now = this.clock.now();
      if (row.attempts >= row.max_attempts || isPermanentFailure(error)) return jobsRepository.markFailed(q, id, runnerId, failure, now.toISOString());
      const delayMs = retryDelayMs(row.attempts, this.random);
      const runAfter = new Date(now.getTime() + delayMs).toISOString();
      if (!(await jobsRepository.scheduleRetry(q, id, runnerId, runAfter, failure, now.toISOString()))) return false;
      await pgJobsRepository.deliver(q, row.kind, id, delayMs);
      return true;
    });
  }

  /** Gives a job back untouched (shutdown stopped it): queued, delivered now, attempt returned. */
  release(id: string, runnerId: string, note: string): Promise<boolean> {
    return this.db.tx(async (q) => {
      const row = await pgJobsRepository.release(q, id, runnerId, note, this.clock.now().toISOString());
      if (row) await pgJobsRepository.deliver(q, row.kind, id, 0);
      return row !== undefined;
    });
  }

  /**
   * At start-up: the jobs of dead runners (recoverDead with DOSSIER_JOB_WORKER_TIMEOUT_MS), and a
   * delivery for queued jobs without one (copied from an embedded instance, or queued by hand).
   */
  async recoverStale(_olderThanMs: number): Promise<{ requeued: number; failed: number }> {
    const r = await this.recoverDead(this.workerTimeoutMs);
    const delivered = await this.db.tx((q) => pgJobsRepository.deliverUndelivered(q));
    return { requeued: r.requeued + delivered, failed: r.failed };
  }

  progress(id: string, p: JobProgress): Promise<boolean> {
    return this.record.progress(id, p);
  }
  get<P = unknown>(id: string): Promise<Job<P> | null> {
    return this.record.get<P>(id);
  }
  list(f: JobFilter): Promise<Job[]> {
    return this.record.list(f);
  }
  counts(): Promise<JobCounts> {
    return this.record.counts();
  }
}
