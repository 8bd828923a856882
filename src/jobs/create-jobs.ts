import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { PgDatabase } from '../db/pg-database.js';
import type { Clock } from '../services/clock.js';
import type { JobQueuePort, JobRunnerPort } from '../services/job-queue.port.js';
import { JobQueue } from './job-queue.js';
import { JobRunner } from './worker-pool.js';

/**
 * The job queue and runner of the database's engine (issue #13): graphile-worker on PostgreSQL
 * (its schema installed here, since API processes enqueue too), the embedded queue on SQLite.
 * graphile-worker and the driver are loaded only on PostgreSQL.
 *
 *     const { queue, runner } = await createJobs(db, { clock, logger, workerTimeoutMs: 30_000 });
 */
export async function createJobs(
  db: Database,
  opts: { clock: Clock; logger?: Logger; workerTimeoutMs: number },
): Promise<{ queue: JobQueuePort; runner: JobRunnerPort }> {
  if (db.dialect === 'postgres') {
    const [{ installJobSchema }, { PgJobQueue }, { PgJobRunner }] = await Promise.all([
      import('./pg/graphile-pool.js'),
      import('./pg/pg-job-queue.js'),
      import('./pg/pg-job-runner.js'),
    ]);
    const pgDb = db as PgDatabase;
    await installJobSchema(pgDb, opts.logger);
    const queue = new PgJobQueue({ db: pgDb, clock: opts.clock, workerTimeoutMs: opts.workerTimeoutMs });
    return { queue, runner: new PgJobRunner({ db: pgDb, queue, logger: opts.logger }) };
  }
  const queue = new JobQueue({ db, clock: opts.clock });
  return { queue, runner: new JobRunner({ queue, logger: opts.logger }) };
}
