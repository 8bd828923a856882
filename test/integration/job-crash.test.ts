// postgres-pass: skip (the SQLite queue on purpose; test/postgres/pg-job-queue.test.ts covers PostgreSQL)
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { JobQueue } from '../../src/jobs/job-queue.js';
import { JobRunner } from '../../src/jobs/worker-pool.js';
import { systemClock } from '../../src/services/clock.js';
import { CRASH_KIND, EFFECTS_TABLE, JOB_COUNT } from '../helpers/job-crash-child.js';
import { nodeEntry, REPO_ROOT } from '../helpers/entry.js';

const CHILD = nodeEntry('test/helpers/job-crash-child.ts');
const KILL_AFTER_EFFECTS = 5;

/** Runs the child until it has produced `effects` handler effects, then SIGKILLs it mid-handler. */
function runChildAndKill(dbFile: string, effects: number, timeoutMs = 15_000): Promise<{ seen: string[] }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [...CHILD, dbFile], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const seen: string[] = [];
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child produced ${seen.length} effects in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^effect (\S+)$/.exec(line);
      if (!m) return;
      seen.push(m[1]!);
      if (seen.length === effects) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && seen.length >= effects) resolve({ seen });
      else reject(new Error(`child exited early (code ${code}, signal ${signal}); stderr: ${stderr}`));
    });
  });
}

describe('job queue after a real crash', () => {
  let dir: string;
  let dbFile: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-crash-'));
    dbFile = path.join(dir, 'jobs.sqlite');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('given a process SIGKILLed mid-job when the next process recovers and runs the queue then every job is done and only the interrupted ones ran twice', async () => {
    const { seen } = await runChildAndKill(dbFile, KILL_AFTER_EFFECTS);
    const killedIn = seen[seen.length - 1]!;

    const db = await Database.open(dbFile);
    try {
      await migrate(db);
      await db.run(EFFECTS_TABLE);
      const queue = new JobQueue({ db, clock: systemClock });
      const before = await queue.list({ kind: CRASH_KIND, limit: 100, offset: 0 });
      const idsWith = (status: string) => new Set(before.filter((j) => j.status === status).map((j) => j.id));
      const doneBefore = idsWith('done');
      const interrupted = idsWith('running');
      assert.equal(before.length, JOB_COUNT, 'every enqueued job survived the crash');
      assert.ok(interrupted.has(killedIn), 'the kill landed while a handler was running');
      assert.ok(doneBefore.size >= KILL_AFTER_EFFECTS - 2, 'the child completed jobs before the kill');

      assert.deepEqual(await queue.recoverStale(0), { requeued: interrupted.size, failed: 0 });
      const runner = new JobRunner({ queue, pollMs: 10 });
      runner.register(CRASH_KIND, async (job) => {
        await db.run('INSERT INTO crash_effects (job_id, runner) VALUES (?, ?)', [job.id, 'parent']);
      });
      runner.start({ concurrency: 2 });
      try {
        const deadline = Date.now() + 10_000;
        while ((await queue.counts()).byKind[CRASH_KIND]?.done !== JOB_COUNT) {
          assert.ok(Date.now() < deadline, 'all jobs done within 10 s');
          await new Promise((r) => setTimeout(r, 10));
        }
      } finally {
        await runner.stop({ graceMs: 1000 });
      }

      const effects = await db.all<{ job_id: string; runner: string; n: number }>(
        'SELECT job_id, runner, COUNT(*) AS n FROM crash_effects GROUP BY job_id, runner',
      );
      const count = (id: string, runner?: string) =>
        effects.filter((e) => e.job_id === id && (runner === undefined || e.runner === runner)).reduce((s, e) => s + e.n, 0);
      assert.equal(count(killedIn), 2, 'the job killed after its effect ran again: at least once, not exactly once');
      const after = await queue.list({ kind: CRASH_KIND, limit: 100, offset: 0 });
      for (const job of after) {
        assert.equal(job.status, 'done');
        if (doneBefore.has(job.id)) {
          assert.equal(count(job.id), 1, `a job done before the crash ran once (${job.id})`);
          assert.equal(count(job.id, 'parent'), 0);
        } else if (interrupted.has(job.id)) {
          // At-least-once: the interrupted run may have written its effect before dying.
          assert.equal(count(job.id, 'parent'), 1);
          assert.ok(count(job.id, 'child') <= 1, 'count(job.id, \'child\') <= 1');
          assert.equal(job.attempts, 2, 'the interrupted attempt still counts');
        } else {
          assert.equal(count(job.id), 1, `a job queued at the crash ran once (${job.id})`);
          assert.equal(job.attempts, 1);
        }
      }
    } finally {
      await db.close();
    }
  });
});
