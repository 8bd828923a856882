import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { progressNote, type Job, type JobHandler, type JobRunnerPort, type StartOptions } from '../services/job-queue.port.js';
import type { JobQueue } from './job-queue.js';
import { asError, errorForLog, logRun, queueWaitMs, settleRun, waitOrAbort, type JobOutcome } from './job-settle.js';

// The handler types moved to the port (issue #13); kept importable from here.
export type { JobContext, JobHandler } from '../services/job-queue.port.js';

// Moved to job-settle.ts, shared with PostgreSQL's runner; kept importable from here.
export type { JobOutcome } from './job-settle.js';

type Session = {
  stopping: boolean;
  abandoned: boolean;
  active: Map<string, AbortController>;
  loops: Promise<void>[];
  heartbeat: NodeJS.Timeout;
  unsubscribe: () => void;
};

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs job handlers from a JobQueue: `concurrency` loops that each claim a job, run its handler,
 * and complete or fail it. Idle loops poll every `pollMs`; `notify()` (wired to the queue's
 * enqueues in this process) wakes them at once. Handlers may run more than once per job: see
 * JobHandler.
 *
 *     const runner = new JobRunner({ queue, logger });
 *     runner.register('ocr', async (job, { signal, progress }) => { ... });
 *     runner.start({ concurrency: 2 });
 *     await runner.stop({ graceMs: 10_000 });
 */
export class JobRunner implements JobRunnerPort {
  readonly workerId: string;
  private readonly queue: JobQueue;
  private readonly logger?: Logger;
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  // Handlers are stored type-erased; register() is where the payload type is chosen.
  private readonly handlers = new Map<string, JobHandler<never>>();
  private session: Session | null = null;
  private stopped: Promise<void> | null = null;
  // A notify between a claim and the following sleep must not be lost: loops compare this counter.
  private wakeSeq = 0;
  private readonly wakers = new Set<() => void>();

  constructor(opts: { queue: JobQueue; logger?: Logger; workerId?: string; pollMs?: number; heartbeatMs?: number }) {
    this.queue = opts.queue;
    this.logger = opts.logger;
    this.workerId = opts.workerId ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.pollMs = opts.pollMs ?? 250;
    this.heartbeatMs = opts.heartbeatMs ?? 30_000;
  }

  /**
   * Sets the handler of a kind; the runner only claims kinds it has a handler for.
   *
   *     runner.register<{ documentId: string }>('ocr', async (job) => ocr(job.payload.documentId));
   */
  register<P = unknown>(kind: string, handler: JobHandler<P>): this {
    if (this.handlers.has(kind)) throw new Error(`A handler for job kind "${kind}" is already registered`);
    this.handlers.set(kind, handler as JobHandler<never>);
    return this;
  }

  /**
   * Starts `concurrency` claim loops. Call `queue.recoverStale(…)` before, at process start.
   * `groups` are not used here: one embedded process shares one pool of loops over every kind.
   *
   *     runner.start({ concurrency: 2 });
   */
  start({ concurrency }: StartOptions): void {
    if (this.session) throw new Error('JobRunner is already running');
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
    const s: Session = {
      stopping: false,
      abandoned: false,
      active: new Map(),
      loops: [],
      heartbeat: setInterval(() => this.beat(s), this.heartbeatMs),
      unsubscribe: this.queue.onEnqueued(() => this.notify()),
    };
    s.heartbeat.unref();
    this.session = s;
    this.stopped = null;
    for (let i = 0; i < concurrency; i++) s.loops.push(this.loop(s));
  }

  /** Wakes idle loops to claim now instead of at the next poll. */
  notify(): void {
    this.wakeSeq++;
    for (const wake of [...this.wakers]) wake();
  }

  /** Ids of the jobs being run right now. */
  activeJobs(): string[] {
    return this.session ? [...this.session.active.keys()] : [];
  }

  /**
   * Stops claiming, lets running handlers finish for `graceMs`, then aborts their signals and
   * waits up to `abandonMs` more. A handler that ends by throwing after the abort gives its job
   * back to the queue (attempt returned). One that ignores the abort even then is left `running`,
   * its eventual result discarded, for `recoverStale` at the next start: either way no job is
   * left half-marked.
   *
   *     await runner.stop({ graceMs: 10_000 });
   */
  stop({ graceMs, abandonMs = 10_000 }: { graceMs: number; abandonMs?: number }): Promise<void> {
    const s = this.session;
    if (!s) return this.stopped ?? Promise.resolve();
    this.session = null;
    this.stopped = (async () => {
      s.stopping = true;
      s.unsubscribe();
      clearInterval(s.heartbeat);
      this.notify();
      if (await waitOrAbort(Promise.all(s.loops), s.active, graceMs, abandonMs)) return;
      s.abandoned = true;
      this.logger?.warn({ jobs: [...s.active.keys()], worker: this.workerId }, 'jobs ignored abort; left running for recoverStale');
    })();
    return this.stopped;
  }

  /** A worker's SIGTERM: `stop` with its grace period. */
  drain({ graceMs }: { graceMs: number }): Promise<void> {
    return this.stop({ graceMs });
  }

  private async loop(s: Session): Promise<void> {
    let seen = this.wakeSeq;
    while (!s.stopping) {
      const notified = this.wakeSeq !== seen;
      seen = this.wakeSeq;
      let job: Job | null;
      try {
        job = await this.queue.claim(this.workerId, [...this.handlers.keys()], { peek: !notified });
      } catch (err) {
        this.logger?.error({ err: errorForLog(asError(err)), worker: this.workerId }, 'job claim failed');
        await delay(this.pollMs);
        continue;
      }
      if (job && s.stopping) {
        // Claimed while stop() began: hand it back unstarted rather than run into the grace period.
        await this.queue.release(job.id, this.workerId, 'released unstarted at shutdown').catch(() => undefined);
        break;
      }
      if (job) await this.run(s, job);
      else await this.sleep(s, seen);
    }
  }

  private sleep(s: Session, seen: number): Promise<void> {
    if (s.stopping || this.wakeSeq !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.pollMs);
      this.wakers.add(wake);
    });
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
      await handler(job, {
        signal: controller.signal,
        annotate: (fields) => void Object.assign(annotations, fields),
        progress: (done, total, note) =>
          this.queue.progress(job.id, { done, total, ...progressNote(note) }).then(
            () => undefined,
            (err: unknown) => this.logger?.warn({ id: job.id, err: errorForLog(asError(err)) }, 'job progress not recorded'),
          ),
      });
    } catch (err) {
      error = asError(err);
    }
    let outcome: JobOutcome;
    try {
      outcome = await settleRun(this.queue, this.workerId, job, { error, abandoned: s.abandoned, interruptedByStop: controller.signal.aborted && s.stopping });
    } catch (err) {
      // The database refused the final write: the job stays running and recoverStale picks it up.
      outcome = 'settle_error';
      error ??= asError(err);
    } finally {
      s.active.delete(job.id);
    }
    logRun(this.logger, job, { outcome, error, ms: performance.now() - started, queueWaitMs: waited, annotations });
  }

  private beat(s: Session): void {
    const ids = [...s.active.keys()];
    if (ids.length === 0) return;
    this.queue.heartbeat(ids, this.workerId).catch((err: unknown) => {
      this.logger?.warn({ err: errorForLog(asError(err)), worker: this.workerId }, 'job heartbeat failed');
    });
  }
}
