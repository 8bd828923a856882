/**
 * Issue #13's multi-process test: one `api` and three `worker` processes, each with a data dir
 * of its own, on one PostgreSQL and one real S3 server (s3rver) on loopback. 200 scanned
 * documents are uploaded; one worker is SIGKILLed in the middle of OCR and another joins
 * halfway. Every document must end `ready` exactly once, with its text and its search entry
 * once, and the audit chain must verify.
 *
 * PostgreSQL: the run's server in the --postgres pass (DOSSIER_TEST_PG_URL), else a private one
 * started here (scripts/postgres-server.mjs). In test/postgres so `npm test` runs it once, in its
 * PostgreSQL pass: on SQLite there is nothing different to prove.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DocumentView } from '../../src/domain/document.js';
import type { Health } from '../../src/services/health.service.js';
import { closePgAdmin, freshPgDatabase, testPgUrl } from '../helpers/postgres.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { renderScan, toImagePdf } from '../helpers/scan-samples.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const DOCUMENTS = 200;
const TOKEN = 'multi-process-admin-token-000';
const auth = { authorization: `Bearer ${TOKEN}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINAL = ['ready', 'needs_review', 'failed'];

type Pg = { url: string; stop(): Promise<void> };

async function postgres(): Promise<Pg> {
  if (testPgUrl()) return { url: (await freshPgDatabase())!, stop: closePgAdmin };
  // @ts-expect-error: a plain ES module script without type declarations
  const { startPostgres } = (await import('../../scripts/postgres-server.mjs')) as { startPostgres(): Promise<{ createDatabase(): Promise<string>; stop(): Promise<void> }> };
  const server = await startPostgres();
  return { url: await server.createDatabase(), stop: () => server.stop() };
}

async function get<T>(p: ServerProcess, url: string): Promise<T> {
  const res = await fetch(`${p.url}${url}`, { headers: auth });
  assert.equal(res.status, 200, `${url}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

/** Every page of an audit or event listing. */
async function auditOf(api: ServerProcess, action: string): Promise<{ subjectId: string }[]> {
  const out: { subjectId: string }[] = [];
  let before: number | null = null;
  do {
    const page: { events: { subjectId: string }[]; next: number | null } = await get(api, `/api/audit?action=${action}&limit=1000${before ? `&before=${before}` : ''}`);
    out.push(...page.events);
    before = page.next;
  } while (before);
  return out;
}

async function eventsOf(api: ServerProcess, type: string): Promise<{ subjectId: string }[]> {
  const out: { subjectId: string }[] = [];
  let after = '';
  for (;;) {
    const page: { events: { subject: { id: string } }[]; next: string } = await get(api, `/api/events?types=${type}&limit=1000&after=${after}`);
    if (page.events.length === 0) return out;
    out.push(...page.events.map((e) => ({ subjectId: e.subject.id })));
    after = page.next;
  }
}

function countBy(ids: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

async function health(p: ServerProcess): Promise<Health | null> {
  try {
    return (await (await fetch(`${p.url}/api/health`)).json()) as Health;
  } catch {
    return null;
  }
}

describe('api and worker processes on PostgreSQL and S3', () => {
  let pg: Pg;
  let s3: S3TestServer;
  const dirs: string[] = [];
  const procs: ServerProcess[] = [];
  let env: Record<string, string>;

  const start = async (role: 'api' | 'worker', extra: Record<string, string> = {}) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), `dossierlink-mp-${role}-`));
    dirs.push(dataDir);
    const p = await startServerProcess({ ...env, DOSSIER_ROLE: role, DOSSIER_DATA_DIR: dataDir, ...extra });
    procs.push(p);
    return p;
  };

  before(async () => {
    [pg, s3] = await Promise.all([postgres(), startS3Server()]);
    env = {
      DOSSIER_DATABASE_URL: pg.url,
      DOSSIER_AUDIT_KEY: 'multi-process-audit-key-0123456789abcdef',
      DOSSIER_OBJECT_STORE: 's3',
      DOSSIER_S3_ENDPOINT: s3.endPoint,
      DOSSIER_S3_ACCESS_KEY: s3.accessKey,
      DOSSIER_S3_SECRET_KEY: s3.secretKey,
      DOSSIER_S3_BUCKET: 'multi-process',
      DOSSIER_ADMIN_TOKEN: TOKEN,
      DOSSIER_DEMO: 'off',
      DOSSIER_INBOX: 'off',
      // One-page letters carry no separator sheets: reading every page for barcodes would only cost time.
      DOSSIER_INTAKE_BARCODES: 'off',
      // The default engine: a tesseract.js worker keeps its model loaded, where the native CLI loads
      // it again for every page (a one-page letter here: ~0.3 s against ~0.9 s).
      DOSSIER_OCR_WORKERS: '1',
      DOSSIER_SEARCH_RATE_LIMIT: '0',
      // A SIGKILLed worker's job comes back after this much silence.
      DOSSIER_JOB_WORKER_TIMEOUT_MS: '4000',
      DOSSIER_LOG_LEVEL: 'info',
    };
  });

  after(async () => {
    // On failure, the processes' error lines say why.
    if (process.exitCode || procs.some((p) => /"level":50/.test(p.output()))) {
      for (const p of procs) for (const line of p.output().split('\n').filter((l) => /"level":(50|60)/.test(l)).slice(0, 5)) console.log(`# ${line.slice(0, 1500)}`);
    }
    if (process.env.MP_LOG_DIR) for (const [i, p] of procs.entries()) await writeFile(path.join(process.env.MP_LOG_DIR, `proc-${i}.log`), p.output());
    for (const p of procs) await p.stop('SIGKILL');
    await s3?.stop();
    await pg?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('given 200 scans, a worker killed mid-OCR and one added halfway when all is done then every document is ready once, with its text and index entry once, and the audit chain verifies', { timeout: 720_000 }, async () => {
    const t0 = Date.now();
    const api = await start('api');
    const put = await fetch(`${api.url}/api/customers/KL-000123`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bakkerij De Gouden Korst B.V.' }),
    });
    assert.ok(put.ok, `customer: ${put.status}`);
    const [doomed, steady] = await Promise.all([start('worker'), start('worker')]);
    for (const p of [api, doomed, steady]) {
      const h = await health(p);
      assert.equal(h?.status, 'ok');
      assert.equal(h?.database.dialect, 'postgres');
      assert.equal(h?.objectStore.kind, 's3');
    }

    // Upload while the workers run, two at a time (the API checks a few uploads at once and answers 503 beyond).
    const ids: string[] = [];
    let next = 0;
    const uploadOne = async (n: number) => {
      const name = `mp${String(n).padStart(3, '0')}`;
      // Numbers of its own on every letter: letters alike in most words are rightly held as second scans.
      const own = (from: number) => Array.from({ length: 8 }, (_, k) => String(10_000 + n * 16 + from + k)).join(' ');
      const lines = [`Offerte ${name} blad 1`, 'Klantnummer: KL-000123', `Posten ${own(0)}`, `Bedragen ${own(8)}`, `Regel 1 van ${name}`];
      const page = renderScan({ dpi: 150, heightIn: 2.4, lines });
      const pdf = await toImagePdf([page], { dpi: 150 });
      for (;;) {
        const fd = new FormData();
        fd.append('file', new Blob([new Uint8Array(pdf)]), `${name}.pdf`);
        const res = await fetch(`${api.url}/api/documents`, { method: 'POST', headers: auth, body: fd });
        if (res.status === 503) {
          await sleep(Number(res.headers.get('retry-after') ?? 1) * 100);
          continue;
        }
        assert.equal(res.status, 202, await res.clone().text());
        ids[n] = ((await res.json()) as DocumentView).id;
        return;
      }
    };
    let killed = false;
    const killer = (async () => {
      // SIGKILL the first worker while it holds an ingest job: no drain, no release.
      while (!killed) {
        const h = await health(doomed);
        if (h && h.activeJobs > 0) {
          doomed.child.kill('SIGKILL');
          killed = true;
          return;
        }
        await sleep(20);
      }
    })();
    await Promise.all(
      [0, 1].map(async () => {
        while (next < DOCUMENTS) await uploadOne(next++);
      }),
    );
    const uploadedMs = Date.now() - t0;
    await killer;
    assert.ok(killed, 'the first worker was killed while it ran a job');

    // Halfway through, a third worker joins.
    // The overview lists them in one audited read; 200 single reads a second would be 200 audit events a second.
    const listed = async () => {
      const page = await get<{ documents: DocumentView[] }>(api, `/api/documents?customerId=KL-000123&limit=200`);
      return new Map(page.documents.map((d) => [d.id, d]));
    };
    const statuses = async () => {
      const byId = await listed();
      return ids.map((id) => byId.get(id)?.status ?? 'missing');
    };
    const deadline = Date.now() + 600_000;
    let joined = false;
    for (;;) {
      const s = await statuses();
      const final = s.filter((x) => FINAL.includes(x)).length;
      if (!joined && final >= DOCUMENTS / 2) {
        await start('worker');
        joined = true;
      }
      if (final === DOCUMENTS) break;
      assert.ok(Date.now() < deadline, `only ${final} of ${DOCUMENTS} documents are final: ${JSON.stringify(Object.fromEntries(countBy(s)))}`);
      await sleep(500);
    }
    assert.ok(joined, 'the third worker joined');
    const processedMs = Date.now() - t0;
    console.log(`# multi-process: ${DOCUMENTS} documents uploaded in ${Math.round(uploadedMs / 1000)} s, all final after ${Math.round(processedMs / 1000)} s`);

    const byId = await listed();
    const docs = ids.map((id) => byId.get(id) ?? { id, status: 'missing' });
    const notReady = docs.filter((d) => d.status !== 'ready').map((d) => `${d.id}: ${d.status}`);
    assert.deepEqual(notReady, [], 'every document is ready');

    // Ready exactly once: one ingest record in the audit log and one document.ready event each.
    const ingested = countBy((await auditOf(api, 'document.ingested')).map((e) => e.subjectId));
    const readyEvents = countBy((await eventsOf(api, 'document.ready')).map((e) => e.subjectId));
    for (const id of ids) {
      assert.equal(ingested.get(id), 1, `${id} ingested ${ingested.get(id) ?? 0} times`);
      assert.equal(readyEvents.get(id), 1, `${id} announced ready ${readyEvents.get(id) ?? 0} times`);
    }

    // The text once: the customer line of the one page appears once.
    const queue = [...ids];
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          const res = await fetch(`${api.url}/api/documents/${id}/text`, { headers: auth });
          const text = await res.text();
          assert.equal(res.status, 200, text);
          assert.equal(text.match(/Klantnummer/g)?.length, 1, `${id}: the page's text is there once`);
        }
      }),
    );

    // One index entry each: a word every letter has finds each document exactly once.
    const hits: string[] = [];
    let total = 0;
    for (let offset = 0; offset < DOCUMENTS; offset += 100) {
      const page = await get<{ total: number; hits: { documentId: string }[] }>(api, `/api/search?q=Offerte&customerId=KL-000123&limit=100&offset=${offset}`);
      total = page.total;
      hits.push(...page.hits.map((h) => h.documentId));
    }
    assert.equal(total, DOCUMENTS);
    assert.deepEqual([...new Set(hits)].sort(), [...ids].sort());
    assert.equal(hits.length, DOCUMENTS);

    // Every ingest job ran to the end, one per document.
    const jobs = await get<{ jobs: { status: string; payload: { documentId: string } }[] }>(api, '/api/jobs?kind=ingest&limit=500');
    assert.equal(jobs.jobs.length, DOCUMENTS);
    assert.deepEqual(countBy(jobs.jobs.map((j) => j.payload.documentId)).size, DOCUMENTS);

    const verify = await get<{ ok: boolean; checked: number }>(api, '/api/audit/verify');
    assert.equal(verify.ok, true);
    assert.ok(verify.checked > DOCUMENTS);
  });
});
