/**
 * Opening a dossier (issue 15): GET /api/customers/:id/dossier's service call on a customer with
 * 1,000 documents (dynamic scans and static paper in boxes on shelves), among other customers'
 * documents, against the bare indexed read of the same rows in the same run.
 * Options: BENCH_DOSSIER_DOCS (default 1000), BENCH_DOSSIER_OTHERS (default 20000),
 * BENCH_DOSSIER_ENGINES (default sqlite,postgres: the same on PostgreSQL, a private server started
 * for the run, where opening a dossier also takes its turn on the audit chain's lock).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { openDossierlink } from '../src/dossierlink.js';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const r1 = (n: number) => Math.round(n * 10) / 10;

type PgServer = { createDatabase(): Promise<string>; stop(): Promise<void> };

export async function benchDossier(
  n = Number(process.env.BENCH_DOSSIER_DOCS ?? 1000),
  others = Number(process.env.BENCH_DOSSIER_OTHERS ?? 20_000),
  engines = (process.env.BENCH_DOSSIER_ENGINES ?? 'sqlite,postgres').split(','),
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = engines.includes('sqlite') ? await openDossier(n, others) : {};
  if (engines.includes('postgres')) {
    // A variable path: the server script is plain JS, outside the typed sources.
    const script = '../scripts/postgres-server.mjs';
    const { startPostgres } = (await import(script)) as { startPostgres(): Promise<PgServer> };
    const server = await startPostgres();
    try {
      const pg = await openDossier(n, others, { DOSSIER_DATABASE_URL: await server.createDatabase(), DOSSIER_AUDIT_KEY: 'bench-audit-key-for-the-postgresql-run-0123456789' });
      out.postgres = pg;
      if (typeof out.openP95Ms === 'number') out.ratioP95PostgresVsSqlite = r1((pg.openP95Ms as number) / out.openP95Ms);
    } finally {
      await server.stop();
    }
  }
  return out;
}

async function openDossier(n: number, others: number, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dossierlink-bench-dossier-'));
  const dl = await openDossierlink(loadConfig({ DOSSIER_DATA_DIR: dir, DOSSIER_LOG_LEVEL: 'silent', DOSSIER_INBOX: 'off', DOSSIER_DEMO: 'off', ...env }), { logger: pino({ level: 'silent' }) });
  try {
    await dl.db.tx(async (q) => {
      const now = '2026-01-01T00:00:00Z';
      await q.run(`INSERT INTO locations (id, barcode, kind, name, parent_id, created_at) VALUES ('loc_site', 'L-SITE', 'site', 'Archief', NULL, ?)`, [now]);
      await q.run(`INSERT INTO locations (id, barcode, kind, name, parent_id, created_at) VALUES ('loc_room', 'L-ROOM', 'room', 'Kelder', 'loc_site', ?)`, [now]);
      for (let s = 0; s < 20; s++) {
        await q.run(`INSERT INTO locations (id, barcode, kind, name, parent_id, created_at) VALUES (?, ?, 'shelf', ?, 'loc_room', ?)`, [`loc_shelf${s}`, `L-SH${s}`, `Plank ${s}`, now]);
        for (let b = 0; b < 5; b++) await q.run(`INSERT INTO locations (id, barcode, kind, name, parent_id, created_at) VALUES (?, ?, 'box', ?, ?, ?)`, [`loc_box${s}_${b}`, `L-BX${s}-${b}`, `Doos ${s}-${b}`, `loc_shelf${s}`, now]);
      }
      const customers = 1 + Math.ceil(others / 1000);
      for (let c = 0; c < customers; c++) await q.run("INSERT INTO customers (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)", [`KL-${String(c).padStart(6, '0')}`, `Klant ${c}`, now, now]);
      for (let i = 0; i < n + others; i++) {
        const mine = i < n;
        const customer = mine ? 'KL-000000' : `KL-${String(1 + (i % (customers - 1))).padStart(6, '0')}`;
        const paper = i % 3 === 0;
        await q.run(
          `INSERT INTO documents (id, customer_id, type, class, status, title, doc_date, fields, classification, location_id,
             retention_legal_basis, retention_trigger, retention_period, retention_disposition, source, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'ready', ?, ?, '{"number":"X"}', '{"state":"active"}', ?, 'x', 'document-date', 'P7Y', 'destroy', 'bench', ?, ?)`,
          [`doc_d${i}`, customer, paper ? 'service-contract' : 'invoice', paper ? 'static' : 'dynamic', `Document ${i}`, `20${10 + (i % 16)}-0${1 + (i % 9)}-15`, paper ? `loc_box${i % 20}_${i % 5}` : null, now, now],
        );
      }
    });
    // What autovacuum does on a live server after a bulk load (statistics for the planner).
    if (dl.db.dialect === 'postgres') await dl.db.exec('ANALYZE');
    const actor = { id: 'bench', name: 'bench', roles: ['crm' as const] };
    const service: number[] = [];
    const floor: number[] = [];
    let count = 0;
    for (let round = 0; round < 60; round++) {
      let t = performance.now();
      count = (await dl.services.customers.dossier('KL-000000', actor)).documents.length;
      service.push(performance.now() - t);
      // Reference: the bare read of the dossier's rows through the same index, nothing else.
      t = performance.now();
      await dl.db.all("SELECT * FROM documents WHERE customer_id = 'KL-000000' AND destroyed_at IS NULL ORDER BY doc_date DESC");
      floor.push(performance.now() - t);
    }
    return {
      documents: count,
      otherDocuments: others,
      openP95Ms: r1(pct(service, 95)),
      openMedianMs: r1(pct(service, 50)),
      bareReadP95Ms: r1(pct(floor, 95)),
      ratioP95VsBareRead: r1(pct(service, 95) / pct(floor, 95)),
      targetP95Ms: 100,
    };
  } finally {
    await dl.close();
    await rm(dir, { recursive: true, force: true });
  }
}
