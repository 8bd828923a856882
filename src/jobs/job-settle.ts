import type { Logger } from 'pino';
import { isPermanentFailure, type Job } from '../services/job-queue.port.js';

/**
 * What both job runners (the embedded JobRunner and PostgreSQL's PgJobRunner) do alike once a
 * handler has ended, and when they stop: settling the job's record by the same rules, the one log
 * line per run, and the grace → abort → abandon sequence of a stop. How each one claims, beats
 * and shuts its own machinery down stays in its file.
 */

/** How one run ended, as logged: `lost` = the lock was taken over meanwhile, nothing was written. */
export type JobOutcome = 'done' | 'retry' | 'failed' | 'interrupted' | 'lost' | 'abandoned' | 'settle_error';

/** The record writes a runner settles a run with; both queues answer false when the job is no longer this runner's. */
export type SettlingQueue = {
  complete(id: string, workerId: string): Promise<boolean>;
  release(id: string, workerId: string, note: string): Promise<boolean>;
  fail(id: string, workerId: string, error: Error): Promise<boolean>;
};

export const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
// Logs carry the error class and a short message only: messages can echo payload or document text.
export const errorForLog = (e: Error) => ({ name: e.name, message: e.message.slice(0, 200) });

/** Resolves true if `p` settles within `ms`, false otherwise; never leaves a timer behind. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms))));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes how a run ended: done; given back when the handler stopped on a shutdown's abort (the
 * attempt is not counted); failed or due for a retry by the queue's rules; `lost` when another
 * runner holds the job now; nothing when the stop abandoned it. Throws when the database refuses
 * the write (the caller decides what recovers it).
 */
export async function settleRun(
  queue: SettlingQueue,
  workerId: string,
  job: Job,
  r: { error: Error | null; abandoned: boolean; interruptedByStop: boolean },
): Promise<JobOutcome> {
  if (r.abandoned) return 'abandoned';
  if (!r.error) return (await queue.complete(job.id, workerId)) ? 'done' : 'lost';
  if (r.interruptedByStop) return (await queue.release(job.id, workerId, 'interrupted by shutdown')) ? 'interrupted' : 'lost';
  if (await queue.fail(job.id, workerId, r.error)) return job.attempts >= job.maxAttempts || isPermanentFailure(r.error) ? 'failed' : 'retry';
  return 'lost';
}

/** How long the job sat ready in the queue before a runner took it (runAfter is when it became due); taken when the run starts. */
export function queueWaitMs(job: Job): number | undefined {
  const ms = Math.max(0, Date.now() - Date.parse(job.runAfter));
  return Number.isFinite(ms) ? ms : undefined;
}

/** The one log line per run. */
export function logRun(logger: Logger | undefined, job: Job, r: { outcome: JobOutcome; error: Error | null; ms: number; queueWaitMs: number | undefined; annotations: Record<string, unknown> }): void {
  const line = {
    kind: job.kind,
    id: job.id,
    attempt: job.attempts,
    ms: Math.round(r.ms),
    queueWaitMs: r.queueWaitMs,
    outcome: r.outcome,
    ...r.annotations,
    ...(r.error ? { err: errorForLog(r.error) } : {}),
  };
  if (r.outcome === 'done') logger?.info(line, 'job');
  else if (r.outcome === 'failed' || r.outcome === 'settle_error') logger?.error(line, 'job');
  else logger?.warn(line, 'job');
}

/**
 * A stop's wait for running handlers: `graceMs` to finish on their own, then their signals are
 * aborted and they get `abandonMs` more. True when they all ended; false when some ignored the
 * abort (the caller then abandons them: their results are discarded, their jobs recovered).
 */
export async function waitOrAbort(settled: Promise<unknown>, active: Map<string, AbortController>, graceMs: number, abandonMs: number): Promise<boolean> {
  if (await settlesWithin(settled, graceMs)) return true;
  for (const c of active.values()) c.abort(new Error('job runner stopping'));
  return settlesWithin(settled, abandonMs);
}
