/**
 * A worker never reads the API's disk (issue #13): everything a job needs travels through the
 * database and the object store. The API takes in a stack with a separator sheet (split, then
 * ingest), a coupon batch and a background customer import while no worker runs; then the API
 * is stopped and its data dir deleted, so nothing it wrote to disk is left. A worker with a data
 * dir of its own, and a second API on a third, must finish all of it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderPdfPage } from '../../src/adapters/pdf/pdf-render.js';
import type { DocumentView } from '../../src/domain/document.js';
import { closePgAdmin, freshPgDatabase, testPgUrl } from '../helpers/postgres.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { renderScan, toImagePdf } from '../helpers/scan-samples.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const TOKEN = 's3-only-worker-admin-token-0';
const auth = { authorization: `Bearer ${TOKEN}` };
const DPI = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Pg = { url: string; stop(): Promise<void> };

async function postgres(): Promise<Pg> {
  if (testPgUrl()) return { url: (await freshPgDatabase())!, stop: closePgAdmin };
  // @ts-expect-error: a plain ES module script without type declarations
  const { startPostgres } = (await import('../../scripts/postgres-server.mjs')) as { startPostgres(): Promise<{ createDatabase(): Promise<string>; stop(): Promise<void> }> };
  const server = await startPostgres();
  return { url: await server.createDatabase(), stop: () => server.stop() };
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    assert.ok(Date.now() < end, `${what} did not happen`);
    await sleep(200);
  }
}

describe('a worker that shares only PostgreSQL and S3 with the API', () => {
  let pg: Pg;
  let s3: S3TestServer;
  const dirs: string[] = [];
  const procs: ServerProcess[] = [];
  let env: Record<string, string>;

  const start = async (role: 'api' | 'worker') => {
    const dataDir = await mkdtemp(path.join(tmpdir(), `dossierlink-s3only-${role}-`));
    dirs.push(dataDir);
    const p = await startServerProcess({ ...env, DOSSIER_ROLE: role, DOSSIER_DATA_DIR: dataDir });
    procs.push(p);
    return { p, dataDir };
  };

  before(async () => {
    [pg, s3] = await Promise.all([postgres(), startS3Server()]);
    env = {
      DOSSIER_DATABASE_URL: pg.url,
      DOSSIER_AUDIT_KEY: 's3-only-worker-audit-key-0123456789abcdef',
      DOSSIER_OBJECT_STORE: 's3',
      DOSSIER_S3_ENDPOINT: s3.endPoint,
      DOSSIER_S3_ACCESS_KEY: s3.accessKey,
      DOSSIER_S3_SECRET_KEY: s3.secretKey,
      DOSSIER_S3_BUCKET: 's3-only',
      DOSSIER_ADMIN_TOKEN: TOKEN,
      DOSSIER_DEMO: 'off',
      DOSSIER_INBOX: 'off',
      DOSSIER_OCR_WORKERS: '1',
    };
  });

  after(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await s3?.stop();
    await pg?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('given a stack, a coupon batch and an import taken in by an API whose disk is then gone when a worker on its own disk runs them then all of it is done', { timeout: 300_000 }, async () => {
    const first = await start('api');
    const api = first.p.url;
    const call = (method: string, p: string, body?: unknown) =>
      fetch(`${api}${p}`, { method, headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const customer = await call('PUT', '/api/customers/KL-000123', { name: 'Bakkerij De Gouden Korst B.V.' });
    assert.ok(customer.ok, `customer: ${customer.status}`);

    // A stack of two letters with a separator sheet between them: the split job cuts it, ingest reads each part.
    const separatorRes = await call('POST', '/api/separator-sheets', {});
    assert.ok(separatorRes.ok, `separator sheet: ${separatorRes.status}`);
    const separator = await renderPdfPage(new Uint8Array(await separatorRes.arrayBuffer()), 1, DPI);
    const letter = (name: string) => renderScan({ dpi: DPI, heightIn: 2.4, lines: [`Offerte ${name}`, 'Klantnummer: KL-000123', `Onderhoud en service ${name}`] });
    const stack = await toImagePdf([letter('Noord'), separator, letter('Zuid')], { dpi: DPI });
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(stack)]), 'stapel.pdf');
    const parent = await json<DocumentView>(await fetch(`${api}/api/documents`, { method: 'POST', headers: auth, body: fd }), 202);

    // A scanned stack of returned coupons (here one page that is no coupon: it must still be read and reported).
    const cfd = new FormData();
    cfd.append('file', new Blob([new Uint8Array(await toImagePdf([letter('Antwoord')], { dpi: DPI }))]), 'coupons.pdf');
    const batch = await json<{ id: string; status: string }>(await fetch(`${api}/api/coupons/batches`, { method: 'POST', headers: auth, body: cfd }), 202);

    // A customer import run as a job.
    const csv = 'klantnummer;naam\nKL-000201;Fietsenmaker Oost\nKL-000202;Drukkerij West\n';
    const imp = await json<{ id: string; status: string }>(
      await fetch(`${api}/api/imports/customers?background=true`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv }),
      202,
    );

    // The API goes, and with it everything on its disk (upload temp files included).
    await first.p.stop('SIGTERM');
    await rm(first.dataDir, { recursive: true, force: true });

    const worker = await start('worker');
    const second = (await start('api')).p.url;
    const get = async <T>(p: string) => json<T>(await fetch(`${second}${p}`, { headers: auth }), 200);
    assert.equal((await get<{ role: string }>('/api/health')).role, 'api');
    assert.equal((await (await fetch(`${worker.p.url}/api/health`)).json() as { role: string }).role, 'worker');

    type Split = { split: boolean; parts: { kind: string; pages: number[]; documentId?: string }[] };
    const split = await until('the split', async () => {
      const s = await get<Split>(`/api/intake/splits/${parent.id}`);
      return s.split ? s : undefined;
    });
    const parts = split.parts.filter((p) => p.kind === 'document');
    assert.deepEqual(parts.map((p) => p.pages), [[1], [3]]);
    for (const part of parts) {
      const doc = await until(`document ${part.documentId}`, async () => {
        const d = await get<DocumentView>(`/api/documents/${part.documentId}`);
        return ['ready', 'needs_review', 'failed'].includes(d.status) ? d : undefined;
      });
      assert.notEqual(doc.status, 'failed', JSON.stringify(doc));
      const text = await (await fetch(`${second}/api/documents/${doc.id}/text`, { headers: auth })).text();
      assert.match(text, /Klantnummer/);
      // The thumbnail is made by the job after the document is final.
      const thumb = await until('the thumbnail', async () => {
        const r = await fetch(`${second}/api/documents/${doc.id}/thumbnail`, { headers: auth });
        return r.status === 200 ? r : undefined;
      });
      assert.match(thumb.headers.get('content-type') ?? '', /^image\//);
    }

    const doneBatch = await until('the coupon batch', async () => {
      const b = await get<{ status: string; pages: { outcome: string | null }[] }>(`/api/coupons/batches/${batch.id}`);
      return b.status === 'done' || b.status === 'failed' ? b : undefined;
    });
    assert.equal(doneBatch.status, 'done');
    assert.equal(doneBatch.pages.length, 1, 'its page was read from the object store');

    const doneImport = await until('the import', async () => {
      const r = await get<{ status: string; error: string | null; totals: { created: number } }>(`/api/imports/${imp.id}`);
      return r.status === 'done' || r.status === 'failed' ? r : undefined;
    });
    assert.equal(doneImport.status, 'done', JSON.stringify(doneImport));
    assert.equal(doneImport.totals.created, 2);
    assert.equal((await get<{ name: string }>('/api/customers/KL-000202')).name, 'Drukkerij West');

    const failed = await get<{ jobs: { kind: string; lastError: string | null }[] }>('/api/jobs?status=failed');
    assert.deepEqual(failed.jobs.map((j) => `${j.kind}: ${j.lastError?.slice(0, 200)}`), []);
    assert.doesNotMatch(worker.p.output(), /ENOENT/, 'the worker never looked for a file on a disk');
  });
});
