import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { run, type JobHelpers, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import type { Logger } from 'pino';
import type { Database } from '../../db/database.js';
import { pgJobsRepository } from '../../db/pg-jobs.repository.js';
import { progressNote, type Job, type JobHandler, type JobRunnerPort, type StartOptions } from '../../services/job-queue.port.js';
import { asError, errorForLog, logRun, queueWaitMs, settleRun, waitOrAbort, type JobOutcome } from '../job-settle.js';
import { graphileLogger, graphilePool, type GraphilePool } from './graphile-pool.js';
import type { PgJobQueue } from './pg-job-queue.js';

type Session = {
  stopping: boolean;
  abandoned: boolean;
  /** Resolves when the runner gives up on handlers that ignored their abort. */
  abandon: Promise<void>;
  giveUp: () => void;
  active: Map<string, AbortController>;
  runners: Runner[];
  poolIds: string[];
  pool: GraphilePool;
  beat: NodeJS.Timeout;
};

export type PgJobRunnerOptions = {
  db: Database & { url: string };
  queue: PgJobQueue;
  logger?: Logger;
  workerId?: string;
  /** How often this process says it is alive (and looks for dead ones). */
  heartbeatMs?: number;
  /** Silence after which another process takes this one's jobs back (default: the queue's, DOSSIER_JOB_WORKER_TIMEOUT_MS). */
  workerTimeoutMs?: number;
  /** graphile-worker's poll when LISTEN/NOTIFY is quiet (jobs that became due, e.g. after backoff). */
  pollMs?: number;
};

/**
 * Runs job handlers on PostgreSQL with graphile-worker (issue #13): one graphile pool per
 * concurrency group, each with the task list of its kinds only, so OCR-heavy ingest and small
 * kinds have concurrencies of their own. Each delivery takes our `jobs` record (running,
 * attempts + 1), runs the handler and settles the record by the embedded queue's rules
 * (PgJobQueue.fail). Delivery is at least once, as on SQLite.
 *
 * Recovery from a SIGKILLed process: graphile only frees a lock after 4 hours, so every runner
 * beats in `job_runners` every `heartbeatMs` and, on the same timer, lifts the graphile locks of
 * runners silent for `workerTimeoutMs` (force_unlock_workers) and queues their jobs again.
 *
 *     const runner = new PgJobRunner({ db, queue, logger });
 *     runner.register('ingest', handler);
 *     await runner.start({ concurrency: 2, groups: [{ name: 'ocr', kinds: ['ingest'], concurrency: 3 }] });
 *     await runner.stop({ graceMs: 10_000 });
 */
export class PgJobRunner implements JobRunnerPort {
  readonly workerId: string;
  private readonly db: Database & { url: string };
  private readonly queue: PgJobQueue;
  private readonly logger?: Logger;
  private readonly heartbeatMs: number;
  private readonly workerTimeoutMs: number;
  private readonly pollMs: number;
  private readonly handlers = new Map<string, JobHandler<never>>();
  private session: Session | null = null;
  private stopped: Promise<void> | null = null;

  constructor(opts: PgJobRunnerOptions) {
    this.db = opts.db;
    this.queue = opts.queue;
    this.logger = opts.logger;
    this.workerId = opts.workerId ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.workerTimeoutMs = opts.workerTimeoutMs ?? opts.queue.workerTimeoutMs;
    this.heartbeatMs = opts.heartbeatMs ?? Math.max(100, Math.floor(this.workerTimeoutMs / 4));
    this.pollMs = opts.pollMs ?? 1000;
  }

  register<P = unknown>(kind: string, handler: JobHandler<P>): this {
    if (this.handlers.has(kind)) throw new Error(`A handler for job kind "${kind}" is already registered`);
    this.handlers.set(kind, handler as JobHandler<never>);
    return this;
  }

  /**
   * Starts one graphile pool per group (kinds without a handler are left out) and one for the
   * remaining kinds with `concurrency`. The heartbeat row is written first, so no job is ever
   * held by a runner that others cannot see.
   */
  async start({ concurrency, groups = [] }: StartOptions): Promise<void> {
    if (this.session) throw new Error('JobRunner is already running');
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
    const grouped = new Set(groups.flatMap((g) => g.kinds));
    const plan = [
      ...groups.map((g) => ({ name: g.name, concurrency: g.concurrency, kinds: g.kinds.filter((k) => this.handlers.has(k)) })),
      { name: 'default', concurrency, kinds: [...this.handlers.keys()].filter((k) => !grouped.has(k)) },
    ].filter((g) => g.kinds.length > 0);
    for (const g of plan) if (!Number.isInteger(g.concurrency) || g.concurrency < 1) throw new Error(`concurrency of job group ${g.name} must be a positive integer`);
    const pool = graphilePool(this.db.url, plan.reduce((n, g) => n + g.concurrency + 2, 2));
    let giveUp!: () => void;
    const s: Session = {
      stopping: false,
      abandoned: false,
      abandon: new Promise<void>((r) => (giveUp = r)),
      giveUp: () => giveUp(),
      active: new Map(),
      runners: [],
      poolIds: [],
      pool,
      beat: setInterval(() => void this.beat(s), this.heartbeatMs),
    };
    s.beat.unref();
    this.session = s;
    this.stopped = null;
    try {
      await this.db.tx((q) => pgJobsRepository.beat(q, this.workerId, []));
      for (const g of plan) {
        const events: WorkerEvents = new EventEmitter() as WorkerEvents;
        events.on('pool:create', ({ workerPool }) => {
          s.poolIds.push(workerPool.id);
          void this.beat(s);
        });
        const taskList: TaskList = {};
        for (const kind of g.kinds) taskList[kind] = (payload, helpers) => this.execute(s, kind, payload, helpers);
        s.runners.push(
          await run({
            pgPool: pool.pool,
            taskList,
            concurrency: g.concurrency,
            pollInterval: this.pollMs,
            noHandleSignals: true,
            events,
            logger: graphileLogger(this.logger),
            // Our own grace and abort (stop) decide when handlers stop; graphile's must not come first.
            preset: { worker: { gracefulShutdownAbortTimeout: 24 * 3_600_000 } },
          }),
        );
      }
    } catch (err) {
      this.session = null;
      clearInterval(s.beat);
      await Promise.allSettled(s.runners.map((r) => r.stop()));
      await pool.end();
      throw err;
    }
  }

  drain({ graceMs }: { graceMs: number }): Promise<void> {
    return this.stop({ graceMs });
  }

  activeJobs(): string[] {
    return this.session ? [...this.session.active.keys()] : [];
  }

  /**
   * Stops taking jobs, lets running handlers finish for `graceMs`, then aborts them and waits up
   * to `abandonMs` more. A handler that ends by throwing after the abort gives its job back
   * (attempt returned); one that ignores the abort is left `running`, and with this runner's
   * heartbeat row gone, any other runner takes its job back at its next beat.
   */
  stop({ graceMs, abandonMs = 10_000 }: { graceMs: number; abandonMs?: number }): Promise<void> {
    const s = this.session;
    if (!s) return this.stopped ?? Promise.resolve();
    this.session = null;
    this.stopped = (async () => {
      s.stopping = true;
      clearInterval(s.beat);
      const all = Promise.allSettled(s.runners.map((r) => r.stop()));
      if (!(await waitOrAbort(all, s.active, graceMs, abandonMs))) {
        s.abandoned = true;
        s.giveUp();
        this.logger?.warn({ jobs: [...s.active.keys()], worker: this.workerId }, 'jobs ignored abort; left running for another runner to recover');
        await all;
      }
      await this.db.tx((q) => pgJobsRepository.forget(q, this.workerId)).catch((err: unknown) => {
        this.logger?.warn({ err: errorForLog(asError(err)), worker: this.workerId }, 'job runner row not removed; others recover it after the timeout');
      });
      await s.pool.end();
    })();
    return this.stopped;
  }

  /** One graphile delivery of our job `payload.id`; throws only when our record could not be settled (graphile then retries). */
  private async execute(s: Session, kind: string, payload: unknown, helpers: JobHelpers): Promise<void> {
    const id = (payload as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') {
      helpers.logger.error(`job ${helpers.job.id} of kind ${kind} has no record id; dropped`);
      return;
    }
    const job = await this.queue.take(id, this.workerId);
    // Done, failed or spent meanwhile (a second delivery after a crash): nothing to run.
    if (!job) return;
    if (s.stopping) {
      await this.queue.release(id, this.workerId, 'released unstarted at shutdown');
      return;
    }
    await this.run(s, job);
  }

  private async run(s: Session, job: Job): Promise<void> {
    const handler = this.handlers.get(job.kind) as JobHandler | undefined;
    const controller = new AbortController();
    s.active.set(job.id, controller);
    const started = performance.now();
    const waited = queueWaitMs(job);
    const annotations: Record<string, unknown> = {};
    let error: Error | null = null;
    try {
      if (!handler) throw new Error(`No handler for job kind "${job.kind}"`);
      const work = handler(job, {
        signal: controller.signal,
        annotate: (fields) => void Object.assign(annotations, fields),
        progress: (done, total, note) =>
          this.queue.progress(job.id, { done, total, ...progressNote(note) }).then(
            () => undefined,
            (err: unknown) => this.logger?.warn({ id: job.id, err: errorForLog(asError(err)) }, 'job progress not recorded'),
          ),
      });
      // A handler that ignores its abort must not hold graphile's shutdown forever.
      await Promise.race([work, s.abandon]);
    } catch (err) {
      error = asError(err);
    }
    let outcome: JobOutcome = 'settle_error';
    try {
      outcome = await settleRun(this.queue, this.workerId, job, { error, abandoned: s.abandoned, interruptedByStop: controller.signal.aborted && s.stopping });
    } catch (err) {
      // The database refused the final write: graphile retries this delivery with its backoff.
      outcome = 'settle_error';
      error ??= asError(err);
      throw err;
    } finally {
      s.active.delete(job.id);
      logRun(this.logger, job, { outcome, error, ms: performance.now() - started, queueWaitMs: waited, annotations });
    }
  }

  /** Says this process is alive, then hands back the jobs of runners that are not. */
  private beating = false;
  private async beat(s: Session): Promise<void> {
    // One beat at a time; it is one upsert outside tx(), so it never queues behind the write lock
    // (a late beat would make a live runner look dead and its jobs run twice).
    if (s.stopping || this.beating) return;
    this.beating = true;
    try {
      await pgJobsRepository.beat(this.db, this.workerId, s.poolIds);
      const recovered = await this.queue.recoverDead(this.workerTimeoutMs);
      if (recovered.requeued || recovered.failed) this.logger?.warn({ ...recovered, worker: this.workerId }, 'recovered jobs of a runner that stopped beating');
    } catch (err) {
      this.logger?.warn({ err: errorForLog(asError(err)), worker: this.workerId }, 'job heartbeat failed');
    } finally {
      this.beating = false;
    }
  }
}
