import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../src/db/migrate.js';
import { PgDatabase } from '../../src/db/pg-database.js';
import { retryDelayMs } from '../../src/jobs/job-queue.js';
import { installJobSchema } from '../../src/jobs/pg/graphile-pool.js';
import { PgJobQueue } from '../../src/jobs/pg/pg-job-queue.js';
import { PgJobRunner } from '../../src/jobs/pg/pg-job-runner.js';
import { systemClock } from '../../src/services/clock.js';
import { Invalid } from '../../src/errors.js';
import { progressNotes } from '../../src/services/progress-notes.js';
import { CHILD_EFFECTS, CHILD_KIND } from '../helpers/pg-job-child.js';
import { nodeEntry, REPO_ROOT } from '../helpers/entry.js';
import { closePgAdmin, freshPgDatabase } from '../helpers/postgres.js';

// Runs in the PostgreSQL pass (`node scripts/run-tests.mjs --postgres test/postgres/pg-job-queue.test.ts`).

const CHILD = nodeEntry('test/helpers/pg-job-child.ts');
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await delay(20);
  }
}

type Child = { proc: ChildProcess; effects: string[]; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; onEffect(n: number): Promise<void> };

/** Starts a job process (test/helpers/pg-job-child.ts) and resolves once it takes jobs. */
async function startChild(url: string, name: string, workerTimeoutMs: number): Promise<Child> {
  const proc = spawn(process.execPath, [...CHILD, url, name, String(workerTimeoutMs)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const effects: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child ${name} not ready in 20 s: ${stderr}`)), 20_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line === 'ready') {
        clearTimeout(timer);
        resolve();
      }
      const m = /^effect (\S+)$/.exec(line);
      if (!m) return;
      effects.push(m[1]!);
      for (const w of waiters.filter((w) => effects.length >= w.n)) w.resolve();
    });
    void exited.then(({ code }) => reject(new Error(`child ${name} exited (${code}) before ready: ${stderr}`)));
  });
  return {
    proc,
    effects,
    exited,
    onEffect: (n) => (effects.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

describe(PgJobQueue.name, () => {
  let db: PgDatabase;
  let url: string;
  let queue: PgJobQueue;
  const graphileJobs = async (key: string) =>
    (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM graphile_worker.jobs WHERE key = ? AND attempts < max_attempts', [key]))!.n;

  before(async () => {
    const u = await freshPgDatabase();
    assert.ok(u, 'the PostgreSQL pass sets DOSSIER_TEST_PG_URL');
    url = u;
    db = await PgDatabase.open(url, { poolSize: 8, searchConnections: 1 });
    await migrate(db);
    await installJobSchema(db);
    await db.exec(CHILD_EFFECTS);
    queue = new PgJobQueue({ db, clock: systemClock, random: () => 0.5 });
  });
  after(async () => {
    await db?.close();
    await closePgAdmin();
  });

  const newRunner = (opts: Partial<ConstructorParameters<typeof PgJobRunner>[0]> = {}) =>
    new PgJobRunner({ db, queue, pollMs: 200, workerTimeoutMs: 2000, ...opts });

  it('given a transaction that enqueues a job when it rolls back then neither our record nor a graphile job remains, and when it commits both exist', async () => {
    await assert.rejects(
      db.tx(async (q) => {
        await queue.enqueue(q, { kind: 'rollback', payload: {}, idempotencyKey: 'rollback:1' });
        throw new Error('document insert failed');
      }),
      /document insert failed/,
    );
    assert.deepEqual(await queue.list({ kind: 'rollback', limit: 10, offset: 0 }), []);
    assert.equal((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'rollback'`))!.n, 0);

    const { id, created } = await db.tx((q) => queue.enqueue(q, { kind: 'rollback', payload: {}, idempotencyKey: 'rollback:1' }));
    assert.equal(created, true);
    assert.equal((await queue.get(id))?.status, 'queued');
    assert.equal(await graphileJobs(id), 1);
  });

  it('given an idempotency key already used when the job is enqueued again then the first job is returned and one delivery waits', async () => {
    const first = await db.tx((q) => queue.enqueue(q, { kind: 'dedupe', payload: { documentId: 'doc_1' }, idempotencyKey: 'ocr:doc_1' }));
    const again = await db.tx((q) => queue.enqueue(q, { kind: 'dedupe', payload: { documentId: 'doc_1' }, idempotencyKey: 'ocr:doc_1' }));
    assert.deepEqual(again, { id: first.id, created: false });
    assert.equal((await queue.counts()).byKind.dedupe?.queued, 1);
    assert.equal((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'dedupe'`))!.n, 1);
  });

  it('given a handler that fails once when its backoff has passed then the job runs again and is done on attempt 2, with progress kept', async () => {
    const runner = newRunner();
    const attempts: number[] = [];
    runner.register('flaky', async (job, ctx) => {
      attempts.push(job.attempts);
      await ctx.progress(1, 2, job.attempts === 1 ? 'half' : progressNotes.pageRead(1, 88));
      if (job.attempts === 1) throw new Error('OCR engine not ready');
    });
    await runner.start({ concurrency: 1 });
    try {
      const { id } = await queue.enqueue(db, { kind: 'flaky', payload: {} });
      await until(async () => (await queue.get(id))?.lastError != null, 10_000, 'first failure');
      const waiting = (await queue.get(id))!;
      assert.equal(waiting.status, 'queued');
      assert.equal(waiting.lastErrorCode, 'job_failed');
      // random = 0.5: 2^1 s with equal jitter = 1.5 s after the failure, in our record and in graphile's run_at.
      const backoff = Date.parse(waiting.runAfter) - Date.parse(waiting.updatedAt);
      assert.equal(backoff, retryDelayMs(1, () => 0.5));
      const g = await db.get<{ ms: number }>('SELECT EXTRACT(EPOCH FROM (run_at - now())) * 1000 AS ms FROM graphile_worker.jobs WHERE key = ? AND locked_at IS NULL', [id]);
      assert.ok(g && g.ms > 500 && g.ms <= 1500, `graphile holds the delivery back for the backoff (${g?.ms} ms)`);
      await until(async () => (await queue.get(id))?.status === 'done', 10_000, 'retry done');
      const done = (await queue.get(id))!;
      assert.deepEqual(attempts, [1, 2]);
      assert.equal(done.attempts, 2);
      assert.deepEqual(done.progress, { done: 1, total: 2, note: "page 1 OCR'd (88%)", noteCode: 'page_read', noteParams: { page: 1, confidence: 88 } });
      // graphile-worker removes its delivery once the handler has returned, just after our record commits.
      await until(async () => (await graphileJobs(id)) === 0, 5_000, 'graphile has no delivery left');
    } finally {
      await runner.stop({ graceMs: 1000 });
    }
  });

  it('given a permanent failure (a 4xx about the input) when the job fails then it fails at once with its code, and an operator retry runs it again to done', async () => {
    const runner = newRunner();
    let broken = true;
    runner.register('damaged', async () => {
      if (broken) throw new Invalid('The PDF is damaged: no page tree', { page: 2 }, 'corrupt_pdf');
    });
    await runner.start({ concurrency: 1 });
    try {
      const { id } = await queue.enqueue(db, { kind: 'damaged', payload: {}, maxAttempts: 5 });
      await until(async () => (await queue.get(id))?.status === 'failed', 10_000, 'failed');
      const failed = (await queue.get(id))!;
      assert.equal(failed.attempts, 1, 'no attempt was spent on a retry');
      assert.match(failed.lastError ?? '', /damaged/);
      assert.equal(failed.lastErrorCode, 'corrupt_pdf');
      assert.deepEqual(failed.lastErrorDetails, { page: 2 });
      await until(async () => (await graphileJobs(id)) === 0, 5_000, 'no delivery waits for a failed job');

      broken = false;
      assert.equal(await queue.retry(id), true);
      assert.equal(await queue.retry(id), false, 'only a failed job can be retried');
      await until(async () => (await queue.get(id))?.status === 'done', 10_000, 'retried job done');
      assert.equal((await queue.get(id))!.attempts, 1, 'the retry started with fresh attempts');
    } finally {
      await runner.stop({ graceMs: 1000 });
    }
  });

  it('given a group for a slow kind when slow and quick jobs are queued then the slow kind runs one at a time and quick jobs do not wait behind it', async () => {
    const runner = newRunner();
    let slowNow = 0;
    let slowMax = 0;
    const quickDone: number[] = [];
    let slowFinished = 0;
    runner.register('slow-ocr', async () => {
      slowMax = Math.max(slowMax, ++slowNow);
      await delay(400);
      slowNow--;
      slowFinished++;
    });
    runner.register('quick', async () => {
      quickDone.push(slowFinished);
    });
    await db.tx(async (q) => {
      for (let n = 0; n < 3; n++) await queue.enqueue(q, { kind: 'slow-ocr', payload: { n } });
      for (let n = 0; n < 4; n++) await queue.enqueue(q, { kind: 'quick', payload: { n } });
    });
    await runner.start({ concurrency: 2, groups: [{ name: 'ocr', kinds: ['slow-ocr'], concurrency: 1 }] });
    try {
      await until(async () => (await queue.counts()).byKind['slow-ocr']?.done === 3, 15_000, 'slow jobs done');
      assert.equal(slowMax, 1, 'the slow group never ran two at once');
      assert.equal(quickDone.length, 4);
      assert.ok(quickDone.every((f) => f < 3), `quick jobs ran before the slow ones were through (${quickDone})`);
    } finally {
      await runner.stop({ graceMs: 1000 });
    }
  });

  it('given a running job when the runner stops and the grace period ends then the job is given back with its attempt returned', async () => {
    const runner = newRunner();
    let started = false;
    runner.register('long', async (_job, { signal }) => {
      started = true;
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    });
    await runner.start({ concurrency: 1 });
    const { id } = await queue.enqueue(db, { kind: 'long', payload: {} });
    await until(() => started, 10_000, 'handler started');
    await runner.stop({ graceMs: 100 });
    const job = (await queue.get(id))!;
    assert.equal(job.status, 'queued');
    assert.equal(job.attempts, 0);
    assert.match(job.lastError ?? '', /interrupted by shutdown/);
    assert.equal(job.lastErrorCode, 'job_interrupted');
    assert.equal(await graphileJobs(id), 1, 'a delivery waits for the next runner');
    const next = newRunner();
    next.register('long', async () => undefined);
    await next.start({ concurrency: 1 });
    try {
      await until(async () => (await queue.get(id))?.status === 'done', 10_000, 'done by the next runner');
    } finally {
      await next.stop({ graceMs: 1000 });
    }
  });

  it('given a live runner with a job in hand when another process starts and recovers then the job is left alone, and a queued job copied in without a delivery gets one', async () => {
    const runner = newRunner();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started = false;
    runner.register('held', async () => {
      started = true;
      await held;
    });
    runner.register('copied', async () => undefined);
    await runner.start({ concurrency: 2 });
    try {
      const { id } = await queue.enqueue(db, { kind: 'held', payload: {} });
      await until(() => started, 10_000, 'held job started');
      // As migrate-to-postgres leaves it: a queued record and no graphile job.
      const now = new Date().toISOString();
      await db.run(
        `INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_after, progress, created_at, updated_at)
         VALUES ('job_copied_1', 'copied', '{}', 'queued', 0, 5, ?, '{}', ?, ?)`,
        [now, now, now],
      );
      assert.deepEqual(await queue.recoverStale(0), { requeued: 1, failed: 0 });
      assert.equal((await queue.get(id))?.status, 'running', 'a live runner keeps its job');
      await until(async () => (await queue.get('job_copied_1'))?.status === 'done', 10_000, 'copied job done');
      release();
      await until(async () => (await queue.get(id))?.status === 'done', 10_000, 'held job done');
      assert.equal((await queue.get(id))?.attempts, 1);
    } finally {
      release();
      await runner.stop({ graceMs: 1000 });
    }
  });

  it('given two runner processes on one database when 60 jobs are queued then every job runs exactly once and both processes took work', async () => {
    const ids = await db.tx(async (q) => {
      const out: string[] = [];
      for (let n = 0; n < 60; n++) out.push((await queue.enqueue(q, { kind: CHILD_KIND, payload: { n, sleepMs: 20 } })).id);
      return out;
    });
    const children = await Promise.all([startChild(url, 'child-a', 30_000), startChild(url, 'child-b', 30_000)]);
    try {
      await until(async () => (await queue.counts()).byKind[CHILD_KIND]?.done === 60, 30_000, 'all done');
    } finally {
      for (const c of children) c.proc.kill('SIGTERM');
      await Promise.all(children.map((c) => c.exited));
    }
    const runs = await db.all<{ job_id: string; n: number }>('SELECT job_id, COUNT(*) AS n FROM child_effects GROUP BY job_id');
    assert.equal(runs.length, 60);
    assert.ok(runs.every((r) => r.n === 1 && ids.includes(r.job_id)), 'each job ran once');
    const byRunner = await db.all<{ runner: string; n: number }>('SELECT runner, COUNT(*) AS n FROM child_effects GROUP BY runner');
    assert.equal(byRunner.length, 2, `both processes took work (${JSON.stringify(byRunner)})`);
    const jobs = await queue.list({ kind: CHILD_KIND, limit: 100, offset: 0 });
    assert.ok(jobs.every((j) => j.status === 'done' && j.attempts === 1));
    await db.run('DELETE FROM child_effects');
  });

  it('given a runner process SIGKILLed mid-job when another runner beats then the job is taken back within seconds and done, its attempt counted', async () => {
    const child = await startChild(url, 'child-killed', 1500);
    const { id } = await queue.enqueue(db, { kind: CHILD_KIND, payload: { sleepMs: 60_000 } });
    await child.onEffect(1);
    child.proc.kill('SIGKILL');
    await child.exited;
    const killedAt = Date.now();
    assert.equal((await queue.get(id))?.status, 'running', 'the kill left the job running');

    const survivor = newRunner({ workerTimeoutMs: 1500 });
    let ranAt = 0;
    survivor.register<{ sleepMs: number }>(CHILD_KIND, async (job) => {
      ranAt = Date.now();
      await db.run('INSERT INTO child_effects (job_id, runner) VALUES (?, ?)', [job.id, 'survivor']);
    });
    await survivor.start({ concurrency: 1 });
    try {
      await until(async () => (await queue.get(id))?.status === 'done', 15_000, 'recovered job done');
    } finally {
      await survivor.stop({ graceMs: 1000 });
    }
    const recoveryMs = ranAt - killedAt;
    // Graphile alone would hold the lock for 4 hours; the heartbeat timeout is 1.5 s, beats every 375 ms.
    assert.ok(recoveryMs < 5000, `recovered in ${recoveryMs} ms`);
    const job = (await queue.get(id))!;
    assert.equal(job.attempts, 2, 'the killed attempt counts');
    const effects = await db.all<{ runner: string }>('SELECT runner FROM child_effects WHERE job_id = ? ORDER BY runner', [id]);
    assert.deepEqual(effects.map((e) => e.runner), ['child-killed', 'survivor']);
    assert.equal((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM graphile_worker.jobs WHERE locked_by IS NOT NULL'))!.n, 0, 'no graphile lock is left');
  });
});
