/**
 * Twenty requests at once — heavy searches, uploads, barcode moves, /api/me and a dossier —
 * against an app whose OCR is busy ingesting. Shared by the concurrency test (every request
 * answers correctly, heavy searches past their budget answer 503 `search_timeout`) and the
 * concurrency bench (how long each kind waits, against its own solo cost measured in the same
 * run), so both load the app the same way.
 */
import assert from 'node:assert/strict';
import { fillSearchIndex } from './search-corpus.js';
import { LETTER_LINES, renderScan, toImagePdf, toJpeg } from './scan-samples.js';
import { FINAL, waitFinal } from './ingest-helpers.js';
import type { TestApp } from './test-app.js';

type Json = Record<string, any>;
export type BurstKind = 'me' | 'dossier' | 'move' | 'upload' | 'heavy';
export type BurstResult = { kind: BurstKind; status: number; body: Json; ms: number };
export type Burst = {
  all: BurstResult[];
  /** Each kind's median alone, one request at a time, OCR running meanwhile. */
  solo: Record<BurstKind, number>;
  /** The heavy search's time budget during the bursts: half its solo cost, so under load they overrun it. */
  budget: number;
  report: Record<BurstKind, { solo: number; p95: number; max: number }>;
  writersQueuedMax: number;
  writerWaitMaxMs: number;
  /** Every document the bursts and the background load uploaded. */
  uploaded: string[];
  summary: string;
};

/** Sixteen words found in most documents of the corpus: a legal, costly query. */
export const HEAVY = 'de het een van en in op voor met aan te is dat klant datum factuur';
/** Per round of 20: 5 heavy searches, 4 /api/me, 4 dossiers, 4 moves, 3 uploads. */
const MIX: BurstKind[] = [...Array<BurstKind>(5).fill('heavy'), ...Array<BurstKind>(4).fill('me'), ...Array<BurstKind>(4).fill('dossier'), ...Array<BurstKind>(4).fill('move'), ...Array<BurstKind>(3).fill('upload')];
export const CHEAP: BurstKind[] = ['me', 'dossier', 'move', 'upload'];

export const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1]!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The app's environment for a burst: one OCR worker, no search rate limit, a 3 s search budget
 * (lowered to half the heavy search's solo cost while the bursts run).
 */
export const BURST_ENV = { DOSSIER_OCR_WORKERS: '1', DOSSIER_SEARCH_RATE_LIMIT: '0', DOSSIER_SEARCH_TIMEOUT_MS: '3000' };

/**
 * Prepares `t` (started with BURST_ENV) and returns `run()`, which measures the solo costs, then
 * `rounds` bursts of the 20-request mix while OCR reads three-page scans. Workers are started by
 * `run()`; the corpus (2,000 documents of another customer than the dossier asked for) and the
 * paper documents to move are made here.
 */
export async function prepareBurst(t: TestApp, rounds: number): Promise<{ run: () => Promise<Burst> }> {
  const papers: string[] = [];
  const sites: string[] = [];
  const uploaded: string[] = [];
  let moves = 0;
  let uploads = 0;
  // Rendered beforehand: drawing a page is synchronous work that would block the app's own event loop (same process).
  const scans: Buffer[] = [];
  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Json });
  const call = async (kind: BurstKind): Promise<{ status: number; body: Json }> => {
    switch (kind) {
      case 'me':
        return json(await t.api('GET', '/api/me', { as: 'crm' }));
      case 'dossier':
        return json(await t.api('GET', '/api/customers/KL-000124/dossier', { as: 'crm' }));
      case 'heavy':
        return json(await t.api('GET', `/api/search?q=${encodeURIComponent(HEAVY)}`, { as: 'crm' }));
      case 'move': {
        // Each move takes another paper document to the other site, so every one is a real move.
        const n = moves++;
        return json(await t.api('POST', '/api/tracking/scan', { as: 'mailroom', json: { barcode: papers[n % papers.length], to: sites[Math.floor(n / papers.length) % 2] } }));
      }
      case 'upload': {
        // Every page differs, so no upload is a duplicate of another.
        const n = uploads++;
        const fd = new FormData();
        fd.append('file', new Blob([new Uint8Array(scans[n]!)], { type: 'image/jpeg' }), `gelijktijdig-${n}.jpg`);
        const r = await json(await t.api('POST', '/api/documents', { as: 'mailroom', body: fd }));
        if (r.status === 202) uploaded.push(r.body.id);
        return r;
      }
    }
  };
  const timed = async (kind: BurstKind): Promise<BurstResult> => {
    const t0 = performance.now();
    const r = await call(kind);
    return { kind, ...r, ms: performance.now() - t0 };
  };
  const statusOf = async (id: string) => ((await (await t.api('GET', `/api/documents/${id}`, { as: 'admin' })).json()) as Json).status as string;

  await fillSearchIndex(t.dl.db, 2000, { customerId: 'KL-000123', words: 200 });
  for (let n = 0; n < 3 + rounds * 3; n++) scans.push(await toJpeg(renderScan({ dpi: 150, heightIn: 1.5, lines: [`Brief gelijktijdig ${n}`, 'Klantnummer: KL-000124'], seed: 300 + n })));
  for (const name of ['Archief Noord', 'Archief Zuid']) {
    const r = await json(await t.api('POST', '/api/locations', { as: 'mailroom', json: { name, kind: 'site' } }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    sites.push(r.body.barcode);
  }
  for (let i = 0; i < 8; i++) {
    const r = await json(await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000124', type: 'letter', title: `Papieren brief ${i}` } }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    papers.push(r.body.barcode);
  }

  const run = async (): Promise<Burst> => {
    await t.dl.startWorkers();
    // OCR is busy for the whole burst: full letters are being read while everything else runs.
    const background = async (n: number) => {
      const page = (p: number) => renderScan({ dpi: 200, lines: [...LETTER_LINES, `Achtergrondlast ${n} pagina ${p}`], seed: 40 + n * 10 + p });
      const fd = new FormData();
      fd.append('file', new Blob([new Uint8Array(await toImagePdf([page(1), page(2), page(3)], { dpi: 200 }))]), `achtergrond-${n}.pdf`);
      const r = await json(await t.api('POST', '/api/documents', { as: 'mailroom', body: fd }));
      assert.equal(r.status, 202, JSON.stringify(r.body));
      uploaded.push(r.body.id);
      return r.body.id as string;
    };
    await background(1);

    // Solo: each kind alone, one at a time (OCR running meanwhile), its own cost on this machine now.
    const solo = {} as Record<BurstKind, number>;
    for (const kind of [...CHEAP, 'heavy'] as BurstKind[]) {
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await timed(kind);
        assert.ok([200, 202].includes(r.status), `${kind} solo: ${r.status} ${JSON.stringify(r.body)}`);
        ms.push(r.ms);
      }
      solo[kind] = median(ms);
    }
    const budget = Math.max(20, Math.floor(solo.heavy / 2));
    t.dl.services.search.limits.timeoutMs = budget;
    const bg = await background(2);
    assert.ok(!FINAL.includes(await statusOf(bg)), 'OCR is busy when the bursts start');

    // While the bursts run: how many write transactions at most wait for their turn in this process,
    // and the longest wait.
    const tx = t.dl.db.tx;
    let queued = 0;
    let writersQueuedMax = 0;
    let writerWaitMaxMs = 0;
    t.dl.db.tx = ((fn) => {
      const asked = performance.now();
      let started = false;
      writersQueuedMax = Math.max(writersQueuedMax, ++queued);
      return tx.call(t.dl.db, (q) => {
        if (!started) (started = true, queued--, (writerWaitMaxMs = Math.max(writerWaitMaxMs, performance.now() - asked)));
        return fn(q);
      });
    }) as typeof tx;
    const all: BurstResult[] = [];
    try {
      for (let round = 0; round < rounds; round++) all.push(...(await Promise.all(MIX.map((k) => timed(k)))));
    } finally {
      t.dl.db.tx = tx;
      t.dl.services.search.limits.timeoutMs = 3000;
    }
    const report = Object.fromEntries(
      [...CHEAP, 'heavy'].map((k) => {
        const ms = all.filter((r) => r.kind === k).map((r) => r.ms);
        return [k, { solo: Math.round(solo[k as BurstKind]), p95: Math.round(p95(ms)), max: Math.round(Math.max(...ms)) }];
      }),
    ) as Burst['report'];
    const timedOut = all.filter((r) => r.kind === 'heavy' && r.status === 503).length;
    const summary = `budget ${budget} ms; heavy 503 ${timedOut}/${rounds * 5}; writers queued max ${writersQueuedMax}, longest wait ${Math.round(writerWaitMaxMs)} ms; ${JSON.stringify(report)}`;
    return { all, solo, budget, report, writersQueuedMax, writerWaitMaxMs, uploaded, summary };
  };
  return { run };
}

/** Waits until every document in `ids` has a final status, all within `timeoutMs`; returns those that failed. */
export async function waitForFinal(t: TestApp, ids: string[], timeoutMs = 60_000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  const failed: string[] = [];
  for (const id of ids) if ((await waitFinal(t, id, Math.max(0, end - Date.now()))).status === 'failed') failed.push(id);
  return failed;
}
