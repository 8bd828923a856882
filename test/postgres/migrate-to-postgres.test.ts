import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { makeTextPdf } from '../../src/adapters/pdf/text-pdf.js';
import { loadConfig } from '../../src/config.js';
import { migrate } from '../../src/db/migrate.js';
import { PgDatabase } from '../../src/db/pg-database.js';
import { seedDemo } from '../../src/demo/demo-seed.js';
import { openDossierlink, type Dossierlink } from '../../src/dossierlink.js';
import { nodeEntry } from '../helpers/entry.js';
import { closePgAdmin, freshPgDatabase } from '../helpers/postgres.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';

// Runs in the PostgreSQL pass (`node scripts/run-tests.mjs --postgres test/postgres/migrate-to-postgres.test.ts`).

type Run = { code: number; stdout: string; stderr: string };
const ADMIN = 'migrate-admin-token-0123456789';

/**
 * `npm run cli -- migrate-to-postgres` as an operator runs it: a stopped embedded instance with
 * ingested documents, a real PostgreSQL and a real S3 server (s3rver) on loopback, then the app
 * opened on the target alone (another, empty data dir) to read what was migrated.
 */
describe('migrate-to-postgres', () => {
  let dir: string;
  let dataDir: string;
  let s3: S3TestServer;
  const uploaded: { id: string; sha256: string }[] = [];
  let carried = '';

  const s3Env = (bucket: string) => ({ DOSSIER_OBJECT_STORE: 's3', DOSSIER_S3_ENDPOINT: s3.endPoint, DOSSIER_S3_ACCESS_KEY: s3.accessKey, DOSSIER_S3_SECRET_KEY: s3.secretKey, DOSSIER_S3_BUCKET: bucket });
  const cliEnv = (extra: Record<string, string>) => ({ ...process.env, DOSSIER_DATA_DIR: dataDir, DOSSIER_LOG_LEVEL: 'silent', ...extra });
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    new Promise<Run>((resolve) => {
      execFile(process.execPath, [...nodeEntry('src/cli.ts'), 'migrate-to-postgres', ...args], { env: cliEnv(extra), timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const openSource = () => openDossierlink(loadConfig({ DOSSIER_DATA_DIR: dataDir, DOSSIER_LOG_LEVEL: 'silent', DOSSIER_INBOX: 'off', DOSSIER_ADMIN_TOKEN: ADMIN }));
  const serve = async (dl: Dossierlink) => {
    const server: Server = dl.app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    const a = server.address();
    const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    const api = (p: string, init: RequestInit = {}) => fetch(url + p, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...(init.headers as Record<string, string>) } });
    return { api, stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
  };
  const tableRows = async (url: string, sql: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-migrate-'));
    dataDir = path.join(dir, 'data');
    s3 = await startS3Server();
    const dl = await openSource();
    await seedDemo(dl);
    await dl.startWorkers();
    const http = await serve(dl);
    // Born-digital PDFs: the text layer is read without OCR, so ingest is quick and real.
    for (const [i, text] of ['Factuur F-2024-001\nKlantnummer: KL-000123\nTotaal EUR 120,00', 'Offerte OF-77\nKlantnummer: KL-000123\nGeldig tot 2030'].entries()) {
      const bytes = await makeTextPdf([text.split('\n')], { title: `upload ${i}` });
      const fd = new FormData();
      fd.append('file', new Blob([new Uint8Array(bytes)]), `scan-${i}.pdf`);
      const res = await http.api('/api/documents', { method: 'POST', body: fd });
      assert.equal(res.status, 202, await res.clone().text());
      const { id } = (await res.json()) as { id: string };
      uploaded.push({ id, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    for (const u of uploaded) {
      for (let t = Date.now(); ; ) {
        const d = (await (await http.api(`/api/documents/${u.id}`)).json()) as { status: string };
        if (['ready', 'needs_review', 'failed'].includes(d.status)) break;
        if (Date.now() - t > 60_000) throw new Error(`${u.id} not final`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // Let thumbnails and other follow-up jobs end, so the instance is at rest when it stops.
    for (let t = Date.now(); Date.now() - t < 30_000; await new Promise((r) => setTimeout(r, 100))) {
      const busy = await dl.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE status IN ('queued','running') AND kind <> 'reclassify-daily' AND kind <> 'object-sweep'");
      if (!busy?.n) break;
    }
    await http.stop();
    await dl.close();
    // A job still queued when the instance stopped: the PostgreSQL queue must run it after the move.
    const idle = await openSource();
    carried = (await idle.db.tx((q) => idle.queue.enqueue(q, { kind: 'reclassify-daily', payload: {}, idempotencyKey: 'migrate-test:carried-over' }))).id;
    await idle.close();
  });
  after(async () => {
    await s3?.stop();
    await closePgAdmin();
    await rm(dir, { recursive: true, force: true });
  });

  it('given a running instance when migrating then it is refused and nothing is written', async () => {
    const url = (await freshPgDatabase())!;
    const dl = await openSource();
    try {
      const r = await cli(['--to', url], s3Env('refused'));
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /in use by another process.*Stop it first/s);
    } finally {
      await dl.close();
    }
    const tables = await tableRows(url, "SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'");
    assert.equal(tables[0].n, 0, 'the target was not touched');
  });

  it('given a stopped instance when migrated then the app on PostgreSQL and S3 alone serves its dossier, documents, files, search and a verified audit log and runs its queued job; a second run does nothing, or warns when the old instance was used since', async () => {
    const url = (await freshPgDatabase())!;
    const first = await cli(['--to', url], s3Env('migrated'));
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
    assert.match(first.stdout, /^migrated: /m);
    assert.match(first.stdout, /every count equal/);
    assert.match(first.stdout, /every checksum matches/);
    assert.match(first.stdout, /audit log on the target: OK, \d+ event\(s\) checked/);
    assert.match(first.stdout, /DOSSIER_AUDIT_KEY=hex:/);
    assert.match(first.stderr, /rows .*100%/, 'progress lines on a pipe');

    // Every identity continues after the copied numbers, so the application's next insert does not collide.
    const idents = await tableRows(url, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND is_identity = 'YES'");
    assert.ok(idents.length >= 5);
    for (const { table_name: t, column_name: c } of idents) {
      const [r] = await tableRows(url, `SELECT (SELECT COALESCE(MAX("${c}"), 0) FROM "${t}")::bigint AS max, nextval(pg_get_serial_sequence('${t}', '${c}'))::bigint AS next`);
      assert.ok(Number(r.next) > Number(r.max), `${t}.${c}: next ${r.next} after ${r.max}`);
    }

    const again = await cli(['--to', url], s3Env('migrated'));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to do: .* migrated .* already/);

    // The target app: its own empty data dir, so everything it shows comes from PostgreSQL and S3.
    const key = (await readFile(path.join(dataDir, 'audit.key'), 'utf8')).trim();
    const elsewhere = path.join(dir, 'target-data');
    const dl = await openDossierlink(
      loadConfig({ DOSSIER_DATA_DIR: elsewhere, DOSSIER_LOG_LEVEL: 'silent', DOSSIER_INBOX: 'off', DOSSIER_ADMIN_TOKEN: ADMIN, DOSSIER_DATABASE_URL: url, DOSSIER_AUDIT_KEY: `hex:${key}`, ...s3Env('migrated') }),
    );
    const http = await serve(dl);
    try {
      const dossier = (await (await http.api('/api/customers/KL-000123/dossier')).json()) as { customer: { id: string }; documents: { id: string }[] };
      assert.equal(dossier.customer.id, 'KL-000123');
      for (const u of uploaded) assert.ok(dossier.documents.some((d) => d.id === u.id), `uploaded ${u.id} is in the dossier`);
      for (const u of uploaded) {
        const doc = (await (await http.api(`/api/documents/${u.id}`)).json()) as { id: string; status: string };
        assert.equal(doc.status, 'ready');
        const file = await http.api(`/api/documents/${u.id}/file`);
        assert.equal(file.status, 200);
        assert.equal(createHash('sha256').update(Buffer.from(await file.arrayBuffer())).digest('hex'), u.sha256, 'the original, byte for byte, from S3');
      }
      // The search index was rebuilt on PostgreSQL from the copied page texts.
      const search = (await (await http.api('/api/search?q=offerte')).json()) as { hits: { documentId: string }[] };
      assert.ok(search.hits.some((h) => h.documentId === uploaded[1]!.id), `the uploaded offer is found: ${JSON.stringify(search)}`);
      assert.match(first.stdout, /search index on the target: \d+ document\(s\)/);
      const verify = (await (await http.api('/api/audit/verify')).json()) as { ok: boolean; checked: number };
      assert.equal(verify.ok, true, JSON.stringify(verify));
      assert.ok(verify.checked > 10);

      assert.match(first.stdout, /jobs carried over .*reclassify-daily queued 1/);
      await dl.startWorkers();
      let status = '';
      for (let t = Date.now(); Date.now() - t < 60_000 && status !== 'done'; await new Promise((r) => setTimeout(r, 100))) {
        status = (await dl.db.get<{ status: string }>('SELECT status FROM jobs WHERE id = ?', [carried]))?.status ?? '';
      }
      assert.equal(status, 'done', 'the job queued on SQLite ran on the PostgreSQL queue');
    } finally {
      await http.stop();
      await dl.close();
    }

    // The old instance used after the migration: a re-run says its changes are not in the target.
    const old = await openSource();
    await old.services.audit.recordNow({ actorId: null, action: 'test.after-migration', subjectType: 'test' });
    await old.close();
    const stale = await cli(['--to', url], s3Env('migrated'));
    assert.equal(stale.code, 3, stale.stderr);
    assert.match(stale.stdout, /WARNING: the embedded database was written after the migration finished/);
  });

  it('given a migration killed mid-way when run again then it continues and ends with the same rows as an uninterrupted one, none twice', async () => {
    const whole = (await freshPgDatabase())!;
    const url = (await freshPgDatabase())!;
    assert.equal((await cli(['--to', whole], s3Env('whole'))).code, 0);
    // Small batches so the copy takes long enough to be caught in the middle: once stopped with Ctrl-C, once killed.
    const copiedSoFar = () => tableRows(url, 'SELECT COALESCE(SUM(copied), 0)::int AS n FROM migration_from_sqlite_tables').then((r) => r[0].n as number, () => 0);
    const stopAt = async (rows: number, signal: NodeJS.Signals) => {
      const child = spawn(process.execPath, [...nodeEntry('src/cli.ts'), 'migrate-to-postgres', '--to', url, '--batch-size', '2'], { env: cliEnv(s3Env('resumed')), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      for (let t = Date.now(); Date.now() - t < 60_000 && (await copiedSoFar()) < rows; ) await new Promise((r) => setTimeout(r, 20));
      child.kill(signal);
      return { code: await exited, stderr };
    };
    const interrupted = await stopAt(10, 'SIGINT');
    assert.equal(interrupted.code, 1);
    assert.match(interrupted.stderr, /interrupted: everything copied so far is kept; run the same command again/);
    const afterCtrlC = await copiedSoFar();
    await stopAt(afterCtrlC + 20, 'SIGKILL');
    const copied = await copiedSoFar();
    const all = (await tableRows(whole, 'SELECT SUM(copied)::int AS n FROM migration_from_sqlite_tables'))[0].n as number;
    assert.ok(copied > afterCtrlC && copied < all, `the second run went on from the first and was killed part-way (${afterCtrlC} → ${copied})`);
    const state = await tableRows(url, 'SELECT finished_at FROM migration_from_sqlite');
    assert.equal(state[0].finished_at, null, 'no run finished yet');

    const resumed = await cli(['--to', url, '--batch-size', '7'], s3Env('resumed'));
    assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
    assert.match(resumed.stdout, /continued an earlier run/);
    assert.match(resumed.stdout, /every count equal/);

    const tables = (await tableRows(url, 'SELECT table_name FROM migration_from_sqlite_tables ORDER BY table_name')).map((r) => r.table_name as string);
    assert.ok(tables.length > 40, `every table is tracked (${tables.length})`);
    for (const t of [...tables, 'document_search']) {
      const dump = (u: string) => tableRows(u, `SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS h, COUNT(*)::int AS n FROM "${t}" x`);
      assert.deepEqual(await dump(url), await dump(whole), `table ${t} is the same as after an uninterrupted run`);
    }
  });

  it('given a bad target when migrating then the error says what is wrong and nothing is left behind: PostgreSQL or S3 unreachable, wrong collation, not empty, schema mismatch', async () => {
    const unreachable = await cli(['--to', 'postgres://nobody:secret@127.0.0.1:1/none'], s3Env('bad'));
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /Cannot use the PostgreSQL database at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/);
    assert.doesNotMatch(unreachable.stderr, /secret/);

    const noS3Db = (await freshPgDatabase())!;
    const noS3 = await cli(['--to', noS3Db], { ...s3Env('bad'), DOSSIER_S3_ENDPOINT: 'http://127.0.0.1:1' });
    assert.equal(noS3.code, 1);
    assert.match(noS3.stderr, /Cannot use the S3 bucket bad at http:\/\/127\.0\.0\.1:1/);
    assert.equal((await tableRows(noS3Db, "SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'"))[0].n, 0, 'nothing created');

    // A language collation would order ids and cursors unlike SQLite: refused before anything is created.
    const admin = process.env.DOSSIER_TEST_PG_URL!;
    const icuName = `t_icu_${process.pid}`;
    await tableRows(admin, `CREATE DATABASE ${icuName} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'nl'`);
    const icuUrl = Object.assign(new URL(admin), { pathname: `/${icuName}` }).toString();
    const icu = await cli(['--to', icuUrl], s3Env('bad'));
    assert.equal(icu.code, 1);
    assert.match(icu.stderr, /sorts text by the icu:nl collation.*LC_COLLATE 'C'/);
    assert.equal((await tableRows(icuUrl, "SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'"))[0].n, 0);

    const used = (await freshPgDatabase())!;
    const other = await openDossierlink(loadConfig({ DOSSIER_DATA_DIR: path.join(dir, 'other'), DOSSIER_LOG_LEVEL: 'silent', DOSSIER_INBOX: 'off', DOSSIER_DATABASE_URL: used, DOSSIER_AUDIT_KEY: 'another-instance-key-0123456789abcdef' }));
    await other.services.audit.recordNow({ actorId: null, action: 'test.event', subjectType: 'test' });
    await other.close();
    const notEmpty = await cli(['--to', used], s3Env('bad'));
    assert.equal(notEmpty.code, 1);
    assert.match(notEmpty.stderr, /target database is not empty \(rows in .*audit_events/);

    const odd = (await freshPgDatabase())!;
    const db = await PgDatabase.open(odd);
    await migrate(db);
    await db.exec('ALTER TABLE documents DROP COLUMN text_minhash');
    await db.close();
    const mismatch = await cli(['--to', odd], s3Env('bad'));
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /schema does not match.*column documents\.text_minhash/s);
  });

  it('given an unfinished migration when the old instance is used before the next run then the next run refuses to mix the two states', async () => {
    const url = (await freshPgDatabase())!;
    const child = spawn(process.execPath, [...nodeEntry('src/cli.ts'), 'migrate-to-postgres', '--to', url, '--batch-size', '1'], { env: cliEnv(s3Env('changed')), stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    for (let t = Date.now(); Date.now() - t < 60_000; await new Promise((r) => setTimeout(r, 20))) {
      const n = await tableRows(url, 'SELECT COALESCE(SUM(copied), 0)::int AS n FROM migration_from_sqlite_tables').then((r) => r[0].n as number, () => 0);
      if (n >= 3) break;
    }
    child.kill('SIGKILL');
    await exited;
    const dl = await openSource();
    await dl.services.audit.recordNow({ actorId: null, action: 'test.between-runs', subjectType: 'test' });
    await dl.close();
    const r = await cli(['--to', url], s3Env('changed'));
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /embedded database changed since this migration started/);
  });
});
