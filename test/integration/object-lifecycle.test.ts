import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DocumentView } from '../../src/domain/document.js';
import { OBJECT_SWEEP_JOB, ObjectSweepService } from '../../src/services/object-sweep.service.js';
import { upload, waitFinal, waitIngestIdle } from '../helpers/ingest-helpers.js';
import { makeTextPdf } from '../helpers/scan-samples.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const LETTER = [
  'Offerte voor het onderhoud van de zonnepanelen op het dak van het bedrijfspand',
  'Klantnummer: KL-000124',
  'Datum: 3 februari 2026',
  'Geachte mevrouw, hierbij ontvangt u onze offerte voor het jaarlijkse onderhoud,',
  'inclusief reiniging van de panelen, controle van de omvormer en een rapport.',
  'Het totaalbedrag is EUR 845,00 excl. btw. De offerte is dertig dagen geldig.',
];

async function stored(t: TestApp): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const o of t.dl.store.list()) out.add(o.sha256);
  return out;
}



describe('files do not outlive their documents', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { DOSSIER_SWEEP_GRACE_HOURS: '0' } });
    await t.dl.startWorkers();
  });
  after(() => t.close());

  it('given an upload for a customer that does not exist when refused then no object is left in the store', async () => {
    const before = await stored(t);
    const res = await upload(t, await makeTextPdf([['Brief voor een onbekende klant', 'Klantnummer: KL-999999']]), 'onbekend.pdf', { customerId: 'KL-999999' });
    assert.equal(res.status, 422);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unknown_customer');
    assert.deepEqual(await stored(t), before);
  });

  it('given a batch where one file is refused after the others when uploaded then only the accepted files are stored', async () => {
    const before = await stored(t);
    const fd = new FormData();
    fd.append('customerId', 'KL-999998');
    fd.append('files', new Blob([new Uint8Array(await makeTextPdf([['Eerste brief', 'KL-999998']]))]), 'een.pdf');
    const res = await t.api('POST', '/api/documents', { as: 'mailroom', body: fd });
    assert.equal(res.status, 400);
    assert.deepEqual(await stored(t), before);
  });

  it('given a near duplicate in review when discarded then it goes through destruction: its file, title and name are gone, the original stays', async () => {
    const first = await waitFinal(t, ((await (await upload(t, await makeTextPdf([LETTER]), 'offerte.pdf', { customerId: 'KL-000124' })).json()) as DocumentView).id);
    assert.equal(first.status, 'ready');
    const rescan = await waitFinal(t, ((await (await upload(t, await makeTextPdf([[...LETTER, 'Kopie']]), 'offerte-kopie.pdf', { customerId: 'KL-000124' })).json()) as DocumentView).id);
    assert.equal(rescan.status, 'needs_review');
    const sha = rescan.original!.sha256;
    assert.ok((await stored(t)).has(sha));
    await waitIngestIdle(t);
    const res = await t.api('POST', `/api/documents/${rescan.id}/review`, { as: 'mailroom', json: { duplicate: 'discard' } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { discarded: true, duplicateOf: first.id });
    const objects = await stored(t);
    assert.ok(!objects.has(sha), 'the rescan file is removed');
    assert.ok(objects.has(first.original!.sha256), 'the document it duplicates keeps its file');
    const row = await t.dl.db.get<{ title: string; original_name: string | null; destroyed_at: string | null }>('SELECT title, original_name, destroyed_at FROM documents WHERE id = ?', [rescan.id]);
    assert.ok(row!.destroyed_at);
    assert.equal(row!.original_name, null);
    assert.doesNotMatch(row!.title, /offerte/i);
    const actions = (await t.dl.db.all<{ action: string }>('SELECT action FROM audit_events WHERE subject_id = ? ORDER BY seq', [rescan.id])).map((a) => a.action);
    assert.ok(actions.includes('document.destroy') && actions.includes('document.discard-rescan'), actions.join(','));
    assert.deepEqual(await t.dl.services.objectSweep.unreferenced(0), []);
  });

  it('given objects no row refers to when the sweep job runs then they are removed and every referenced object stays', async () => {
    await waitIngestIdle(t);
    // Straight into the store: a crash long ago left it, and its write's pin has expired since.
    const orphan = await t.dl.store.inner.putBuffer(Buffer.from('left by a crash between store and commit'));
    const referencedBefore = (await t.dl.db.all<{ sha: string }>('SELECT original_sha256 AS sha FROM documents WHERE original_sha256 IS NOT NULL AND destroyed_at IS NULL')).map((r) => r.sha);
    assert.ok(referencedBefore.length > 0);
    assert.deepEqual((await t.dl.services.objectSweep.unreferenced(0)).map((o) => o.sha256), [orphan.sha256]);
    assert.deepEqual(await t.dl.services.objectSweep.unreferenced(3_600_000), [], 'a young object is within its grace period');
    const { id } = await t.dl.db.tx((q) => t.dl.queue.enqueue(q, { kind: OBJECT_SWEEP_JOB, payload: {}, idempotencyKey: 'sweep-test' }));
    for (let i = 0; i < 200 && (await t.dl.queue.get(id))?.status !== 'done'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await t.dl.queue.get(id))?.status, 'done');
    const objects = await stored(t);
    assert.ok(!objects.has(orphan.sha256));
    for (const sha of referencedBefore) assert.ok(objects.has(sha), `referenced ${sha} kept`);
  });
});

describe('the object sweep on S3', () => {
  let s3: S3TestServer;
  let t: TestApp;
  before(async () => {
    s3 = await startS3Server();
    t = await startTestApp({
      env: {
        DOSSIER_OBJECT_STORE: 's3',
        DOSSIER_S3_ENDPOINT: s3.endPoint,
        DOSSIER_S3_ACCESS_KEY: s3.accessKey,
        DOSSIER_S3_SECRET_KEY: s3.secretKey,
        DOSSIER_S3_BUCKET: 'sweep-test',
      },
    });
  });
  after(async () => {
    await t.close();
    await s3.stop();
  });

  it('given an S3 store with referenced objects and orphans when swept then only the orphans go', async () => {
    const res = await upload(t, await makeTextPdf([LETTER]), 'offerte.pdf', { customerId: 'KL-000124' });
    assert.equal(res.status, 202);
    const kept = ((await res.json()) as DocumentView).original!.sha256;
    const orphans = [await t.dl.store.inner.putBuffer(Buffer.from('orphan one')), await t.dl.store.inner.putBuffer(Buffer.from('orphan two'))].map((o) => o.sha256);
    const refused = await upload(t, await makeTextPdf([['Onbekend', 'KL-999997']]), 'onbekend.pdf', { customerId: 'KL-999997' });
    assert.equal(refused.status, 422);
    assert.deepEqual((await t.dl.services.objectSweep.unreferenced(0)).map((o) => o.sha256).sort(), [...orphans].sort());
    const r = await t.dl.services.objectSweep.sweep(0);
    assert.equal(r.removed, 2);
    const left = await stored(t);
    assert.ok(left.has(kept));
    for (const o of orphans) assert.ok(!left.has(o));
  });

  it('given the sweep\'s transaction fails at its commit when it runs then no object is deleted, and the next sweep removes the orphan', async () => {
    const orphan = (await t.dl.store.inner.putBuffer(Buffer.from('orphan of a failed sweep'))).sha256;
    // The real database, whose transactions run their callback whole and then fail as a refused COMMIT (or a
    // PostgreSQL serialization failure before its re-run) would: what the callback did is rolled back.
    const db = t.dl.db;
    const commitFails = new Proxy(db, {
      get(target, prop) {
        if (prop === 'tx') {
          return (fn: (q: unknown) => Promise<unknown>) =>
            target.tx(async (q) => {
              await fn(q);
              throw new Error('could not serialize access: commit refused');
            });
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    await assert.rejects(new ObjectSweepService(commitFails, t.dl.store).sweep(0), /commit refused/);
    assert.ok((await stored(t)).has(orphan), 'a delete inside the failed transaction would have taken it');
    assert.equal((await t.dl.services.objectSweep.sweep(0)).removed, 1);
    assert.ok(!(await stored(t)).has(orphan));
  });
});
