import type { ObjectStore } from '../adapters/object-store/object-store.js';
import type { Database } from '../db/database.js';
import { healthRepository } from '../db/instance.repository.js';
import type { JobQueuePort } from './job-queue.port.js';

export type ProcessRole = 'all' | 'api' | 'worker';

export type Health = {
  status: 'ok' | 'unavailable';
  version: string;
  role: ProcessRole;
  database: { dialect: 'sqlite' | 'postgres'; reachable: boolean; error?: string };
  objectStore: { kind: 'local' | 's3'; reachable: boolean; error?: string };
  queue: { queued: number; running: number; failed: number } | null;
  /** A worker that received SIGTERM: it takes no new jobs and finishes the ones it runs. */
  draining: boolean;
  /** Jobs this process is running right now (0 for `api`). */
  activeJobs: number;
};

// No object has this name: a stat of it costs one round trip and answers null when the store is up.
const PROBE = '0'.repeat(64);

/** Resolves with `p`'s value, or rejects once `ms` passed: a hung S3 or database must not hang the probe. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// /api/health needs no token: say what failed, never the driver's words (host names, user names, bucket).
const reason = (err: unknown) => {
  const m = err instanceof Error ? err.message : '';
  return /did not answer within/.test(m) ? m : 'the request failed (details in the server log)';
};

/**
 * Readiness per process role (issue #13): a load balancer or orchestrator asks `/api/health`
 * and takes the process out of rotation on 503. It checks what this role needs: the database
 * and the object store always, and reports the queue depth so operators see a backlog. Answers
 * are shared for `cacheMs`, since probes come often and the queue count scans the jobs table.
 *
 *     const h = await health.check(); // { status: 'ok', role: 'worker', queue: { queued: 3, … } }
 */
export class HealthService {
  private cached: { at: number; value: Promise<Health> } | null = null;
  private drainingFlag = false;

  constructor(
    private readonly deps: {
      db: Database;
      store: ObjectStore;
      queue: JobQueuePort;
      role: ProcessRole;
      version: string;
      /** The jobs this process runs right now (the job runner's list). */
      activeJobs?: () => number;
      timeoutMs?: number;
      cacheMs?: number;
      now?: () => number;
      /** Where the driver's own words about a failed probe go (the answer leaves them out). */
      logger?: { warn(obj: object, msg: string): void };
    },
  ) {}

  /** Called at SIGTERM of a worker: health says 503 `draining` from now on, so nothing routes work here. */
  markDraining(): void {
    this.drainingFlag = true;
    this.cached = null;
  }

  async check(): Promise<Health> {
    const now = (this.deps.now ?? Date.now)();
    if (!this.cached || now - this.cached.at >= (this.deps.cacheMs ?? 1000)) this.cached = { at: now, value: this.probe() };
    // The process's own jobs are counted fresh: that costs nothing and a drain watches it fall.
    return { ...(await this.cached.value), activeJobs: this.deps.activeJobs?.() ?? 0 };
  }

  private async probe(): Promise<Health> {
    const { db, store, queue, role, version } = this.deps;
    const ms = this.deps.timeoutMs ?? 2000;
    const database: Health['database'] = { dialect: db.dialect, reachable: true };
    const objectStore: Health['objectStore'] = { kind: store.kind, reachable: true };
    let depth: Health['queue'] = null;
    await Promise.all([
      within(healthRepository.ping(db), ms, 'the database').catch((err) => (this.deps.logger?.warn({ err: String(err) }, 'health: the database did not answer'), Object.assign(database, { reachable: false, error: reason(err) }))),
      within(store.stat(PROBE), ms, 'the object store').catch((err) => (this.deps.logger?.warn({ err: String(err) }, 'health: the object store did not answer'), Object.assign(objectStore, { reachable: false, error: reason(err) }))),
      within(queue.counts(), ms, 'the job queue').then(
        (c) => (depth = { queued: c.byStatus.queued, running: c.byStatus.running, failed: c.byStatus.failed }),
        () => undefined,
      ),
    ]);
    const ok = database.reachable && objectStore.reachable && !this.drainingFlag;
    return { status: ok ? 'ok' : 'unavailable', version, role, database, objectStore, queue: depth, draining: this.drainingFlag, activeJobs: 0 };
  }
}
