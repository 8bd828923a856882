/**
 * The process that crashes in job-crash.test.ts: opens the database given as argv[2], enqueues
 * JOB_COUNT jobs and runs them with a handler that records its effect, then sleeps; the test
 * SIGKILLs it during one of those sleeps. Prints `ready` and `effect <jobId>` lines on stdout.
 *
 *     node --import tsx test/helpers/job-crash-child.ts /tmp/x/jobs.sqlite
 */
import { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { JobQueue } from '../../src/jobs/job-queue.js';
import { JobRunner } from '../../src/jobs/worker-pool.js';
import { systemClock } from '../../src/services/clock.js';

export const CRASH_KIND = 'crash-test';
export const JOB_COUNT = 12;
// Long enough that a kill sent right after an `effect` line always lands inside the handler.
const SLOW_MS = 400;

/** The side effect the test counts: one row per handler run that got past its first write. */
export const EFFECTS_TABLE = 'CREATE TABLE IF NOT EXISTS crash_effects (job_id TEXT NOT NULL, runner TEXT NOT NULL)';

async function main(dbFile: string): Promise<void> {
  const db = await Database.open(dbFile);
  await migrate(db);
  await db.run(EFFECTS_TABLE);
  const queue = new JobQueue({ db, clock: systemClock });
  await db.tx(async (q) => {
    for (let n = 0; n < JOB_COUNT; n++) await queue.enqueue(q, { kind: CRASH_KIND, payload: { n }, idempotencyKey: `crash:${n}` });
  });
  const runner = new JobRunner({ queue, pollMs: 20 });
  runner.register(CRASH_KIND, async (job) => {
    await db.run('INSERT INTO crash_effects (job_id, runner) VALUES (?, ?)', [job.id, 'child']);
    process.stdout.write(`effect ${job.id}\n`);
    await new Promise((r) => setTimeout(r, SLOW_MS));
  });
  runner.start({ concurrency: 2 });
  process.stdout.write('ready\n');
}

// Imported by the test for its constants; only run when executed as the child.
if (/job-crash-child\.[jt]s$/.test(process.argv[1] ?? '')) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: job-crash-child.ts <db-file>\n');
    process.exit(2);
  }
  main(file).catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
