import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Principal } from './domain/roles.js';
import { createApp } from './http/app.js';
import { metaRoutes } from './http/meta.routes.js';
import type { HealthService } from './services/health.service.js';

/**
 * What each `DOSSIER_ROLE` does (issue #13). `api` serves HTTP and the web UI and runs no jobs,
 * no OCR engine and no background intake: an upload is stored and queued, and a worker does the
 * rest. `worker` runs jobs, the schedules, the webhook dispatcher and background intake (scanner
 * inbox, IMAP), and answers only `/api/health`. `all` is one process doing both, as always.
 */
export const runsJobs = (role: Config['role']): boolean => role !== 'api';

/**
 * On SQLite a `worker` may share the file with other processes on one machine, so a job counts as
 * orphaned only when its lock is older than this (the runner refreshes locks every 30 s). With one
 * process (`all`) every running job at start-up is an orphan, as before. PostgreSQL's runner
 * decides by heartbeat rows and ignores the age.
 */
export const SHARED_QUEUE_STALE_MS = 120_000;

/** How often a `worker` looks for jobs another, vanished, process left running. */
export const RECOVER_EVERY_MS = 60_000;

/**
 * The HTTP face of a `worker`: readiness only, for the orchestrator; no API, no web UI.
 *
 *     const app = workerApp({ health, version, logger, jsonLimitBytes, authenticate });
 */
export function workerApp(opts: {
  health: HealthService;
  version: string;
  logger: Logger;
  jsonLimitBytes: number;
  authenticate: (token: string) => Promise<Principal | null>;
}) {
  return createApp({
    routes: metaRoutes(opts.version, opts.health),
    authenticate: opts.authenticate,
    logger: opts.logger,
    jsonLimitBytes: opts.jsonLimitBytes,
    version: opts.version,
  });
}
