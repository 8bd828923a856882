// postgres-pass: skip (the OCR workers' start-up, not the database)
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { buildArchivePdf } from '../../src/adapters/pdf/archive-pdf.js';
import { openDossierlink } from '../../src/dossierlink.js';
import type { ArchiveBuilder } from '../../src/jobs/ingest.job.js';
import { renderScan, toJpeg } from '../helpers/scan-samples.js';
import { startServerProcess } from '../helpers/server-process.js';

// Issue 15: the first scan after a start paid the OCR workers' start-up and the WebAssembly
// compilers' warm-up on its own path (a dense page 1.3-1.7x the CLI instead of 1.0-1.3x). A job
// process now reads a generated page on every worker when it starts.

type Line = { msg: string; level: number; [k: string]: unknown };

async function open(env: Record<string, string> = {}, opts: { buildArchive?: ArchiveBuilder } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-warm-up-'));
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Line);
      cb();
    },
  });
  const config = loadConfig({ DOSSIER_DATA_DIR: dir, DOSSIER_INBOX: 'off', DOSSIER_DEMO: 'off', DOSSIER_OCR_WORKERS: '2', ...env });
  const dl = await openDossierlink(config, { logger: pino({ level: 'debug' }, sink), ...opts });
  const started = () => lines.filter((l) => l.msg === 'tesseract worker started').length;
  return { dl, lines, started, dir, close: async () => (await dl.close(), await rm(dir, { recursive: true, force: true })) };
}

describe('warming page reading up at start', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });

  it('starts every OCR worker before the first page, once, and the first page is read on them', async () => {
    const t = await open();
    closers.push(t.close);
    assert.equal(t.started(), 0, 'workers start on first use, not when the instance opens');
    const report = await t.dl.warmUp();
    assert.ok(report?.ok, 'warmed up');
    assert.equal(report.workers, 2);
    assert.equal(t.started(), 2, 'both workers started by the warm-up');
    assert.ok(t.lines.some((l) => l.msg === 'page reading warmed up' && l.workers === 2));
    assert.equal(await t.dl.warmUp(), report, 'a second call is the same warm-up');

    await t.dl.startWorkers();
    const file = path.join(t.dir, 'scan.jpg');
    await writeFile(file, await toJpeg(renderScan({ dpi: 200 }), 85, 200));
    const { document } = await t.dl.services.intake.accept({ path: file, originalName: 'scan.jpg', size: 1 }, {}, { id: 'system', name: 'test', roles: ['mailroom'] }, 'upload');
    for (const until = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 100))) {
      const row = await t.dl.db.get<{ status: string }>('SELECT status FROM documents WHERE id = ?', [document.id]);
      if (['ready', 'needs_review', 'failed'].includes(row!.status)) break;
      assert.ok(Date.now() < until, 'the page was not read in time');
    }
    assert.match(String((await t.dl.db.get<{ text: string }>('SELECT text FROM document_pages WHERE document_id = ?', [document.id]))?.text), /Klantnummer/);
    assert.equal(t.started(), 2, 'the page was read on the warmed workers, none started for it');
  });

  it('builds an archive copy of the warm-up page, so the first document does not start the build thread', async () => {
    // The build thread starts and loads pdf-lib on its first archive: ~350 ms the first page after a start paid.
    const built: { pages: number; mime: string; words: number; pdf: string }[] = [];
    const t = await open({}, {
      buildArchive: async (input) => {
        const pdf = await buildArchivePdf(input);
        built.push({ pages: input.ocrPages.length, mime: input.mime, words: input.ocrPages[0]?.result.words?.length ?? 0, pdf: Buffer.from(pdf ?? []).subarray(0, 5).toString('latin1') });
        return pdf;
      },
    });
    closers.push(t.close);
    assert.ok((await t.dl.warmUp())?.ok);
    assert.equal(built.length, 1);
    assert.deepEqual({ ...built[0], words: built[0]!.words > 10 }, { pages: 1, mime: 'image/jpeg', words: true, pdf: '%PDF-' });
  });

  it('does nothing in a process that runs no jobs', async () => {
    const t = await open({ DOSSIER_ROLE: 'api' });
    closers.push(t.close);
    assert.equal(await t.dl.warmUp(), null);
    assert.equal(t.started(), 0);
  });

  it('closing while it warms up ends it quietly', async () => {
    const t = await open();
    const warming = t.dl.warmUp();
    await new Promise((r) => setTimeout(r, 300));
    await t.close();
    const report = await warming;
    assert.equal(report?.ok, false);
    assert.deepEqual(t.lines.filter((l) => l.level >= 40).map((l) => l.msg), [], 'no warning for a warm-up cut short by closing');
  });

  it('the service warms up when it starts (DOSSIER_OCR_WARMUP, on by default)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-warm-up-main-'));
    const p = await startServerProcess({ DOSSIER_DATA_DIR: dir, DOSSIER_DEMO: 'off', DOSSIER_INBOX: 'off', DOSSIER_OCR_WORKERS: '1', DOSSIER_OCR_WARMUP: 'on' });
    try {
      for (const until = Date.now() + 90_000; !/page reading warmed up/.test(p.output()); await new Promise((r) => setTimeout(r, 100))) {
        assert.ok(Date.now() < until, `no warm-up logged:\n${p.output()}`);
      }
      const line = JSON.parse(p.output().split('\n').find((l) => l.includes('page reading warmed up'))!) as Line;
      assert.equal(line.workers, 1);
      assert.equal(line.ok, true);
    } finally {
      await p.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
