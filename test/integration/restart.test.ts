import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { DocumentView } from '../../src/domain/document.js';
import { closePgAdmin, freshPgDatabase } from '../helpers/postgres.js';
import { renderScan, toImagePdf } from '../helpers/scan-samples.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const TOKEN = 'restart-test-admin-token-000';
const auth = { authorization: `Bearer ${TOKEN}` };

async function status(s: ServerProcess, id: string): Promise<DocumentView> {
  return (await (await fetch(`${s.url}/api/documents/${id}`, { headers: auth })).json()) as DocumentView;
}

describe('crash and restart', () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    await closePgAdmin();
  });

  it('given documents being OCRd when the process is killed and started again then every accepted document reaches a final status with its text', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'dossierlink-restart-'));
    // The PostgreSQL pass runs it on a database of its own; a killed runner's jobs come back after its heartbeat timeout.
    const pgUrl = await freshPgDatabase();
    const pgEnv: Record<string, string> = pgUrl
      ? { DOSSIER_DATABASE_URL: pgUrl, DOSSIER_AUDIT_KEY: 'test-audit-key-for-the-postgresql-pass-0123456789', DOSSIER_JOB_WORKER_TIMEOUT_MS: '3000' }
      : {};
    const env = { DOSSIER_DATA_DIR: dataDir, DOSSIER_ADMIN_TOKEN: TOKEN, DOSSIER_DEMO: 'off', DOSSIER_OCR_WORKERS: '1', ...pgEnv };
    server = await startServerProcess(env);
    await fetch(`${server.url}/api/customers/KL-000123`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bakkerij De Gouden Korst B.V.' }),
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const page = (n: number) => renderScan({ dpi: 200, heightIn: 3, lines: [`Factuur F-2026-${i}${n}`, 'Klantnummer: KL-000123', `Regel ${i}-${n} van de factuur`] });
      const pdf = await toImagePdf([page(1), page(2), page(3)], { dpi: 200 });
      const fd = new FormData();
      fd.append('file', new Blob([new Uint8Array(pdf)]), `batch-${i}.pdf`);
      const res: Response = await fetch(`${server.url}/api/documents`, { method: 'POST', headers: auth, body: fd });
      assert.equal(res.status, 202);
      ids.push(((await res.json()) as DocumentView).id);
    }
    // Kill it hard while the first document is in the middle of OCR.
    const until = Date.now() + 60_000;
    while ((await status(server, ids[0])).status !== 'processing') {
      assert.ok(Date.now() < until, 'processing never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    await server.stop('SIGKILL');

    server = await startServerProcess(env);
    const deadline = Date.now() + 240_000;
    for (const id of ids) {
      let d = await status(server, id);
      while (!['ready', 'needs_review', 'failed'].includes(d.status)) {
        assert.ok(Date.now() < deadline, `${id} stuck in ${d.status}`);
        await new Promise((r) => setTimeout(r, 250));
        d = await status(server, id);
      }
      assert.equal(d.status, 'ready', `${id}: ${d.error}`);
      assert.equal(d.pageCount, 3);
      const text = await (await fetch(`${server.url}/api/documents/${id}/text`, { headers: auth })).text();
      assert.equal(text.split('\f').length, 3, 'three pages of text, none doubled');
      assert.match(text, /Klantnummer/);
    }
    // SQLite: at start-up, the only process. PostgreSQL: at start-up or at a later beat, once the killed process's heartbeat is overdue.
    assert.match(server.output(), pgUrl ? /recovered jobs (left by a previous run|of a runner that stopped beating)/ : /recovered jobs left by a previous run/);
    // A document is final before its job has made the thumbnail: wait for the jobs to end, then each ran once to done.
    const url = server.url;
    const ingestJobs = async () => ((await (await fetch(`${url}/api/jobs?kind=ingest`, { headers: auth })).json()) as { jobs: { status: string }[] }).jobs;
    let jobs = { jobs: await ingestJobs() };
    while (jobs.jobs.some((j) => j.status === 'running' || j.status === 'queued') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      jobs = { jobs: await ingestJobs() };
    }
    assert.deepEqual(jobs.jobs.map((j) => j.status), ['done', 'done', 'done']);
    assert.equal(await server.stop('SIGTERM'), 0, 'a graceful stop exits 0');
  });
});
