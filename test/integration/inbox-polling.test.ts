import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InboxWatcher } from '../../src/services/inbox.watcher.js';
import { makeTextPdf } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POLL_MS = 100;
const STABLE_MS = 1500;

describe(InboxWatcher.name, () => {
  let t: TestApp;
  let share: string;
  before(async () => {
    // A folder outside the data dir, as a mounted SMB/NFS share would be: no file events are relied on.
    share = await mkdtemp(path.join(tmpdir(), 'dossierlink-share-'));
    t = await startTestApp({ env: { DOSSIER_INBOX: 'on', DOSSIER_INBOX_DIR: share, DOSSIER_INBOX_POLL_MS: String(POLL_MS), DOSSIER_INBOX_STABLE_MS: String(STABLE_MS) } });
    await t.dl.inbox.start();
  });
  after(async () => {
    await t.close();
    await rm(share, { recursive: true, force: true });
  });

  it('given a scanner that preallocates a file and fills it in slowly on a polled share when it stops writing then the file is taken only after it was stable, whole', async () => {
    assert.equal(t.dl.inbox.dir, share);
    const pdf = await makeTextPdf([['Geachte heer, hierbij de getekende opdrachtbevestiging.', 'Klantnummer: KL-000123']]);
    const file = path.join(share, 'KL-000123_opdracht.pdf');
    const fh = await open(file, 'w');
    // The size is final from the start: only the mtime tells the file is still being written.
    await fh.write(new Uint8Array(pdf.length), 0, pdf.length, 0);
    const chunks = 6;
    const step = Math.ceil(pdf.length / chunks);
    for (let i = 0; i < chunks; i++) {
      await sleep(250);
      const docs = await t.dl.db.all("SELECT id FROM documents WHERE source = 'inbox'");
      assert.equal(docs.length, 0, `taken while still being written (chunk ${i})`);
      await fh.write(pdf, i * step, Math.min(step, pdf.length - i * step), i * step);
      await fh.sync();
    }
    await fh.close();
    const lastWrite = Date.now();
    let row: { original_sha256: string; original_size: number; customer_id: string } | undefined;
    while (!row) {
      assert.ok(Date.now() - lastWrite < 20_000, 'the finished file was never taken');
      await sleep(POLL_MS);
      row = await t.dl.db.get("SELECT original_sha256, original_size, customer_id FROM documents WHERE source = 'inbox'");
      if (!row) continue;
      assert.ok(Date.now() - lastWrite >= STABLE_MS, `taken ${Date.now() - lastWrite} ms after the last write, before ${STABLE_MS} ms of stability`);
    }
    assert.equal(row.original_size, pdf.length);
    assert.equal(row.original_sha256, createHash('sha256').update(pdf).digest('hex'));
    assert.equal(row.customer_id, 'KL-000123');
    assert.deepEqual(await readdir(path.join(share, 'rejected')), [], 'nothing half-written was refused');
    assert.deepEqual((await readdir(share)).filter((n) => !n.startsWith('.') && n !== 'rejected'), []);
  });
});
