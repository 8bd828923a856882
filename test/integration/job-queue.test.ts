// postgres-pass: skip (the SQLite queue on purpose; test/postgres/pg-job-queue.test.ts covers PostgreSQL)
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { JobQueue, retryDelayMs, type Job } from '../../src/jobs/job-queue.js';
import { JobRunner } from '../../src/jobs/worker-pool.js';
import { fakeClock } from '../../src/services/clock.js';
import { progressNotes } from '../../src/services/progress-notes.js';
import { Invalid } from '../../src/errors.js';

const START = '2025-03-03T09:00:00.000Z';
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it holds; fails the test after `ms` instead of hanging it. */
async function until(check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await delay(5);
  }
}

describe(JobQueue.name, () => {
  let dir: string;
  let file: string;
  let db: Database;
  // Each test uses its own job kind, so tests sharing the database cannot claim each other's jobs.
  let clock: ReturnType<typeof fakeClock>;
  let queue: JobQueue;
  const advance = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-jobs-'));
    file = path.join(dir, 'jobs.sqlite');
    db = await Database.open(file);
    await migrate(db);
    clock = fakeClock(START);
    // random() = 0.5 makes the jittered backoff predictable: 0.75 × 2^attempts s.
    queue = new JobQueue({ db, clock, random: () => 0.5 });
  });
  after(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('given an idempotency key already used when the same job is enqueued again then the existing job is returned and no second row exists', async () => {
    const first = await db.tx((q) => queue.enqueue(q, { kind: 'dedupe', payload: { documentId: 'doc_1' }, idempotencyKey: 'ocr:doc_1' }));
    const again = await db.tx((q) => queue.enqueue(q, { kind: 'dedupe', payload: { documentId: 'doc_1' }, idempotencyKey: 'ocr:doc_1' }));
    const outsideTx = await queue.enqueue(db, { kind: 'dedupe', payload: { documentId: 'doc_1' }, idempotencyKey: 'ocr:doc_1' });
    const other = await queue.enqueue(db, { kind: 'dedupe', payload: { documentId: 'doc_2' }, idempotencyKey: 'ocr:doc_2' });

    assert.equal(first.created, true);
    assert.deepEqual(again, { id: first.id, created: false });
    assert.deepEqual(outsideTx, { id: first.id, created: false });
    assert.equal(other.created, true);
    assert.equal((await queue.list({ kind: 'dedupe', limit: 10, offset: 0 })).length, 2);
    assert.equal((await queue.counts()).byKind.dedupe?.queued, 2);
  });

  it('given a transaction that enqueues a job when the transaction rolls back then no job remains and the key is free', async () => {
    await assert.rejects(
      db.tx(async (q) => {
        await queue.enqueue(q, { kind: 'rollback', payload: {}, idempotencyKey: 'rollback:1' });
        throw new Error('document insert failed');
      }),
      /document insert failed/,
    );

    assert.deepEqual(await queue.list({ kind: 'rollback', limit: 10, offset: 0 }), []);
    assert.equal((await queue.enqueue(db, { kind: 'rollback', payload: {}, idempotencyKey: 'rollback:1' })).created, true);
  });

  it('given 4 runners on separate connections when 200 jobs are enqueued then every job runs exactly once', async () => {
    const ids = await db.tx(async (q) => {
      const out: string[] = [];
      for (let n = 0; n < 200; n++) out.push((await queue.enqueue(q, { kind: 'bulk', payload: { n } })).id);
      return out;
    });
    const runs = new Map<string, number>();
    const conns = await Promise.all([0, 1, 2, 3].map(() => Database.open(file)));
    const runners = conns.map((c, i) => {
      const r = new JobRunner({ queue: new JobQueue({ db: c, clock }), workerId: `runner-${i}`, pollMs: 5 });
      r.register('bulk', async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await delay(1);
      });
      return r;
    });
    try {
      runners.forEach((r) => r.start({ concurrency: 2 }));
      await until(async () => (await queue.counts()).byKind.bulk?.done === 200, 15_000);
    } finally {
      await Promise.all(runners.map((r) => r.stop({ graceMs: 1000 })));
      await Promise.all(conns.map((c) => c.close()));
    }

    assert.equal(runs.size, 200);
    assert.deepEqual([...new Set(ids.map((id) => runs.get(id)))], [1]);
    const jobs = await queue.list({ kind: 'bulk', limit: 500, offset: 0 });
    assert.ok(jobs.every((j) => j.status === 'done' && j.attempts === 1), 'jobs.every((j) => j.status === \'done\' && j.attempts === 1)');
    // Not a fairness claim, only proof that the claims really competed across connections.
    assert.ok(new Set(jobs.map((j) => j.lockedBy)).size >= 2, 'more than one runner took work');
  });

  it('given a handler that fails once when the clock passes the backoff then the job is retried and succeeds', async () => {
    const calls: number[] = [];
    const runner = new JobRunner({ queue, pollMs: 5 });
    runner.register('flaky', async (job) => {
      calls.push(job.attempts);
      if (job.attempts === 1) throw new Error('OCR engine not ready');
    });
    runner.start({ concurrency: 1 });
    try {
      const { id } = await queue.enqueue(db, { kind: 'flaky', payload: {} });
      await until(async () => (await queue.get(id))?.lastError != null);
      const waiting = (await queue.get(id))!;
      assert.equal(waiting.status, 'queued');
      assert.equal(Date.parse(waiting.runAfter) - clock.now().getTime(), retryDelayMs(1, () => 0.5));
      await delay(30); // several polls: nothing runs before the backoff is over
      assert.deepEqual(calls, [1]);

      advance(retryDelayMs(1, () => 0.5));
      runner.notify();
      await until(async () => (await queue.get(id))?.status === 'done');
      const done = (await queue.get(id))!;
      assert.deepEqual(calls, [1, 2]);
      assert.equal(done.attempts, 2);
      assert.match(done.lastError ?? '', /OCR engine not ready/);
    } finally {
      await runner.stop({ graceMs: 1000 });
    }
  });

  it('given max attempts when every run fails then the job ends failed with last_error kept and only the lock holder could fail it', async () => {
    const { id } = await queue.enqueue(db, { kind: 'doomed', payload: {}, maxAttempts: 2 });

    const first = await queue.claim('w1', ['doomed']);
    assert.equal(first?.id, id);
    assert.equal(await queue.fail(id, 'w-other', new Error('not mine')), false);
    assert.equal(await queue.fail(id, 'w1', new Error('corrupt PDF (attempt 1)')), true);
    assert.equal(await queue.claim('w1', ['doomed']), null, 'not due before the backoff');
    advance(10 * 60_000);
    const second = await queue.claim('w2', ['doomed']);
    assert.equal(second?.attempts, 2);
    assert.equal(await queue.complete(id, 'w1'), false, 'the first worker lost its lock');
    assert.equal(await queue.fail(id, 'w2', new Error('corrupt PDF (attempt 2)')), true);

    const failed = (await queue.get(id))!;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 2);
    assert.match(failed.lastError ?? '', /corrupt PDF \(attempt 2\)/);
    // An error without a code of its own is an unexpected one for the operator's screen.
    assert.equal(failed.lastErrorCode, 'job_failed');
    assert.equal(failed.lastErrorDetails, null);
    advance(60 * 60_000);
    assert.equal(await queue.claim('w3', ['doomed']), null, 'a failed job is never claimed again');
    assert.equal((await queue.counts()).byKind.doomed?.failed, 1);
  });

  it('given a run failing with a coded error when the job is read then the code and its parameters are kept beside the stack', async () => {
    const { id } = await queue.enqueue(db, { kind: 'coded', payload: {}, maxAttempts: 3 });
    await queue.claim('w1', ['coded']);
    assert.equal(await queue.fail(id, 'w1', new Invalid('The PDF is damaged: no page tree', { page: 4 }, 'corrupt_pdf')), true);
    const failed = (await queue.get(id))!;
    // A 4xx about the input is permanent: failed at once, with its code for the interface.
    assert.equal(failed.status, 'failed');
    assert.equal(failed.lastErrorCode, 'corrupt_pdf');
    assert.deepEqual(failed.lastErrorDetails, { page: 4 });
    assert.match(failed.lastError ?? '', /^Invalid: The PDF is damaged: no page tree\n\s+at /);
    // An operator's retry keeps the reason until a run replaces it.
    assert.equal(await queue.retry(id), true);
    assert.equal((await queue.get(id))?.lastErrorCode, 'corrupt_pdf');
    await queue.claim('w2', ['coded']);
    assert.equal(await queue.fail(id, 'w2', new Error('archive unreachable')), true);
    const retried = (await queue.get(id))!;
    assert.equal(retried.status, 'queued');
    assert.equal(retried.lastErrorCode, 'job_failed');
    assert.equal(retried.lastErrorDetails, null);
  });

  it('given a failed job when an operator retries it then it is queued with attempts reset and runs again', async () => {
    const { id } = await queue.enqueue(db, { kind: 'operator', payload: {}, maxAttempts: 1 });
    await queue.claim('w1', ['operator']);
    await queue.fail(id, 'w1', new Error('archive unreachable'));
    assert.equal((await queue.get(id))?.status, 'failed');

    assert.equal(await queue.retry(id), true);
    const requeued = (await queue.get(id))!;
    assert.equal(requeued.status, 'queued');
    assert.equal(requeued.attempts, 0);
    assert.equal(await queue.retry(id), false, 'only a failed job can be retried');
    const again = await queue.claim('w2', ['operator']);
    assert.equal(again?.attempts, 1);
    assert.equal(await queue.complete(id, 'w2'), true);
  });

  it('given jobs left running by a dead worker when recoverStale runs then stale ones are queued with their attempts and last-attempt ones fail', async () => {
    const a = await queue.enqueue(db, { kind: 'orphan', payload: {} });
    const b = await queue.enqueue(db, { kind: 'orphan', payload: {}, maxAttempts: 1 });
    await queue.claim('dead-worker', ['orphan']);
    await queue.claim('dead-worker', ['orphan']);

    assert.deepEqual(await queue.recoverStale(60_000), { requeued: 0, failed: 0 }, 'a fresh lock is not stale');
    advance(2 * 60_000);
    assert.deepEqual(await queue.recoverStale(60_000), { requeued: 1, failed: 1 });

    const ja = (await queue.get(a.id))!;
    assert.equal(ja.status, 'queued');
    assert.equal(ja.attempts, 1);
    assert.equal(ja.lockedBy, null);
    assert.match(ja.lastError ?? '', /interrupted: worker dead-worker/);
    assert.equal(ja.lastErrorCode, 'job_interrupted');
    const jb = (await queue.get(b.id))!;
    assert.equal(jb.status, 'failed');
    assert.equal(jb.lastErrorCode, 'job_interrupted');
    assert.equal(await queue.complete(a.id, 'dead-worker'), false, 'the dead worker no longer holds the lock');
    assert.equal((await queue.claim('w2', ['orphan']))?.attempts, 2);
    assert.equal(await queue.complete(a.id, 'w2'), true);
  });

  it('given a running handler when stop is called with a grace period then stop waits for it and the job is done', async () => {
    const runner = new JobRunner({ queue, pollMs: 5 });
    let finished = false;
    runner.register('graceful', async () => {
      await delay(150);
      finished = true;
    });
    runner.start({ concurrency: 1 });
    const { id } = await queue.enqueue(db, { kind: 'graceful', payload: {} });
    await until(() => runner.activeJobs().includes(id));

    await runner.stop({ graceMs: 2000 });

    assert.equal(finished, true);
    assert.equal((await queue.get(id))?.status, 'done');
  });

  it('given a handler that outlives the grace period when stop aborts its signal then the job is back in the queue with the attempt returned', async () => {
    const runner = new JobRunner({ queue, pollMs: 5 });
    runner.register('long', (_job, { signal }) => new Promise<void>((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    runner.start({ concurrency: 1 });
    const { id } = await queue.enqueue(db, { kind: 'long', payload: {} });
    await until(() => runner.activeJobs().includes(id));

    const t0 = Date.now();
    await runner.stop({ graceMs: 50 });

    assert.ok(Date.now() - t0 >= 45, 'waited the grace period first');
    const job = (await queue.get(id))!;
    assert.equal(job.status, 'queued');
    assert.equal(job.attempts, 0);
    assert.equal(job.lockedBy, null);
  });

  it('given a handler that ignores the abort when stop gives up on it then the job stays running for recoverStale and its late result is discarded', async () => {
    const runner = new JobRunner({ queue, pollMs: 5 });
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    runner.register('stubborn', () => stuck);
    runner.start({ concurrency: 1 });
    const { id } = await queue.enqueue(db, { kind: 'stubborn', payload: {} });
    await until(() => runner.activeJobs().includes(id));

    await runner.stop({ graceMs: 10, abandonMs: 20 });
    release();
    await delay(20);

    assert.equal((await queue.get(id))?.status, 'running');
    assert.equal((await queue.recoverStale(0)).requeued, 1);
    assert.equal((await queue.get(id))?.status, 'queued');
  });

  it('given a handler reporting progress when the job is read then the progress is visible', async () => {
    const runner = new JobRunner({ queue, pollMs: 5 });
    let proceed!: () => void;
    const gate = new Promise<void>((r) => (proceed = r));
    let finish!: () => void;
    const last = new Promise<void>((r) => (finish = r));
    runner.register('pages', async (_job, ctx) => {
      await ctx.progress(1, 3, 'page 1 of 3');
      await gate;
      await ctx.progress(2, 3, progressNotes.pageRead(2, 91));
      await last;
      await ctx.progress(3, 3);
    });
    runner.start({ concurrency: 1 });
    try {
      const { id } = await queue.enqueue(db, { kind: 'pages', payload: {} });
      await until(async () => (await queue.get(id))?.progress?.done === 1);
      assert.deepEqual((await queue.get(id))?.progress, { done: 1, total: 3, note: 'page 1 of 3' });
      assert.equal((await queue.get(id))?.progress?.noteCode, undefined, 'a plain note has no code');
      proceed();
      await until(async () => (await queue.get(id))?.progress?.done === 2);
      // A coded note: the English text for the API's note, the code and parameters for the interface.
      assert.deepEqual((await queue.get(id))?.progress, { done: 2, total: 3, note: "page 2 OCR'd (91%)", noteCode: 'page_read', noteParams: { page: 2, confidence: 91 } });
      finish();
      await until(async () => (await queue.get(id))?.status === 'done');
      assert.deepEqual((await queue.get(id))?.progress, { done: 3, total: 3 });
    } finally {
      await runner.stop({ graceMs: 1000 });
    }
  });

  it('given an idle runner with a long poll interval when a job is enqueued in a transaction then it starts within milliseconds of the commit', async () => {
    const runner = new JobRunner({ queue, pollMs: 60_000 });
    let startedAt = 0;
    runner.register('prompt', async () => {
      startedAt = Date.now();
    });
    runner.start({ concurrency: 2 });
    try {
      await delay(20); // both loops are asleep now
      let committedAt = 0;
      await db.tx(async (q) => {
        await queue.enqueue(q, { kind: 'prompt', payload: {} });
        await delay(30); // the rest of the caller's transaction: the runner must wait for the commit
        committedAt = Date.now();
      });
      await until(() => startedAt > 0, 2000);
      assert.ok(startedAt >= committedAt, 'never before the commit');
      assert.ok(startedAt - committedAt < 100, `started ${startedAt - committedAt} ms after the commit`);
    } finally {
      await runner.stop({ graceMs: 1000 });
    }
  });

  it('given a logger when jobs finish then there is one line per run with kind, id, attempt, ms and outcome and no payload', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        cb();
      },
    });
    const runner = new JobRunner({ queue, pollMs: 5, logger: pino({ level: 'info' }, sink) });
    runner.register<{ secret: string }>('logged', async (job) => {
      if (job.payload.secret === 'fail-me') throw new Error('bad input');
    });
    runner.start({ concurrency: 1 });
    let ok: Job | null = null;
    try {
      const a = await queue.enqueue(db, { kind: 'logged', payload: { secret: 'BSN 123456782' } });
      const b = await queue.enqueue(db, { kind: 'logged', payload: { secret: 'fail-me' }, maxAttempts: 1 });
      await until(async () => (await queue.get(b.id))?.status === 'failed');
      ok = await queue.get(a.id);
    } finally {
      await runner.stop({ graceMs: 1000 });
    }

    const jobLines = lines.filter((l) => l.msg === 'job');
    assert.equal(jobLines.length, 2);
    assert.deepEqual(
      jobLines.map((l) => [l.kind, l.outcome, l.attempt, typeof l.ms]),
      [
        ['logged', 'done', 1, 'number'],
        ['logged', 'failed', 1, 'number'],
      ],
    );
    assert.equal(jobLines[0]!.id, ok?.id);
    assert.ok(!JSON.stringify(lines).includes('BSN 123456782'), 'no payload contents in logs');
  });
});
