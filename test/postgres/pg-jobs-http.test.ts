import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PgDatabase } from '../../src/db/pg-database.js';
import { PgJobQueue } from '../../src/jobs/pg/pg-job-queue.js';
import { PgJobRunner } from '../../src/jobs/pg/pg-job-runner.js';
import { PermanentJobError } from '../../src/services/job-queue.port.js';
import { closePgAdmin } from '../helpers/postgres.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Runs in the PostgreSQL pass: the operator's screens (GET /api/jobs, POST /api/jobs/:id/retry) over graphile-worker.

type JobsBody = {
  jobs: { id: string; status: string; attempts: number; lastError: string | null; lastErrorCode: string | null; lastErrorDetails: unknown; progress: { done: number; total: number } | null }[];
  counts: { byStatus: Record<string, number> };
};

describe('jobs over HTTP on PostgreSQL', () => {
  let t: TestApp;
  let runner: PgJobRunner;
  let broken = true;
  let mailroom = '';

  before(async () => {
    // No demo data: the operator's screens need no documents (and no search engine).
    t = await startTestApp({ demo: false });
    const created = await t.api('POST', '/api/users', { as: 'admin', json: { name: 'Postkamer', roles: ['mailroom'] } });
    assert.equal(created.status, 201);
    mailroom = ((await created.json()) as { token: string }).token;
    assert.ok(t.dl.queue instanceof PgJobQueue, 'the PostgreSQL pass wires the graphile-worker queue');
    // A runner of its own in the test process, for a kind whose failure the test controls.
    runner = new PgJobRunner({ db: t.dl.db as PgDatabase, queue: t.dl.queue, pollMs: 200, workerTimeoutMs: 2000 });
    runner.register('operator-check', async (_job, ctx) => {
      await ctx.progress(1, 3, 'first part');
      if (broken) throw new PermanentJobError('the input is damaged');
      await ctx.progress(3, 3);
    });
    await runner.start({ concurrency: 1 });
  });
  after(async () => {
    await runner?.stop({ graceMs: 1000 });
    await t?.close();
    await closePgAdmin();
  });

  const jobs = async (query: string) => (await (await t.api('GET', `/api/jobs?${query}`, { token: mailroom })).json()) as JobsBody;
  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      assert.ok(Date.now() < deadline, `${what} within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('given a job that failed for good when the operator lists and retries it over HTTP then it shows failed with its reason and progress, and ends done', async () => {
    const { id } = await t.dl.db.tx((q) => t.dl.queue.enqueue(q, { kind: 'operator-check', payload: {}, idempotencyKey: 'operator-check:1' }));
    await until(async () => (await jobs('kind=operator-check&status=failed')).jobs.length === 1, 'failed');
    const failed = (await jobs('kind=operator-check')).jobs[0]!;
    assert.equal(failed.id, id);
    assert.equal(failed.attempts, 1);
    assert.match(failed.lastError ?? '', /damaged/);
    // A PermanentJobError has no code of its own: the screen says it failed unexpectedly, the stack below.
    assert.equal(failed.lastErrorCode, 'job_failed');
    assert.equal(failed.lastErrorDetails, null);
    assert.deepEqual(failed.progress, { done: 1, total: 3, note: 'first part' });

    broken = false;
    const res = await t.api('POST', `/api/jobs/${id}/retry`, { token: mailroom });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'queued');
    await until(async () => (await jobs('kind=operator-check&status=done')).jobs.length === 1, 'done after retry');
    const done = (await jobs('kind=operator-check')).jobs[0]!;
    assert.deepEqual(done.progress, { done: 3, total: 3 });
    assert.ok((await jobs('status=done')).counts.byStatus.done >= 1);

    const again = await t.api('POST', `/api/jobs/${id}/retry`, { token: mailroom });
    assert.equal(again.status, 409, 'a done job cannot be retried');
  });
});
