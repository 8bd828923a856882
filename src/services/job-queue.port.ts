import type { Queryable } from '../db/database.js';
import type { JobStatus } from '../db/jobs.repository.js';
import { AppError } from '../errors.js';

export type { JobStatus } from '../db/jobs.repository.js';

/**
 * The job queue and job runner as the services, routes and the wiring in dossierlink.ts see them
 * (issue #13). Two engines implement them: the embedded SQLite queue (src/jobs/job-queue.ts and
 * worker-pool.ts) and graphile-worker on PostgreSQL (src/jobs/pg/). Services depend on these
 * types only, never on a concrete queue.
 */

/**
 * How far a running job is. `note` is English, for integrations and logs; `noteCode` with
 * `noteParams` is the same note as a code the interface says in the user's language
 * (`jobs.note.<code>`), absent for notes that are a plain name (a mail attachment's file name).
 */
export type JobProgress = { done: number; total: number; note?: string; noteCode?: string; noteParams?: Record<string, string | number> };

/** A progress note as a code with its parameters and the English `text` the API's `note` carries. */
export type ProgressNote = { code: string; params?: Record<string, string | number>; text: string };

/** The fields of JobProgress a handler's note fills: a plain string is a note without a code. */
export function progressNote(note: string | ProgressNote | undefined): Pick<JobProgress, 'note' | 'noteCode' | 'noteParams'> {
  if (note === undefined) return {};
  if (typeof note === 'string') return { note };
  return { note: note.text, noteCode: note.code, ...(note.params ? { noteParams: note.params } : {}) };
}

/** A job as the queue hands it out; `attempts` counts the current run once claimed. */
export type Job<P = unknown> = {
  id: string;
  kind: string;
  payload: P;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  runAfter: string;
  lockedBy: string | null;
  lockedAt: string | null;
  /** The last failure as the server wrote it: English, with its stack. */
  lastError: string | null;
  /** The same failure as a code (`error.<code>` in the interface) and its parameters. */
  lastErrorCode: string | null;
  lastErrorDetails: Record<string, unknown> | null;
  progress: JobProgress | null;
  idempotencyKey: string | null;
  createdAt: string;
  updatedAt: string;
};

export type NewJob = { kind: string; payload: object; idempotencyKey?: string; maxAttempts?: number; runAfter?: Date };

export type JobCounts = {
  byStatus: Record<JobStatus, number>;
  byKind: Record<string, Record<JobStatus, number>>;
};

export type JobFilter = { status?: JobStatus; kind?: string; limit: number; offset: number };

/** What enqueuing code and the operator's screens need from a queue. */
export interface JobQueuePort {
  /**
   * Adds a job through the caller's handle, so it commits or rolls back with the row it concerns.
   * With an idempotency key already used, returns that job instead (`created: false`).
   *
   *     await db.tx((q) => queue.enqueue(q, { kind: 'ingest', payload: { documentId }, idempotencyKey: `ingest:${documentId}` }))
   */
  enqueue(q: Queryable, job: NewJob): Promise<{ id: string; created: boolean }>;
  /** One job, or null. */
  get<P = unknown>(id: string): Promise<Job<P> | null>;
  /** Newest first, optionally by status and kind; `limit` is clamped to 1..500. */
  list(f: JobFilter): Promise<Job[]>;
  /** How many jobs there are per status, overall and per kind. */
  counts(): Promise<JobCounts>;
  /** Operator action: a failed job back to the queue with a fresh set of attempts; false if it is not failed. */
  retry(id: string): Promise<boolean>;
  /** Stores progress of a running job for `get`/`list` to show; false if the job is not running. */
  progress(id: string, p: JobProgress): Promise<boolean>;
  /**
   * Puts jobs whose worker died back in the queue (or fails those on their last attempt). SQLite:
   * jobs whose lock is older than `olderThanMs` (0 at start-up, when this process is the only
   * one). PostgreSQL: jobs held by workers whose heartbeat stopped, whatever `olderThanMs` says,
   * since other processes may be running jobs right now.
   */
  recoverStale(olderThanMs: number): Promise<{ requeued: number; failed: number }>;
}

export type JobContext = {
  /** Aborted when the runner stops and the grace period is over; stop work and throw. */
  signal: AbortSignal;
  /** Records progress on the job row (`queue.get(id).progress`); failures to record are logged, not thrown. */
  progress(done: number, total: number, note?: string | ProgressNote): Promise<void>;
  /** Adds fields (numbers, no document text) to the job's one log line, e.g. time per stage. */
  annotate?(fields: Record<string, unknown>): void;
};

/**
 * Does the work of one job kind. Delivery is at least once: after a crash, a retry or a lost lock
 * the same job runs again, possibly after part of its work was done, so a handler must be
 * idempotent (upsert by key, check state before acting, write results under content hashes).
 * Throwing fails the run (retried with backoff until max attempts).
 */
export type JobHandler<P = unknown> = (job: Job<P>, ctx: JobContext) => Promise<void>;

/**
 * Kinds that get a concurrency of their own, apart from the shared pool: OCR-heavy ingest must not
 * wait behind an import or a sweep, nor they behind it.
 */
export type JobGroup = { name: string; kinds: string[]; concurrency: number };

export type StartOptions = {
  /** Jobs run at once by this process for kinds in no group. */
  concurrency: number;
  /** Kinds with a concurrency of their own (PostgreSQL: one graphile-worker pool each). */
  groups?: JobGroup[];
};

/** What runs handlers in a process. */
export interface JobRunnerPort {
  readonly workerId: string;
  /** Sets the handler of a kind; the runner only takes kinds it has a handler for. */
  register<P = unknown>(kind: string, handler: JobHandler<P>): this;
  /** Starts taking jobs. */
  start(opts: StartOptions): void | Promise<void>;
  /**
   * Stops taking jobs, lets running handlers finish for `graceMs`, then aborts their signals; a
   * handler stopped that way gives its job back to the queue (attempt returned).
   */
  stop(opts: { graceMs: number; abandonMs?: number }): Promise<void>;
  /**
   * A worker's SIGTERM: stops taking jobs and waits up to `graceMs` for the running ones, as `stop`.
   *
   *     await runner.drain({ graceMs: 30_000 })
   */
  drain(opts: { graceMs: number }): Promise<void>;
  /** Ids of the jobs this process runs right now. */
  activeJobs(): string[];
}

/**
 * A failure that cannot succeed on retry (a damaged file, one locked with a password): the job
 * fails at once with its reason instead of spending its remaining attempts. Throw it from a
 * handler, or throw a 4xx AppError about the input (`Invalid`, `UnsupportedMediaType`,
 * `UnknownReference`), which counts the same.
 *
 *     throw new PermanentJobError('The PDF is damaged: no page tree');
 */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** Whether retrying `err` is pointless: see PermanentJobError. Timeouts, I/O and 5xx errors stay retryable. */
export function isPermanentFailure(err: unknown): boolean {
  if (err instanceof PermanentJobError) return true;
  return err instanceof AppError && [400, 413, 415, 422].includes(err.status);
}
