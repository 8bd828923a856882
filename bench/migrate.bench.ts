/**
 * Migrating an embedded instance to PostgreSQL + S3 (issue #13): `migrate-to-postgres` run as an
 * operator runs it (a child process, timed, its peak memory read by /usr/bin/time) on a data dir
 * with N documents (each an original object, a page of text and an audit event), into a private
 * PostgreSQL server and s3rver on loopback. Reference in the same run: copying the data dir with
 * `cp -r` (the floor of any migration that reads every byte once).
 * Options: BENCH_MIGRATE_DOCS (default 1000). Needs PostgreSQL's server binaries (.ci/run).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { seedDemo } from '../src/demo/demo-seed.js';
import { openDossierlink } from '../src/dossierlink.js';
import { startS3Server } from '../test/helpers/s3-server.js';

const r1 = (n: number) => Math.round(n * 10) / 10;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

export async function benchMigrate(n = Number(process.env.BENCH_MIGRATE_DOCS ?? 1000)): Promise<Record<string, unknown>> {
  // A plain-JS script without declarations: imported by a computed path so TypeScript leaves it alone.
  const script = '../scripts/postgres-server.mjs';
  const { findPostgresBin, startPostgres } = (await import(script)) as {
    findPostgresBin: () => string | null;
    startPostgres: () => Promise<{ url: string; createDatabase(): Promise<string>; stop(): Promise<void> }>;
  };
  if (!findPostgresBin()) return { skipped: 'no PostgreSQL server binaries (apt-get install postgresql)' };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dossierlink-bench-migrate-'));
  const dataDir = path.join(dir, 'data');
  const pgServer = await startPostgres();
  const s3 = await startS3Server();
  try {
    const dl = await openDossierlink(loadConfig({ DOSSIER_DATA_DIR: dataDir, DOSSIER_LOG_LEVEL: 'silent', DOSSIER_INBOX: 'off', DOSSIER_DEMO: 'off' }), { logger: pino({ level: 'silent' }) });
    const fillStarted = performance.now();
    try {
      await seedDemo(dl);
      const template = (await dl.db.get<Record<string, unknown>>("SELECT * FROM documents WHERE original_sha256 IS NOT NULL AND customer_id IS NOT NULL LIMIT 1"))!;
      const cols = Object.keys(template);
      for (let start = 0; start < n; start += 500) {
        const batch: { i: number; stored: { sha256: string; size: number } }[] = [];
        // Distinct bytes per document (~4 KiB, a small scan's size class), stored by hash as ingest does.
        for (let i = start; i < Math.min(n, start + 500); i++) batch.push({ i, stored: await dl.store.putBuffer(Buffer.concat([Buffer.from(`%PDF-1.4 bench ${i}\n`), randomBytes(4096)])) });
        await dl.db.tx(async (q) => {
          for (const { i, stored } of batch) {
            const id = `doc_bench_${String(i).padStart(7, '0')}`;
            const row = { ...template, id, barcode: null, title: `Bench document ${i}`, original_sha256: stored.sha256, original_size: stored.size, archive_sha256: null, near_duplicate_of: null };
            await q.run(`INSERT INTO documents (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => (row as Record<string, unknown>)[c]));
            await q.run("INSERT INTO document_pages (document_id, page_no, text, source) VALUES (?, 1, ?, 'text-layer')", [id, `Factuur ${i} Klantnummer ${String(template.customer_id)} `.repeat(20)]);
            await dl.services.audit.record(q, { actorId: 'bench', action: 'document.create', subjectType: 'document', subjectId: id, customerId: String(template.customer_id) });
          }
        });
      }
    } finally {
      await dl.close();
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;

    const copyStarted = performance.now();
    await run('cp', ['-r', dataDir, path.join(dir, 'copy')]);
    const copySeconds = (performance.now() - copyStarted) / 1000;

    const url = await pgServer.createDatabase();
    const env = {
      ...process.env,
      DOSSIER_DATA_DIR: dataDir,
      DOSSIER_LOG_LEVEL: 'silent',
      DOSSIER_OBJECT_STORE: 's3',
      DOSSIER_S3_ENDPOINT: s3.endPoint,
      DOSSIER_S3_ACCESS_KEY: s3.accessKey,
      DOSSIER_S3_SECRET_KEY: s3.secretKey,
      DOSSIER_S3_BUCKET: 'bench',
    };
    const cli = [process.execPath, '--import', 'tsx', 'src/cli.ts', 'migrate-to-postgres', '--to', url];
    const timed = existsSync('/usr/bin/time');
    const started = performance.now();
    const r = timed ? await run('/usr/bin/time', ['-f', 'TIME %e %M', ...cli], env) : await run(cli[0]!, cli.slice(1), env);
    const seconds = (performance.now() - started) / 1000;
    if (r.code !== 0) throw new Error(`migration failed (${r.code}): ${r.stdout}\n${r.stderr.slice(-2000)}`);
    const peakKiB = Number(/TIME [\d.]+ (\d+)/.exec(r.stderr)?.[1] ?? NaN);
    const rows = Number(/(\d[\d,]*) row\(s\)/.exec(r.stdout)?.[1]?.replace(/,/g, '') ?? NaN);
    return {
      documents: n,
      rows,
      objects: Number(/objects: (\d+) referenced/.exec(r.stdout)?.[1] ?? NaN),
      fillSeconds: r1(fillSeconds),
      migrateSeconds: r1(seconds),
      documentsPerSecond: Math.round(n / seconds),
      peakRssMiB: Number.isFinite(peakKiB) ? Math.round(peakKiB / 1024) : 'n/a (no /usr/bin/time)',
      referenceCopyDataDirSeconds: r1(copySeconds),
      verified: /every count equal/.test(r.stdout) && /every checksum matches/.test(r.stdout) && /audit log on the target: OK/.test(r.stdout),
    };
  } finally {
    await s3.stop();
    await pgServer.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
