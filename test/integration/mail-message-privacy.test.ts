import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DocumentView } from '../../src/domain/document.js';
import { storeMailMessage } from '../helpers/mail-message.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { unzip } from '../helpers/unzip.js';

type Err = { error: { code: string } };
type Row = { destroyed_at: string | null; sender: string | null; subject: string | null; message_id: string | null; eml_sha256: string };

/** The stored e-mail (.eml) of issue 18 under destruction, erasure, subject access and reading (privacy follow-up). */
describe('stored e-mail messages', () => {
  let t: TestApp;
  const json = async <T>(res: Response) => (await res.json()) as T;
  const digitalDocs = async (customerId: string) =>
    (await json<{ documents: DocumentView[] }>(await t.api('GET', `/api/customers/${customerId}/dossier`, { as: 'compliance' }))).documents.filter((d) => d.original);
  const row = (id: string) => t.dl.db.get<Row>('SELECT * FROM mail_messages WHERE id = ?', [id]);

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('given a document that came by e-mail when crm asks for its message then the .eml bytes as message/rfc822, audited as a document read; a document without one is 404 no_message', async () => {
    const [doc, other] = await digitalDocs('KL-000123');
    const m = await storeMailMessage(t, { customerId: 'KL-000123', documentIds: [doc.id] });
    const res = await t.api('GET', `/api/documents/${doc.id}/message`, { as: 'crm' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'message/rfc822');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), m.eml);
    const audit = await t.dl.services.audit.query({ action: 'document.read', customerId: 'KL-000123' }, 5);
    assert.ok(audit.some((e) => e.subjectId === doc.id && e.details.what === 'e-mail'), 'audited');
    const none = await t.api('GET', `/api/documents/${other.id}/message`, { as: 'crm' });
    assert.equal(none.status, 404);
    assert.equal((await json<Err>(none)).error.code, 'no_message');
    assert.equal((await t.api('GET', `/api/documents/${doc.id}/message`, { as: 'mailroom' })).status, 403);
  });

  it('given a restricted customer when crm asks for a message then 403 restricted; compliance still reads it', async () => {
    const [doc] = await digitalDocs('KL-000125');
    await storeMailMessage(t, { customerId: 'KL-000125', documentIds: [doc.id] });
    assert.equal((await t.api('POST', '/api/customers/KL-000125/restriction', { as: 'compliance', json: { restricted: true, reason: 'Customer contests the data' } })).status, 200);
    const res = await t.api('GET', `/api/documents/${doc.id}/message`, { as: 'crm' });
    assert.equal(res.status, 403);
    assert.equal((await json<Err>(res)).error.code, 'restricted');
    assert.equal((await t.api('GET', `/api/documents/${doc.id}/message`, { as: 'compliance' })).status, 200);
  });

  it('given a message with two documents when the first is destroyed then the .eml stays; when the last is destroyed then it is gone and a tombstone without sender or subject remains', async () => {
    const [a, b] = await digitalDocs('KL-000123');
    // Destroying alone is an admin's correction of a fresh upload: make the demo documents fresh.
    await t.dl.db.run('UPDATE documents SET created_at = ? WHERE id IN (?, ?)', [new Date().toISOString(), a.id, b.id]);
    const m = await storeMailMessage(t, { customerId: 'KL-000123', documentIds: [a.id, b.id], sender: 'jan@klant.test', subject: 'Mijn contract' });
    assert.equal((await t.api('DELETE', `/api/documents/${a.id}?reason=mistaken`, { as: 'admin' })).status, 200);
    assert.ok(await t.dl.store.stat(m.sha256), 'the other document still came with it');
    assert.equal((await row(m.id))!.destroyed_at, null);
    assert.equal((await t.api('GET', `/api/documents/${b.id}/message`, { as: 'crm' })).status, 200);

    const res = await t.api('DELETE', `/api/documents/${b.id}?reason=mistaken`, { as: 'admin' });
    assert.equal(res.status, 200);
    assert.ok((await json<{ removedObjects: string[] }>(res)).removedObjects.includes(m.sha256));
    assert.equal(await t.dl.store.stat(m.sha256), null, '.eml gone');
    const tomb = (await row(m.id))!;
    assert.ok(tomb.destroyed_at, 'tombstone kept');
    assert.deepEqual([tomb.sender, tomb.subject, tomb.message_id], [null, null, null]);
    const names = await t.dl.db.all<{ name: string | null }>('SELECT name FROM mail_message_documents WHERE message_id = ?', [m.id]);
    assert.ok(names.length === 2 && names.every((n) => n.name === null), 'links kept, attachment names gone');
    const audit = await t.dl.services.audit.query({ action: 'mail.message-destroy' }, 5);
    assert.ok(audit.some((e) => e.subjectId === m.id), 'audited');
  });

  it('given a customer with a message when the subject-access export is made then it holds the .eml and its metadata', async () => {
    const [doc] = await digitalDocs('KL-000124');
    const m = await storeMailMessage(t, { customerId: 'KL-000124', documentIds: [doc.id], subject: 'Vraag over mijn polis' });
    const res = await t.api('GET', '/api/customers/KL-000124/subject-access.zip', { as: 'compliance' });
    assert.equal(res.status, 200);
    const files = unzip(Buffer.from(await res.arrayBuffer()));
    const list = JSON.parse(files.get('e-mails.json')!.toString('utf8')) as { id: string; subject: string; file: string; documents: { documentId: string }[] }[];
    const entry = list.find((e) => e.id === m.id)!;
    assert.equal(entry.subject, 'Vraag over mijn polis');
    assert.deepEqual(entry.documents.map((d) => d.documentId), [doc.id]);
    assert.deepEqual(files.get(entry.file), m.eml);
  });

  it('given two message rows with the same bytes when one goes then the shared .eml stays (the object-refs list decides)', async () => {
    const [c] = await digitalDocs('KL-000124');
    await t.dl.db.run('UPDATE documents SET created_at = ? WHERE id = ?', [new Date().toISOString(), c.id]);
    const m = await storeMailMessage(t, { customerId: 'KL-000124', documentIds: [c.id] });
    // A second row (another mailbox copy) refers to the same bytes and no document.
    await t.dl.db.run("INSERT INTO mail_messages (id, mailbox, eml_sha256, eml_size, status, created_at, updated_at) VALUES ('copy', 'Archief', ?, 1, 'done', '2026-11-23', '2026-11-23')", [m.sha256]);
    assert.equal((await t.api('DELETE', `/api/documents/${c.id}?reason=mistaken`, { as: 'admin' })).status, 200);
    assert.ok((await row(m.id))!.destroyed_at, 'the message is a tombstone');
    assert.ok(await t.dl.store.stat(m.sha256), 'the other row still refers to the bytes');
  });

  it('given an erasure when executed after four eyes then the customer\'s messages go, with and without documents, and the report names them', async () => {
    const docs = await digitalDocs('KL-000127');
    const withDoc = await storeMailMessage(t, { customerId: 'KL-000127', documentIds: [docs[0].id] });
    const without = await storeMailMessage(t, { customerId: 'KL-000127', documentIds: [] });
    const dry = await json<{ other: { code?: string; action: string; count: number | null }[] }>(
      await t.api('POST', '/api/customers/KL-000127/erasure', { as: 'compliance', json: { dryRun: true, reason: 'Request by email' } }),
    );
    assert.deepEqual(dry.other.find((o) => o.code === 'mail_messages'), { ...dry.other.find((o) => o.code === 'mail_messages'), action: 'remove', count: 1 });
    assert.equal(dry.other.find((o) => o.code === 'mail_message_with_documents')?.action, 'remove');
    const r = await json<{ disposal: { id: string } }>(await t.api('POST', '/api/customers/KL-000127/erasure', { as: 'compliance', json: { dryRun: false, reason: 'Request by email' } }));
    assert.equal((await t.api('POST', `/api/disposals/${r.disposal.id}/approve`, { as: 'compliance2', json: {} })).status, 200);
    assert.equal((await t.api('POST', `/api/disposals/${r.disposal.id}/execute`, { as: 'compliance2' })).status, 200);
    for (const m of [withDoc, without]) {
      assert.equal(await t.dl.store.stat(m.sha256), null, `${m.id} .eml gone`);
      const tomb = (await row(m.id))!;
      assert.ok(tomb.destroyed_at);
      assert.equal(tomb.sender, null);
    }
  });
});
