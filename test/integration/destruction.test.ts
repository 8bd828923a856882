import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DocumentView } from '../../src/domain/document.js';
import { searchIds, upload, waitFinal } from '../helpers/ingest-helpers.js';
import { renderScan, toPng } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const objectPath = (dir: string, sha: string) => path.join(dir, 'objects', 'sha256', sha.slice(0, 2), sha.slice(2, 4), sha);
const exists = (p: string) => access(p).then(() => true, () => false);

describe('destroying a document', () => {
  let t: TestApp;
  let doc: DocumentView;
  before(async () => {
    t = await startTestApp();
    await t.dl.startWorkers();
    const lines = ['Brief over de zonnepanelen', 'Klantnummer: KL-000127', 'Geachte heer, de installatie van de zonnepanelen is gepland.'];
    doc = await waitFinal(t, ((await (await upload(t, await toPng(renderScan({ dpi: 200, lines })), 'zon.png')).json()) as DocumentView).id);
  });
  after(() => t.close());

  it('given a document under a legal hold when destroyed then 409 legal_hold and everything stays', async () => {
    await t.dl.db.run("INSERT INTO legal_holds (id, reason, document_id, placed_by, placed_at) VALUES ('hold_1', 'dispute', ?, 'test', '2026-01-01')", [doc.id]);
    const res = await t.api('DELETE', `/api/documents/${doc.id}?reason=cleanup`, { as: 'admin' });
    assert.equal(res.status, 409);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'legal_hold');
    assert.ok((await searchIds(t, 'zonnepanelen')).includes(doc.id), 'still searchable');
    await t.dl.db.run("UPDATE legal_holds SET released_at = '2026-01-02', released_by = 'test' WHERE id = 'hold_1'");
  });

  it('given a document when destroyed then original, archive, thumbnail, text and index entry are gone and only a tombstone and the audit trail remain', async () => {
    const original = doc.original!.sha256;
    const archive = (await t.dl.db.get<{ archive_sha256: string }>('SELECT archive_sha256 FROM documents WHERE id = ?', [doc.id]))!.archive_sha256;
    // The thumbnail is made right after ingest; asking for it makes sure it exists whatever the timing.
    assert.equal((await t.api('GET', `/api/documents/${doc.id}/thumbnail`, { as: 'crm' })).status, 200);
    const thumb = (await t.dl.db.get<{ sha256: string }>('SELECT sha256 FROM document_thumbnails WHERE document_id = ?', [doc.id]))!.sha256;
    assert.ok(await exists(objectPath(t.dataDir, original)), 'original stored before');
    assert.ok(await exists(objectPath(t.dataDir, archive)), 'archive stored before');
    assert.ok(await exists(objectPath(t.dataDir, thumb)), 'thumbnail stored before');
    const res = await t.api('DELETE', `/api/documents/${doc.id}?reason=${encodeURIComponent('wrong customer, rescanned')}`, { as: 'admin' });
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { removedObjects: string[] }).removedObjects.sort(), [original, archive, thumb].sort());
    assert.equal(await exists(objectPath(t.dataDir, original)), false);
    assert.equal(await exists(objectPath(t.dataDir, archive)), false);
    assert.equal(await exists(objectPath(t.dataDir, thumb)), false);
    assert.deepEqual(await searchIds(t, 'zonnepanelen'), []);
    assert.equal((await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM document_pages WHERE document_id = ?', [doc.id]))!.n, 0);
    assert.equal((await t.api('GET', `/api/documents/${doc.id}`, { as: 'crm' })).status, 404);
    const tomb = await t.dl.db.get<{ destroyed_at: string; fields: string; title: string }>('SELECT destroyed_at, fields, title FROM documents WHERE id = ?', [doc.id]);
    assert.ok(tomb?.destroyed_at, 'tombstone kept');
    assert.equal(tomb!.fields, '{}');
    const { events } = (await (await t.api('GET', `/api/audit?subjectId=${doc.id}&action=document.destroy`, { as: 'compliance' })).json()) as { events: { details: { reason: string } }[] };
    assert.equal(events[0].details.reason, 'wrong customer, rescanned');
    const dossier = (await (await t.api('GET', '/api/customers/KL-000127/dossier', { as: 'crm' })).json()) as { documents: DocumentView[] };
    assert.ok(!dossier.documents.some((d) => d.id === doc.id), 'gone from the dossier');
  });

  it('given a document whose file was also uploaded as a coupon batch when destroyed then the object stays for the batch', async () => {
    const png = await toPng(renderScan({ dpi: 200, lines: ['Brief over de warmtepomp', 'Klantnummer: KL-000127'] }));
    const shared = await waitFinal(t, ((await (await upload(t, png, 'warmtepomp.png')).json()) as DocumentView).id);
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'antwoordkaarten.png');
    assert.equal((await t.api('POST', '/api/coupons/batches', { as: 'mailroom', body: fd })).status, 202);
    const sha = shared.original!.sha256;
    assert.ok(await t.dl.db.get('SELECT 1 FROM coupon_batch_files WHERE sha256 = ?', [sha]), 'the batch keeps the same bytes');
    const res = await t.api('DELETE', `/api/documents/${shared.id}?reason=${encodeURIComponent('uploaded twice')}`, { as: 'admin' });
    assert.equal(res.status, 200);
    const tomb = (await res.json()) as { removedObjects: string[]; keptObjects: string[] };
    assert.ok(!tomb.removedObjects.includes(sha) && tomb.keptObjects.includes(sha), JSON.stringify(tomb));
    assert.ok(await exists(objectPath(t.dataDir, sha)), 'the coupon batch can still be read');
  });

  it('given a destroyed document when destroyed again then 404', async () => {
    assert.equal((await t.api('DELETE', `/api/documents/${doc.id}?reason=again`, { as: 'admin' })).status, 404);
  });
});
