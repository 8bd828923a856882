import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * After an outage every job on it has failed: the operator puts them all back at once
 * (POST /api/jobs/retry-failed), optionally one kind, each as a single retry does it.
 */
describe('retrying every failed job at once', () => {
  let t: TestApp;
  type Json = Record<string, any>;
  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Json });

  /** A job that failed, of `kind`; an ingest job's document failed with it. */
  async function failed(kind: string, n: number, documentId?: string): Promise<string> {
    const { id } = await t.dl.db.tx((q) => t.dl.queue.enqueue(q, { kind, payload: documentId ? { documentId } : {}, idempotencyKey: `outage-${kind}-${n}` }));
    await t.dl.db.run("UPDATE jobs SET status = 'failed', attempts = 5, last_error = 'Error: connect ECONNREFUSED 127.0.0.1:9000', last_error_code = 'job_failed' WHERE id = ?", [id]);
    if (documentId) await t.dl.db.run("UPDATE documents SET status = 'failed', error = 'object store unreachable', error_code = 'processing_failed' WHERE id = ?", [documentId]);
    return id;
  }
  const statusOf = async (id: string) => (await t.dl.queue.get(id))?.status;

  before(async () => {
    // No workers: the retried jobs stay queued for the test to see.
    t = await startTestApp();
  });
  after(() => t?.close());

  it('given failed jobs of two kinds when the operator retries one kind then only those are queued again with fresh attempts, their documents queued and each retry audited', async () => {
    const doc = (await t.dl.db.get<{ id: string }>("SELECT id FROM documents WHERE original_sha256 IS NOT NULL AND destroyed_at IS NULL ORDER BY id LIMIT 1"))!.id;
    const ingest = [await failed('ingest', 1, doc), await failed('ingest', 2)];
    const other = await failed('customer-import', 1);
    const auditedBefore = (await t.dl.services.audit.query({ action: 'job.retry' })).length;

    const r = await json(await t.api('POST', '/api/jobs/retry-failed', { as: 'mailroom', json: { kind: 'ingest' } }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { retried: 2, remaining: 0 });
    for (const id of ingest) {
      const job = (await t.dl.queue.get(id))!;
      assert.deepEqual({ status: job.status, attempts: job.attempts }, { status: 'queued', attempts: 0 });
    }
    assert.equal(await statusOf(other), 'failed', 'another kind stays failed');
    const d = (await json(await t.api('GET', `/api/documents/${doc}`, { as: 'admin' }))).body;
    assert.deepEqual({ status: d.status, errorCode: d.errorCode ?? null }, { status: 'queued', errorCode: null });
    const audited = await t.dl.services.audit.query({ action: 'job.retry' });
    assert.equal(audited.length - auditedBefore, 2);

    // Without a kind: everything still failed; a second call finds nothing.
    assert.deepEqual((await json(await t.api('POST', '/api/jobs/retry-failed', { as: 'mailroom', json: {} }))).body, { retried: 1, remaining: 0 });
    assert.equal(await statusOf(other), 'queued');
    assert.deepEqual((await json(await t.api('POST', '/api/jobs/retry-failed', { as: 'mailroom', json: {} }))).body, { retried: 0, remaining: 0 });
  });

  it('given a caller other than the mailroom or a body it does not know when retrying all then it is refused and nothing changes', async () => {
    const id = await failed('ingest', 3);
    assert.equal((await t.api('POST', '/api/jobs/retry-failed', { as: 'compliance', json: {} })).status, 403);
    assert.equal((await t.api('POST', '/api/jobs/retry-failed', { as: 'crm', json: {} })).status, 403);
    const bad = await json(await t.api('POST', '/api/jobs/retry-failed', { as: 'mailroom', json: { kind: 'ingest', all: true } }));
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.equal(await statusOf(id), 'failed');
  });
});
