/**
 * Scaling out (issue #13): ingest throughput in pages/min, upload → final status, of the same
 * scanned pages as the `ingest` section, through one `api` process and 1, 2 and 4 `worker`
 * processes (each its own data dir) on one private PostgreSQL and one s3rver, beside the
 * reference of one embedded `all` process on SQLite, measured in the same run.
 * Every process is the real service (src/main.ts) started as `npm start` would; uploads go over HTTP.
 * Options: BENCH_SCALE_PAGES (default 12), BENCH_SCALE_WORKERS (default 1,2,4),
 * BENCH_SCALE_OCR_WORKERS (OCR workers per process, default 1).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderScan, toJpeg } from '../test/helpers/scan-samples.js';
import { startS3Server } from '../test/helpers/s3-server.js';
import { startServerProcess, type ServerProcess } from '../test/helpers/server-process.js';
import { makePages, type Page } from './ingest.bench.js';

const TOKEN = 'bench-scale-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const FINAL = ['ready', 'needs_review', 'failed'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type PgServer = { createDatabase(): Promise<string>; stop(): Promise<void> };

async function upload(api: string, jpeg: Buffer, name: string): Promise<string> {
  const fd = new FormData();
  fd.append('file', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), name);
  const res = await fetch(`${api}/api/documents`, { method: 'POST', headers: auth, body: fd });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`upload ${name}: ${res.status} ${text}`);
  return (JSON.parse(text) as { id: string }).id;
}

/** Polls each document until all are final; returns how many failed. */
async function waitFinal(api: string, ids: string[], timeoutMs = 900_000): Promise<number> {
  const status = new Map<string, string>();
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const id of ids.filter((i) => !FINAL.includes(status.get(i) ?? ''))) {
      const res = await fetch(`${api}/api/documents/${id}`, { headers: auth });
      if (res.ok) status.set(id, ((await res.json()) as { status: string }).status);
    }
    if (ids.every((i) => FINAL.includes(status.get(i) ?? ''))) return ids.filter((i) => status.get(i) === 'failed').length;
    if (Date.now() > end) throw new Error(`documents not final after ${timeoutMs} ms`);
    await sleep(150);
  }
}

/**
 * One run: warm every process's OCR up (one small page per OCR worker, waited for, so start-up is
 * not counted), then upload all pages and time until every one is final.
 */
async function measure(api: string, pages: Page[], ocrWorkersTotal: number, tag: string) {
  const warm = await Promise.all(
    Array.from({ length: ocrWorkersTotal }, async (_, i) => upload(api, await toJpeg(renderScan({ dpi: 150, heightIn: 2, lines: [`Opwarmen ${tag} ${i}`], seed: 500 + i })), `warm-${i}.jpg`)),
  );
  await waitFinal(api, warm);
  const t0 = performance.now();
  const ids = await Promise.all(pages.map((p, i) => upload(api, p.jpeg, `scan-${tag}-${i}.jpg`)));
  const failed = await waitFinal(api, ids);
  const wallMs = performance.now() - t0;
  return { pagesPerMinute: Math.round((pages.length / wallMs) * 60_000 * 10) / 10, seconds: Math.round(wallMs / 100) / 10, failed };
}

async function withDirs<T>(n: number, fn: (dirs: string[]) => Promise<T>): Promise<T> {
  const dirs = await Promise.all(Array.from({ length: n }, () => mkdtemp(path.join(os.tmpdir(), 'dossierlink-bench-scale-'))));
  try {
    return await fn(dirs);
  } finally {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}

const base = (ocr: number) => ({ DOSSIER_ADMIN_TOKEN: TOKEN, DOSSIER_DEMO: 'off', DOSSIER_INBOX: 'off', DOSSIER_OCR_WORKERS: String(ocr) });

/** The reference: the embedded default, one `all` process on SQLite and local files. */
async function embedded(pages: Page[], ocr: number) {
  return withDirs(1, async ([dir]) => {
    const p = await startServerProcess({ ...base(ocr), DOSSIER_DATA_DIR: dir! });
    try {
      return await measure(p.url, pages, ocr, 'sqlite');
    } finally {
      await p.stop();
    }
  });
}

/** One `api` and `workers` `worker` processes on a fresh database and bucket. */
async function scaledOut(pg: PgServer, s3: Awaited<ReturnType<typeof startS3Server>>, pages: Page[], workers: number, ocr: number) {
  const url = await pg.createDatabase();
  const env = {
    ...base(ocr),
    DOSSIER_DATABASE_URL: url,
    DOSSIER_AUDIT_KEY: 'bench-scale-audit-key-0123456789abcdef',
    DOSSIER_OBJECT_STORE: 's3',
    DOSSIER_S3_ENDPOINT: s3.endPoint,
    DOSSIER_S3_ACCESS_KEY: s3.accessKey,
    DOSSIER_S3_SECRET_KEY: s3.secretKey,
    DOSSIER_S3_BUCKET: `bench-scale-${workers}`,
  };
  return withDirs(workers + 1, async ([apiDir, ...workerDirs]) => {
    const procs: ServerProcess[] = [];
    try {
      // The API first: it runs the migrations; the workers then start together.
      const api = await startServerProcess({ ...env, DOSSIER_ROLE: 'api', DOSSIER_DATA_DIR: apiDir! });
      procs.push(api);
      procs.push(...(await Promise.all(workerDirs.map((d) => startServerProcess({ ...env, DOSSIER_ROLE: 'worker', DOSSIER_DATA_DIR: d })))));
      return await measure(api.url, pages, workers * ocr, `pg${workers}`);
    } finally {
      for (const p of procs) await p.stop();
    }
  });
}

/**
 * Runs the section and prints each scaled-out figure beside the embedded reference.
 * @example const r = await benchScale();
 */
export async function benchScale(n = Number(process.env.BENCH_SCALE_PAGES ?? 12)): Promise<Record<string, unknown>> {
  const counts = (process.env.BENCH_SCALE_WORKERS ?? '1,2,4').split(',').map(Number);
  const ocr = Number(process.env.BENCH_SCALE_OCR_WORKERS ?? 1);
  const cores = os.availableParallelism();
  const pages = await makePages(n);
  // @ts-expect-error: a plain ES module script without type declarations
  const { startPostgres } = (await import('../scripts/postgres-server.mjs')) as { startPostgres(): Promise<PgServer> };
  const [pg, s3] = await Promise.all([startPostgres(), startS3Server()]);
  try {
    const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
    const loadBefore = load();
    const reference = await embedded(pages, ocr);
    const runs: Record<string, unknown> = {};
    for (const w of counts) {
      const r = await scaledOut(pg, s3, pages, w, ocr);
      runs[`workers${w}`] = {
        ...r,
        ocrWorkersTotal: w * ocr,
        ratioToEmbedded: Math.round((r.pagesPerMinute / reference.pagesPerMinute) * 100) / 100,
        oversubscribed: w * ocr > cores,
      };
    }
    return {
      pages: n,
      cores,
      ocrWorkersPerProcess: ocr,
      note: `each worker process runs ${ocr} OCR worker(s); above ${cores} in total the cores are oversubscribed: the shape of the curve is what counts`,
      loadAverageBefore: loadBefore,
      embeddedSqliteAllPagesPerMin: reference.pagesPerMinute,
      embedded: { ...reference, ocrWorkersTotal: ocr },
      ...runs,
      loadAverageAfter: load(),
    };
  } finally {
    await s3.stop();
    await pg.stop();
  }
}
