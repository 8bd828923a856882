import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractPdfText } from '../../src/adapters/pdf/pdf-text.js';
import { documentsRepository } from '../../src/db/documents.repository.js';
import type { DocumentView } from '../../src/domain/document.js';
import { ServiceUnavailable } from '../../src/errors.js';
import { Preflight, TooManyPages } from '../../src/services/preflight.js';
import { makeDamagedPagesPdf, makeManyPagePdf, makeOwnerPasswordPdf, makeUserPasswordPdf } from '../helpers/hostile-samples.js';
import { upload, waitFinal } from '../helpers/ingest-helpers.js';
import { LETTER_LINES, makeTextPdf } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

async function objectCount(dataDir: string): Promise<number> {
  const walk = async (dir: string): Promise<number> => {
    let n = 0;
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) n += e.isDirectory() ? await walk(path.join(dir, e.name)) : 1;
    return n;
  };
  return walk(path.join(dataDir, 'objects', 'sha256'));
}

describe('hostile PDFs', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { DOSSIER_MAX_PAGES: '40' } });
    await t.dl.startWorkers();
  });
  after(() => t.close());

  it('given a PDF locked with an owner password only when uploaded then it ingests to ready with a readable archive copy', async () => {
    const res = await upload(t, await makeOwnerPasswordPdf(), 'rekeningoverzicht.pdf');
    assert.equal(res.status, 202, await res.clone().text());
    const d = await waitFinal(t, ((await res.json()) as DocumentView).id);
    assert.equal(d.status, 'ready', JSON.stringify({ status: d.status, error: (d as { error?: unknown }).error }));
    const archive = await t.api('GET', `/api/documents/${d.id}/file?variant=archive`, { as: 'crm' });
    assert.equal(archive.status, 200);
    const text = await extractPdfText(new Uint8Array(await archive.arrayBuffer()));
    assert.equal(text.pageCount, 2);
    assert.match(text.pages[0]!.text, /KL-000123/, 'the born-digital page is copied readable, not as encrypted streams');
    assert.match(text.pages[1]!.text, /Bijlage/i, 'the scanned page carries its OCR words');
    const jobs = await t.dl.db.all<{ attempts: number }>("SELECT attempts FROM jobs WHERE kind = 'ingest' AND payload LIKE ?", [`%${d.id}%`]);
    assert.deepEqual(jobs.map((j) => j.attempts), [1]);
  });

  it('given a PDF whose pages are damaged behind a sound header when ingested then it fails at once with the reason, not after five attempts', async () => {
    const res = await upload(t, await makeDamagedPagesPdf(), 'beschadigd.pdf');
    assert.equal(res.status, 202, await res.clone().text());
    const d = await waitFinal(t, ((await res.json()) as DocumentView).id, 30_000);
    assert.equal(d.status, 'failed');
    const job = await t.dl.db.get<{ attempts: number; status: string; last_error: string }>("SELECT attempts, status, last_error FROM jobs WHERE kind = 'ingest' AND payload LIKE ?", [`%${d.id}%`]);
    assert.equal(job!.status, 'failed');
    assert.equal(job!.attempts, 1, 'no retries for a file that cannot get better');
    assert.match(job!.last_error, /damaged/i);
    // The reason is kept as a code the interface says in the user's language, the sentence beside it.
    assert.deepEqual({ code: d.errorCode, error: /damaged/i.test(d.error ?? '') }, { code: 'corrupt_pdf', error: true });
    // The operator's jobs list gives the job the same code, its English stack beside it.
    const listed = (await (await t.api('GET', '/api/jobs?kind=ingest&status=failed&limit=500', { as: 'mailroom' })).json()) as {
      jobs: { payload: { documentId?: string }; lastError: string | null; lastErrorCode: string | null }[];
    };
    const view = listed.jobs.find((j) => j.payload.documentId === d.id);
    assert.deepEqual({ code: view?.lastErrorCode, stack: /damaged[\s\S]*\n\s+at /i.test(view?.lastError ?? '') }, { code: 'corrupt_pdf', stack: true });
  });

  it('given a failed document when its job is retried then it fails again with its reason, and a requeued document carries none', async () => {
    const res = await upload(t, await makeDamagedPagesPdf(2), 'beschadigd-2.pdf');
    const failed = await waitFinal(t, ((await res.json()) as DocumentView).id, 30_000);
    assert.equal(failed.errorCode, 'corrupt_pdf');
    const job = await t.dl.db.get<{ id: string }>("SELECT id FROM jobs WHERE kind = 'ingest' AND payload LIKE ?", [`%${failed.id}%`]);
    const retried = await t.api('POST', `/api/jobs/${job!.id}/retry`, { as: 'mailroom' });
    assert.equal(retried.status, 200, await retried.clone().text());
    const again = await waitFinal(t, failed.id, 30_000);
    assert.deepEqual({ status: again.status, code: again.errorCode }, { status: 'failed', code: 'corrupt_pdf' });
    // Back in the queue (what a retry does first), the old reason goes with the status.
    await documentsRepository.requeueFailed(t.dl.db, failed.id, new Date().toISOString());
    const queued = (await (await t.api('GET', `/api/documents/${failed.id}`, { as: 'crm' })).json()) as DocumentView;
    assert.deepEqual({ status: queued.status, error: queued.error, code: queued.errorCode, details: queued.errorDetails }, { status: 'queued', error: null, code: null, details: null });
    const row = await documentsRepository.get(t.dl.db, failed.id);
    assert.deepEqual({ code: row!.error_code, details: row!.error_details }, { code: null, details: null });
  });

  it('given a PDF that needs a password to open when uploaded then 400 encrypted_pdf and nothing is stored', async () => {
    const before = await objectCount(t.dataDir);
    const res = await upload(t, await makeUserPasswordPdf(), 'geheim.pdf');
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'encrypted_pdf');
    assert.equal(await objectCount(t.dataDir), before);
  });

  it('given a PDF over the page cap when uploaded then 413 too_many_pages before anything is stored', async () => {
    const before = await objectCount(t.dataDir);
    const docs = (await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM documents'))!.n;
    const res = await upload(t, await makeManyPagePdf(41), 'dik-dossier.pdf');
    assert.equal(res.status, 413);
    const body = (await res.json()) as { error: { code: string; details: { pages: number; maxPages: number } } };
    assert.equal(body.error.code, 'too_many_pages');
    assert.deepEqual([body.error.details.pages, body.error.details.maxPages], [41, 40]);
    assert.equal(await objectCount(t.dataDir), before);
    assert.equal((await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM documents'))!.n, docs);
  });

  it('given a PDF at the page cap when uploaded then it is accepted', async () => {
    const res = await upload(t, await makeManyPagePdf(40), 'precies-genoeg.pdf');
    assert.equal(res.status, 202);
  });
});

describe(Preflight.name, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-preflight-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('given the slots and the queue taken when one more file is checked then it is refused with 503 and Retry-After, and the queue moves on', async () => {
    // A named pipe blocks the type sniffing until written: a preflight that holds its slot for as long as the test wants.
    const fifo = path.join(dir, 'slow.pdf');
    execFileSync('mkfifo', [fifo]);
    const pdf = path.join(dir, 'ok.pdf');
    await writeFile(pdf, await makeTextPdf([LETTER_LINES]));
    const preflight = new Preflight({ maxPages: 10, concurrency: 1, maxWaiting: 1 });
    const slow = preflight.check({ path: fifo, originalName: 'slow.pdf', size: 1 }).then(
      () => 'done',
      (e: Error) => e.name,
    );
    const queued = preflight.check({ path: pdf, originalName: 'ok.pdf', size: 1 });
    await assert.rejects(preflight.check({ path: pdf, originalName: 'third.pdf', size: 1 }), (e: unknown) => {
      assert.ok(e instanceof ServiceUnavailable);
      assert.equal(e.status, 503);
      assert.ok(e.retryAfterSeconds > 0);
      return true;
    });
    const w = await open(fifo, 'w');
    // The check may stop reading after the first bytes and close its end: EPIPE then is no failure.
    await w.write('not a pdf at all').catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
    await w.close();
    assert.notEqual(await slow, 'done', 'the pipe was not a PDF');
    assert.deepEqual(await queued, { mime: 'application/pdf', pageCount: 1 });
    // With the slot free again a new check runs at once.
    assert.deepEqual(await preflight.check({ path: pdf, originalName: 'again.pdf', size: 1 }), { mime: 'application/pdf', pageCount: 1 });
  });

  it('given a file over the cap when checked then TooManyPages names both numbers', async () => {
    const pdf = path.join(dir, 'many.pdf');
    await writeFile(pdf, await makeManyPagePdf(12));
    await assert.rejects(new Preflight({ maxPages: 11, concurrency: 1 }).check({ path: pdf, originalName: 'many.pdf', size: 1 }), TooManyPages);
  });
});
