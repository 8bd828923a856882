import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { DocumentView } from '../../src/domain/document.js';
import { closePgAdmin, freshPgDatabase } from '../helpers/postgres.js';
import { renderScan, toImagePdf } from '../helpers/scan-samples.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Runs in the PostgreSQL pass: two processes on one database; the one OCRing is SIGKILLed and the other, still running, takes over.

const TOKEN = 'failover-test-admin-token-0000';
const auth = { authorization: `Bearer ${TOKEN}` };
type JobView = { id: string; status: string; attempts: number; lockedBy: string | null };

describe('job failover between processes on PostgreSQL', () => {
  let dataDir: string;
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const s of servers) await s.stop('SIGKILL').catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    await closePgAdmin();
  });

  it('given two processes when the one OCRing a document is SIGKILLed then the other takes the job back within seconds and the document ends ready once', async () => {
    const url = await freshPgDatabase();
    assert.ok(url, 'the PostgreSQL pass sets DOSSIER_TEST_PG_URL');
    dataDir = await mkdtemp(path.join(tmpdir(), 'dossierlink-failover-'));
    const env = {
      DOSSIER_DATA_DIR: dataDir,
      DOSSIER_ADMIN_TOKEN: TOKEN,
      DOSSIER_DEMO: 'off',
      DOSSIER_INBOX: 'off',
      DOSSIER_OCR_WORKERS: '1',
      DOSSIER_DATABASE_URL: url,
      DOSSIER_AUDIT_KEY: 'test-audit-key-for-the-postgresql-pass-0123456789',
      DOSSIER_JOB_WORKER_TIMEOUT_MS: '2000',
    };
    // Started together: migrations and graphile's schema go one after the other under the migration lock.
    servers.push(...(await Promise.all([startServerProcess(env), startServerProcess(env)])));
    const [a] = servers as [ServerProcess, ServerProcess];
    await fetch(`${a.url}/api/customers/KL-000123`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Bakkerij De Gouden Korst B.V.' }) });
    const page = (n: number) => renderScan({ dpi: 200, heightIn: 3, lines: [`Factuur F-2026-7${n}`, 'Klantnummer: KL-000123', `Regel ${n} van de factuur`] });
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(await toImagePdf([page(1), page(2), page(3)], { dpi: 200 }))]), 'failover.pdf');
    const res = await fetch(`${a.url}/api/documents`, { method: 'POST', headers: auth, body: fd });
    assert.equal(res.status, 202);
    const docId = ((await res.json()) as DocumentView).id;

    const ingestJob = async (s: ServerProcess) =>
      ((await (await fetch(`${s.url}/api/jobs?kind=ingest`, { headers: auth })).json()) as { jobs: JobView[] }).jobs[0];
    let held: JobView | undefined;
    for (const until = Date.now() + 60_000; !(held?.status === 'running' && held.lockedBy); ) {
      assert.ok(Date.now() < until, 'the ingest job started');
      await new Promise((r) => setTimeout(r, 50));
      held = await ingestJob(a);
    }
    // The runner id is host/pid/…: kill the process that holds the job, mid-OCR.
    const pid = Number(held!.lockedBy!.split('/')[1]);
    const victim = servers.find((s) => s.child.pid === pid);
    assert.ok(victim, `the job is held by one of the two processes (${held!.lockedBy})`);
    const survivor = servers.find((s) => s !== victim)!;
    await victim.stop('SIGKILL');
    servers.splice(servers.indexOf(victim), 1);
    const killedAt = Date.now();

    let d: DocumentView;
    for (const until = Date.now() + 120_000; ; ) {
      d = (await (await fetch(`${survivor.url}/api/documents/${docId}`, { headers: auth })).json()) as DocumentView;
      if (['ready', 'needs_review', 'failed'].includes(d.status)) break;
      assert.ok(Date.now() < until, `stuck in ${d.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(d.status, 'ready', d.error ?? '');
    const text = await (await fetch(`${survivor.url}/api/documents/${docId}/text`, { headers: auth })).text();
    assert.equal(text.split('\f').length, 3, 'three pages of text, none doubled');
    assert.match(survivor.output(), /recovered jobs of a runner that stopped beating/);
    let job = await ingestJob(survivor);
    for (const until = Date.now() + 30_000; job?.status !== 'done' && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 100));
      job = await ingestJob(survivor);
    }
    assert.equal(job?.status, 'done');
    assert.equal(job?.attempts, 2, 'the killed attempt counts, and the job ran once more');
    assert.notEqual(job?.lockedBy, held!.lockedBy, 'the survivor finished it');
    // Recovery needs the 2 s timeout plus at most one beat (0.5 s); OCR of three pages comes on top.
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs < 60_000, `ready ${tookMs} ms after the kill`);
  });
});
