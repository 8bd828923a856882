/**
 * A job process for the PostgreSQL queue tests (test/postgres/pg-job-queue.test.ts): runs a
 * PgJobRunner on the database given as argv[2] with the name argv[3] for kind `child-work`, whose
 * handler records its effect, prints `effect <jobId>` and sleeps `payload.sleepMs`. Prints `ready`
 * once it takes jobs; the tests SIGKILL it or end it with SIGTERM (a graceful stop).
 *
 *     node --import tsx test/helpers/pg-job-child.ts postgres://…/t_1 child-a 1500
 */
import { PgDatabase } from '../../src/db/pg-database.js';
import { PgJobQueue } from '../../src/jobs/pg/pg-job-queue.js';
import { PgJobRunner } from '../../src/jobs/pg/pg-job-runner.js';
import { systemClock } from '../../src/services/clock.js';

export const CHILD_KIND = 'child-work';
export const CHILD_EFFECTS = 'CREATE TABLE IF NOT EXISTS child_effects (job_id TEXT NOT NULL, runner TEXT NOT NULL)';

async function main(url: string, name: string, workerTimeoutMs: number): Promise<void> {
  const db = await PgDatabase.open(url, { poolSize: 4, searchConnections: 1 });
  const queue = new PgJobQueue({ db, clock: systemClock });
  const runner = new PgJobRunner({ db, queue, workerId: name, workerTimeoutMs, pollMs: 200 });
  runner.register<{ sleepMs?: number }>(CHILD_KIND, async (job) => {
    await db.run('INSERT INTO child_effects (job_id, runner) VALUES (?, ?)', [job.id, name]);
    process.stdout.write(`effect ${job.id}\n`);
    await new Promise((r) => setTimeout(r, job.payload.sleepMs ?? 0));
  });
  await runner.start({ concurrency: 2 });
  process.on('SIGTERM', () => {
    void runner.stop({ graceMs: 5000 }).then(() => db.close()).then(() => process.exit(0));
  });
  process.stdout.write('ready\n');
}

if (/pg-job-child\.[jt]s$/.test(process.argv[1] ?? '')) {
  const [url, name, timeout] = process.argv.slice(2);
  if (!url || !name) {
    process.stderr.write('usage: pg-job-child.ts <database-url> <runner-name> [worker-timeout-ms]\n');
    process.exit(2);
  }
  main(url, name, Number(timeout ?? 30_000)).catch((err: unknown) => {
    process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  });
}
