import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { ObjectStore } from '../../src/adapters/object-store/object-store.js';
import { mailMessagesRepository } from '../../src/db/mail-messages.repository.js';
import { objectPinsRepository } from '../../src/db/object-pins.repository.js';
import type { DocumentView } from '../../src/domain/document.js';
import { GuardedObjectStore, releasePins, removeIfUnreferenced } from '../../src/services/object-guard.js';
import { upload, waitFinal, waitIngestIdle } from '../helpers/ingest-helpers.js';
import { makeTextPdf } from '../helpers/scan-samples.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const bytes = (what: string) => Buffer.from(`${what} ${randomUUID()}`);

/** The row a writer commits after its put: a stored e-mail, which keeps its .eml (object-refs.repository.ts). */
async function commitRow(t: TestApp, stored: { sha256: string; size: number; pin?: string }): Promise<void> {
  const now = new Date().toISOString();
  await t.dl.db.tx(async (q) => {
    await mailMessagesRepository.insert(q, { id: `race-${randomUUID()}`, message_id: `<${randomUUID()}@race.test>`, mailbox: 'INBOX', uid: 1, sender: null, subject: null, eml_sha256: stored.sha256, eml_size: stored.size, status: 'queued', job_id: null, received_at: now, created_at: now, updated_at: now });
    await releasePins(q, stored);
  });
}

async function readable(store: ObjectStore, sha256: string): Promise<Buffer | null> {
  return store.getBuffer(sha256).catch(() => null);
}

/** A gate a test opens by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** The real store underneath, whose deletes wait at a gate: a deletion held between its claim and its delete. */
function heldDeletes(inner: ObjectStore) {
  const started = gate();
  const go = gate();
  const store: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
    delete: async (sha256: string) => {
      started.open();
      await go.opened;
      await inner.delete(sha256);
    },
  });
  return { store, started: started.opened, go: go.open };
}

function raceSuite(name: string, env: () => Record<string, string>) {
  describe(`a write and a deletion of the same bytes (${name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ env: { DOSSIER_SWEEP_GRACE_HOURS: '0', ...env() } });
    });
    after(() => t.close());

    it('given a write that found its bytes stored when a deletion checks before the write commits its row then the object is kept', async () => {
      const b = bytes('left unreferenced by a refused write');
      await t.dl.store.inner.putBuffer(b);
      const written = await t.dl.store.putBuffer(b);
      assert.equal(written.created, false, 'the write relies on the object it found');
      assert.deepEqual(await removeIfUnreferenced(t.dl.db, t.dl.store, [written.sha256]), [], 'the pin keeps it');
      await commitRow(t, written);
      assert.deepEqual(await readable(t.dl.store, written.sha256), b, 'the row refers to an object that is there');
      await t.dl.services.objectSweep.sweep(0);
      assert.deepEqual(await readable(t.dl.store, written.sha256), b, 'referenced: the sweep keeps it');
      assert.deepEqual(await objectPinsRepository.deferred(t.dl.db), [], 'the deferred deletion is settled');
    });

    it('given a deletion between its claim and its delete when a write of the same bytes comes then the write waits and stores them again', async () => {
      const b = bytes('being deleted right now');
      const { sha256 } = await t.dl.store.inner.putBuffer(b);
      const held = heldDeletes(t.dl.store.inner);
      const deletion = removeIfUnreferenced(t.dl.db, held.store, [sha256]);
      await held.started;
      let settled = false;
      const writing = t.dl.store.putBuffer(b).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(settled, false, 'the write waits for the claimed deletion');
      held.go();
      assert.deepEqual(await deletion, [sha256]);
      const written = await writing;
      assert.equal(written.created, true, 'stored again after the delete');
      await commitRow(t, written);
      assert.deepEqual(await readable(t.dl.store, sha256), b);
      assert.equal(await objectPinsRepository.claim(t.dl.db, sha256), undefined);
    });

    it('given a claim left by a crashed deletion when a write comes then it waits no longer than its bound and stores', async () => {
      const b = bytes('claimed by a deletion that died');
      const { sha256 } = await t.dl.store.inner.putBuffer(b);
      await t.dl.store.inner.delete(sha256);
      const now = new Date().toISOString();
      await t.dl.db.tx((q) => objectPinsRepository.claimForDeletion(q, { sha256, holder: 'crashed', now, staleBefore: now }));
      const guarded = new GuardedObjectStore(t.dl.store.inner, t.dl.db, { claimWaitMs: 300, pollMs: 20 });
      const started = performance.now();
      const written = await guarded.putBuffer(b);
      const waited = performance.now() - started;
      assert.ok(waited >= 300 && waited < 5_000, `waited ${Math.round(waited)} ms`);
      assert.equal(written.created, true);
      assert.equal(await objectPinsRepository.claim(t.dl.db, sha256), undefined, 'the next write does not wait for it again');
      assert.deepEqual(await readable(t.dl.store, sha256), b);
    });

    it('given a pin whose write never commits when it expires then the sweep removes the object, young as it is', async () => {
      const guarded = new GuardedObjectStore(t.dl.store.inner, t.dl.db, { pinMs: 300 });
      const b = bytes('stored by a write that died before its commit');
      const { sha256 } = await guarded.putBuffer(b);
      assert.deepEqual(await removeIfUnreferenced(t.dl.db, t.dl.store, [sha256]), []);
      assert.equal((await t.dl.services.objectSweep.sweep(3_600_000)).removed, 0, 'still pinned');
      assert.deepEqual(await readable(t.dl.store, sha256), b);
      await new Promise((r) => setTimeout(r, 350));
      const r = await t.dl.services.objectSweep.sweep(3_600_000);
      assert.equal(r.removed, 1, 'deferred: within the grace period, yet removed');
      assert.equal(await readable(t.dl.store, sha256), null);
      assert.equal(await t.dl.db.get('SELECT 1 FROM object_pins WHERE sha256 = ?', [sha256]), undefined, 'the expired pin is dropped');
      assert.deepEqual(await objectPinsRepository.deferred(t.dl.db), []);
    });

    it('given an unreferenced object nobody pins, or whose write gave its pin back, when removeIfUnreferenced runs then it goes at once', async () => {
      const orphan = await t.dl.store.inner.putBuffer(bytes('orphan'));
      assert.deepEqual(await removeIfUnreferenced(t.dl.db, t.dl.store, [orphan.sha256]), [orphan.sha256]);
      assert.equal(await readable(t.dl.store, orphan.sha256), null);
      const refused = await t.dl.store.putBuffer(bytes('stored by a write that was refused'));
      assert.equal(refused.created, true);
      assert.deepEqual(await removeIfUnreferenced(t.dl.db, t.dl.store, [refused.sha256], { ownPins: [refused] }), [refused.sha256]);
      assert.equal(await readable(t.dl.store, refused.sha256), null);
    });

    it('given a document being destroyed when a write of its bytes puts before the destruction and commits after then the object stays', async () => {
      await t.dl.startWorkers();
      const pdf = await makeTextPdf([['Brief die per ongeluk werd geüpload', `Kenmerk ${randomUUID()}`]]);
      const doc = await waitFinal(t, ((await (await upload(t, pdf, 'per-ongeluk.pdf')).json()) as DocumentView).id);
      await waitIngestIdle(t);
      const thumb = await t.dl.db.get<{ sha256: string }>('SELECT sha256 FROM document_thumbnails WHERE document_id = ?', [doc.id]);
      assert.ok(thumb && (await readable(t.dl.store, thumb.sha256)), 'thumbnail made at ingest');
      const written = await t.dl.store.putBuffer(pdf);
      assert.equal(written.created, false);
      assert.equal(written.sha256, doc.original!.sha256);
      const res = await t.api('DELETE', `/api/documents/${doc.id}?reason=${encodeURIComponent('mistaken upload')}`, { as: 'admin' });
      assert.equal(res.status, 200, await res.clone().text());
      await commitRow(t, written);
      assert.deepEqual(await readable(t.dl.store, written.sha256), Buffer.from(pdf));
      assert.equal(await readable(t.dl.store, thumb.sha256), null, 'what no running write pins goes at once (its own write gave its pin back)');
    });
  });
}

raceSuite('local store', () => ({}));

let s3: S3TestServer;
before(async () => {
  s3 = await startS3Server();
});
after(() => s3.stop());
raceSuite('S3 store', () => ({
  DOSSIER_OBJECT_STORE: 's3',
  DOSSIER_S3_ENDPOINT: s3.endPoint,
  DOSSIER_S3_ACCESS_KEY: s3.accessKey,
  DOSSIER_S3_SECRET_KEY: s3.secretKey,
  DOSSIER_S3_BUCKET: 'race-test',
}));

describe('a store write asked for inside a database transaction', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('given a put that waits for an open transaction when it has waited long then the log says so with where it came from, and a put outside says nothing', async () => {
    const lines: { msg: string; stack?: string }[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) });
    const store = new GuardedObjectStore(t.dl.store.inner, t.dl.db, { logger: pino({ level: 'error' }, sink), lockWaitWarnMs: 100 });
    let inside: Promise<unknown> | undefined;
    await t.dl.db.tx(async () => {
      // Not awaited: awaited, the pin's own transaction would wait for this one for good.
      inside = store.putBuffer(bytes('stored from inside a transaction'));
      await new Promise((r) => setTimeout(r, 400));
    });
    await inside;
    assert.ok(lines.some((l) => /inside a database transaction/.test(l.msg) && /object put waiting/.test(l.stack ?? '')), JSON.stringify(lines));
    lines.length = 0;
    await store.putBuffer(bytes('stored outside'));
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(lines, []);
  });
});
