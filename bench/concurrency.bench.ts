/**
 * Requests beside heavy work (issues #13, #15): 20 requests at once — heavy searches, uploads,
 * barcode moves, /api/me and a dossier — while OCR reads three-page scans
 * (test/helpers/concurrency-burst.ts, the load the concurrency test uses). Each kind's p95 under
 * the bursts beside its own solo cost measured in the same run (one at a time, OCR running), and
 * whether the bound holds: each cheap kind's p95 within 10x its solo cost + 250 ms, a heavy search
 * past its budget answering within budget + 10x /api/me's solo cost + 1.5 s.
 * Options: BENCH_CONCURRENCY_ENGINES (default sqlite,postgres), BENCH_CONCURRENCY_ROUNDS (default 5).
 */
import { BURST_ENV, CHEAP, prepareBurst, waitForFinal, type Burst } from '../test/helpers/concurrency-burst.js';
import { startTestApp } from '../test/helpers/test-app.js';

type PgServer = { createDatabase(): Promise<string>; stop(): Promise<void> };

const r2 = (n: number) => Math.round(n * 100) / 100;

/** What one engine's bursts say: per kind solo, p95, their ratio, the bound and whether it held. */
function figures(b: Burst): Record<string, unknown> {
  const kinds = Object.fromEntries(
    CHEAP.map((k) => {
      const { solo, p95, max } = b.report[k];
      const bound = Math.round(10 * b.solo[k] + 250);
      return [k, { soloMs: solo, p95Ms: p95, maxMs: max, ratioP95ToSolo: r2(p95 / Math.max(1, solo)), boundMs: bound, held: p95 < bound }];
    }),
  );
  const heavy = b.all.filter((r) => r.kind === 'heavy');
  const heavyBound = Math.round(b.budget + 10 * b.solo.me + 1500);
  const heavyMax = Math.round(Math.max(...heavy.map((r) => r.ms)));
  return {
    perKind: kinds,
    heavySearch: { soloMs: b.report.heavy.solo, budgetMs: b.budget, timedOut: `${heavy.filter((r) => r.status === 503).length}/${heavy.length}`, p95Ms: b.report.heavy.p95, maxMs: heavyMax, boundMs: heavyBound, held: heavyMax < heavyBound },
    writersQueuedMax: b.writersQueuedMax,
    writerWaitMaxMs: Math.round(b.writerWaitMaxMs),
    boundHeld: Object.values(kinds).every((k) => k.held) && heavyMax < heavyBound,
  };
}

async function onEngine(env: Record<string, string>, rounds: number): Promise<Record<string, unknown>> {
  const t = await startTestApp({ env: { ...BURST_ENV, ...env } });
  try {
    const { run } = await prepareBurst(t, rounds);
    const b = await run();
    const failed = await waitForFinal(t, b.uploaded, 120_000);
    return { ...figures(b), uploadsFailed: failed.length };
  } finally {
    await t.close();
  }
}

export async function benchConcurrency(
  engines = (process.env.BENCH_CONCURRENCY_ENGINES ?? 'sqlite,postgres').split(','),
  rounds = Number(process.env.BENCH_CONCURRENCY_ROUNDS ?? 5),
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { rounds, requestsPerRound: 20 };
  if (engines.includes('sqlite')) out.sqlite = await onEngine({}, rounds);
  if (engines.includes('postgres')) {
    // A variable path: the server script is plain JS, outside the typed sources.
    const script = '../scripts/postgres-server.mjs';
    const { startPostgres } = (await import(script)) as { startPostgres(): Promise<PgServer> };
    const server = await startPostgres();
    try {
      out.postgres = await onEngine({ DOSSIER_DATABASE_URL: await server.createDatabase(), DOSSIER_AUDIT_KEY: 'bench-audit-key-for-the-postgresql-run-0123456789' }, rounds);
    } finally {
      await server.stop();
    }
  }
  return out;
}
