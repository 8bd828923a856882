import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DocumentView } from '../../src/domain/document.js';
import { HealthService, type Health } from '../../src/services/health.service.js';
import { InboxWatcher } from '../../src/services/inbox.watcher.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { renderScan, toImagePdf } from '../helpers/scan-samples.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const TOKEN = 'roles-test-admin-token-0000';
const auth = { authorization: `Bearer ${TOKEN}` };
// Processed without error; a scan of an unknown document type may rightly wait for review.
const DONE = ['ready', 'needs_review'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type JobView = { id: string; kind: string; status: string; attempts: number; lastError: string | null; payload?: { documentId?: string } };

async function health(url: string): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${url}/api/health`);
  return { status: res.status, body: (await res.json()) as Health };
}

async function uploadScan(api: ServerProcess, name: string, pages: number): Promise<string> {
  const page = (n: number) => renderScan({ dpi: 200, heightIn: 3, lines: [`Offerte ${name} blad ${n}`, 'Klantnummer: KL-000123', `Regel ${n} van ${name}`] });
  const pdf = await toImagePdf(Array.from({ length: pages }, (_, i) => page(i + 1)), { dpi: 200 });
  const fd = new FormData();
  fd.append('file', new Blob([new Uint8Array(pdf)]), `${name}.pdf`);
  const res = await fetch(`${api.url}/api/documents`, { method: 'POST', headers: auth, body: fd });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as DocumentView).id;
}

async function doc(api: ServerProcess, id: string): Promise<DocumentView> {
  return (await (await fetch(`${api.url}/api/documents/${id}`, { headers: auth })).json()) as DocumentView;
}

async function waitStatus(api: ServerProcess, id: string, wanted: string[], timeoutMs = 120_000): Promise<DocumentView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = await doc(api, id);
    if (wanted.includes(d.status)) return d;
    assert.ok(Date.now() < until, `${id} stuck in ${d.status}, wanted ${wanted.join('/')}`);
    await sleep(50);
  }
}

/** The document's job of `kind`: a stack is first read for separator sheets (`split`), then OCRd (`ingest`); a single page only has `ingest`. */
async function jobOf(api: ServerProcess, documentId: string, kind = 'ingest'): Promise<JobView> {
  const res = await fetch(`${api.url}/api/jobs?kind=${kind}&limit=500`, { headers: auth });
  const body = (await res.json()) as { jobs: JobView[] };
  const job = body.jobs.find((j) => j.payload?.documentId === documentId);
  assert.ok(job, `no ${kind} job for ${documentId}`);
  return job;
}

/** A document is final before its job ends (the thumbnail comes after), so wait for the job itself. */
async function waitJobDone(api: ServerProcess, documentId: string): Promise<JobView> {
  const until = Date.now() + 60_000;
  for (;;) {
    const job = await jobOf(api, documentId);
    if (job.status === 'done' || job.status === 'failed') return job;
    assert.ok(Date.now() < until, `the ingest job of ${documentId} is still ${job.status}`);
    await sleep(50);
  }
}

function exitOf(p: ServerProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve(p.child.exitCode);
    p.child.once('exit', (code) => resolve(code));
  });
}

describe(HealthService.name, () => {
  let t: TestApp;
  let s3: S3TestServer;
  let s3App: TestApp;
  let s3Stopped = false;
  before(async () => {
    t = await startTestApp();
    s3 = await startS3Server();
    s3App = await startTestApp({
      env: { DOSSIER_OBJECT_STORE: 's3', DOSSIER_S3_ENDPOINT: s3.endPoint, DOSSIER_S3_ACCESS_KEY: s3.accessKey, DOSSIER_S3_SECRET_KEY: s3.secretKey, DOSSIER_S3_BUCKET: 'health' },
      demo: false,
    });
  });
  after(async () => {
    await t?.close();
    await s3App?.close().catch(() => undefined);
    if (!s3Stopped) await s3?.stop();
  });

  it('given one process doing everything when health is asked without a token then it names the role, the database, the object store and the queue depth', async () => {
    const { status, body } = await health(t.url);
    assert.equal(status, 200);
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.version, 'string');
    assert.equal(body.role, 'all');
    assert.deepEqual(body.database, { dialect: t.dl.db.dialect, reachable: true });
    assert.deepEqual(body.objectStore, { kind: 'local', reachable: true });
    const counts = (await t.dl.queue.counts()).byStatus;
    assert.deepEqual(body.queue, { queued: counts.queued, running: counts.running, failed: counts.failed });
    assert.equal(body.draining, false);
    assert.equal(body.activeJobs, t.dl.runner.activeJobs().length);
  });

  it('given the S3 object store goes down when health is asked then it answers 503 and says the object store is unreachable', async () => {
    assert.equal((await health(s3App.url)).status, 200);
    s3Stopped = true;
    await s3.stop();
    // Answers are shared for a second; the next probe after that sees the store gone.
    await sleep(1100);
    const { status, body } = await health(s3App.url);
    assert.equal(status, 503);
    assert.equal(body.status, 'unavailable');
    assert.equal(body.objectStore.kind, 's3');
    assert.equal(body.objectStore.reachable, false);
    assert.ok(body.objectStore.error);
    assert.equal(body.database.reachable, true);
  });
});

describe(`${InboxWatcher.name} on a folder shared by several workers`, () => {
  let t: TestApp;
  let dir: string;
  before(async () => {
    t = await startTestApp({ demo: false });
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-shared-inbox-'));
  });
  after(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const watcher = (staleClaimMs: number) => new InboxWatcher(t.dataDir, t.dl.services.intake, t.dl.db, /KL-\d{6}/, undefined, 60_000, { dir, shared: true, staleClaimMs });

  it('given a file another worker is taking right now when a worker starts or polls then it leaves that claim alone, and takes it back once the claim is stale', async () => {
    await mkdir(path.join(dir, '.processing'), { recursive: true });
    await writeFile(path.join(dir, '.processing', 'scan-1.pdf'), 'being taken by a peer');
    const w = watcher(60_000);
    await w.start();
    await w.pollOnce();
    await w.stop();
    assert.deepEqual(await readdir(path.join(dir, '.processing')), ['scan-1.pdf'], 'a fresh claim of a peer stays where it is');

    await sleep(50);
    const stale = watcher(20);
    await stale.start();
    await stale.stop();
    assert.deepEqual(await readdir(path.join(dir, '.processing')), [], 'a claim older than the limit is a crashed peer\'s');
    assert.ok((await readdir(dir)).includes('scan-1.pdf'), 'and goes back to the inbox');
  });
});

describe('DOSSIER_ROLE api and worker on one SQLite data dir', () => {
  let dataDir: string;
  const procs: ServerProcess[] = [];
  let api: ServerProcess;
  const start = async (env: Record<string, string>) => {
    const p = await startServerProcess({ DOSSIER_DATA_DIR: dataDir, DOSSIER_ADMIN_TOKEN: TOKEN, DOSSIER_DEMO: 'off', DOSSIER_OCR_WORKERS: '1', ...env });
    procs.push(p);
    return p;
  };
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'dossierlink-roles-'));
    api = await start({ DOSSIER_ROLE: 'api' });
    const res = await fetch(`${api.url}/api/customers/KL-000123`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bakkerij De Gouden Korst B.V.' }),
    });
    assert.ok(res.ok, `customer not stored: ${res.status}`);
  });
  after(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  let waiting: string;
  it('given only an api process when a scan is uploaded then it is stored and queued but nobody runs it', async () => {
    waiting = await uploadScan(api, 'wachtend', 1);
    const h = await health(api.url);
    assert.equal(h.status, 200);
    assert.equal(h.body.role, 'api');
    assert.ok(h.body.queue!.queued >= 1, 'the upload is counted as queued');
    await sleep(1500);
    assert.equal((await doc(api, waiting)).status, 'queued');
    // One page: its ingest job reads its codes too (a stack would wait in a `split` job).
    assert.equal((await jobOf(api, waiting, 'ingest')).status, 'queued');
    assert.doesNotMatch(api.output(), /"msg":"job"/, 'the api process ran no job');
  });

  let worker: ServerProcess;
  it('given a worker joins when it starts then it runs the queued job and serves health but not the API or the web', async () => {
    worker = await start({ DOSSIER_ROLE: 'worker', DOSSIER_SHUTDOWN_GRACE_MS: '60000' });
    const d = await waitStatus(api, waiting, ['ready', 'needs_review', 'failed']);
    assert.equal(d.status, 'ready');
    const h = await health(worker.url);
    assert.equal(h.status, 200);
    assert.equal(h.body.role, 'worker');
    assert.equal((await fetch(`${worker.url}/api/customers/KL-000123`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${worker.url}/api/documents/${waiting}`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${worker.url}/`)).status, 404);
    assert.match(worker.output(), /"msg":"job"/);
  });

  it('given a worker in the middle of OCR when it gets SIGTERM then it takes no new job, finishes the running one and exits 0', async () => {
    const running = await uploadScan(api, 'lopend', 4);
    await waitStatus(api, running, ['processing']);
    assert.equal((await health(worker.url)).body.activeJobs, 1, 'the worker reports the job it runs');
    worker.child.kill('SIGTERM');
    // A job that arrives once it drains stays queued. (Uploaded before the signal, a worker with a
    // free slot may rightly have taken it already: that raced on a loaded machine.)
    for (const until = Date.now() + 10_000; !/shutting down/.test(worker.output()); await sleep(20)) assert.ok(Date.now() < until, 'the worker did not start shutting down');
    const next = await uploadScan(api, 'volgend', 1);
    assert.equal(await exitOf(worker), 0);
    const d = await doc(api, running);
    assert.ok(DONE.includes(d.status), `the running job finished within the grace period, not ${d.status}`);
    const job = await jobOf(api, running);
    assert.equal(job.status, 'done');
    assert.equal(job.attempts, 1);
    assert.equal((await doc(api, next)).status, 'queued', 'the draining worker took no new job');
    assert.match(worker.output(), /shutting down/);
  });

  it('given a worker whose grace period runs out when it gets SIGTERM mid-OCR then it gives the job back and exits 0, and the next worker finishes it once', async () => {
    const short = await start({ DOSSIER_ROLE: 'worker', DOSSIER_SHUTDOWN_GRACE_MS: '100' });
    const long = await uploadScan(api, 'onderbroken', 3);
    await waitStatus(api, long, ['processing']);
    short.child.kill('SIGTERM');
    assert.equal(await exitOf(short), 0);
    const given = await jobOf(api, long);
    assert.equal(given.status, 'queued', 'the job is back in the queue, not left running');
    assert.equal(given.attempts, 0, 'the interrupted attempt is returned');
    assert.match(given.lastError ?? '', /interrupted by shutdown/);

    await start({ DOSSIER_ROLE: 'worker' });
    const d = await waitStatus(api, long, ['ready', 'needs_review', 'failed']);
    assert.ok(DONE.includes(d.status), d.status);
    const job = await waitJobDone(api, long);
    assert.equal(job.status, 'done');
    assert.equal(job.attempts, 1);
    const text = await (await fetch(`${api.url}/api/documents/${long}/text`, { headers: auth })).text();
    assert.equal(text.match(/Regel 3 van onderbroken/g)?.length, 1, 'the last page is in the text once');
  });
});
