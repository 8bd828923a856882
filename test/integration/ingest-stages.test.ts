// postgres-pass: skip (its app opens the embedded SQLite default in either pass: running it again here tests nothing new)
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { openDossierlink, type Dossierlink } from '../../src/dossierlink.js';
import { renderScan, toJpeg } from '../helpers/scan-samples.js';

// Issue 15: every ingest job says on its one log line where its time went.
describe('ingest job log line', () => {
  let dir: string;
  let dl: Dossierlink;
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-stages-'));
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) (raw.push(l), lines.push(JSON.parse(l)));
        cb();
      },
    });
    dl = await openDossierlink(loadConfig({ DOSSIER_DATA_DIR: dir, DOSSIER_LOG_LEVEL: 'info', DOSSIER_INBOX: 'off', DOSSIER_DEMO: 'off', DOSSIER_OCR_WORKERS: '1' }), {
      logger: pino({ level: 'info' }, sink),
    });
    await dl.startWorkers();
  });
  after(async () => {
    await dl?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('given a scan ingested when its job is done then one job line carries every stage, the passes and the queue wait, and no document text', async () => {
    const file = path.join(dir, 'scan.jpg');
    await writeFile(file, await toJpeg(renderScan({ dpi: 200, heightIn: 3 }), 85, 200));
    const { document } = await dl.services.intake.accept({ path: file, originalName: 'scan.jpg', size: 1 }, {}, { id: 'system', name: 'test', roles: ['mailroom'] }, 'upload');
    const until = Date.now() + 120_000;
    let line: Record<string, unknown> | undefined;
    while (!(line = lines.find((l) => l.msg === 'job' && l.kind === 'ingest' && l.documentId === document.id))) {
      assert.ok(Date.now() < until, 'no job line within 2 minutes');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(line.outcome, 'done');
    assert.equal(lines.filter((l) => l.msg === 'job' && l.documentId === document.id).length, 1);
    const stages = line.stages as Record<string, number>;
    for (const k of ['load', 'preflight', 'rasterise', 'codes', 'orientation', 'ocr', 'archive', 'detection', 'index', 'finish']) {
      assert.equal(typeof stages[k], 'number', `stage ${k} in ${JSON.stringify(stages)}`);
      assert.ok(stages[k]! >= 0);
    }
    assert.ok(stages.ocr! > 0, 'OCR took time');
    assert.ok(stages.ocrPasses! >= 1);
    assert.equal(typeof line.queueWaitMs, 'number');
    assert.ok((line.ms as number) >= stages.ocr!, 'the job took at least its OCR time');
    const jobLine = raw.find((l) => l.includes(`"documentId":"${document.id}"`) && l.includes('"msg":"job"'))!;
    for (const word of ['Klantnummer', 'KL-000123', 'financi']) assert.ok(!jobLine.includes(word), `"${word}" in the log line`);
  });
});
