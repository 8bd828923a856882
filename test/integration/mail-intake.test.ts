import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { loadConfig } from '../../src/config.js';
import type { DocumentView } from '../../src/domain/document.js';
import { openDossierlink } from '../../src/dossierlink.js';
import { MailIntakeService } from '../../src/services/mail-intake.service.js';
import { dovecotPath, NO_DOVECOT, startImapServer, type ImapTestServer } from '../helpers/imap-server.js';
import { waitFinal } from '../helpers/ingest-helpers.js';
import { makeTextPdf } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Attachment = { name: string; type: string; bytes: Uint8Array };
type Message = {
  id: string;
  messageId: string | null;
  sender: string | null;
  status: 'queued' | 'done' | 'failed';
  customerId: string | null;
  documents: { documentId: string; name: string | null; duplicate: boolean }[];
  skipped: { name: string | null; code?: string }[];
  error: string | null;
  job: { id: string; status: string; attempts: number; lastErrorCode: string | null } | null;
  eml: { sha256: string; size: number };
  markedAt: string | null;
};
type Status = { enabled: boolean; counts: Record<string, number>; messages: Message[]; lastPoll: { ok: boolean } | null };
type Poll = { ok: boolean; error: string | null; seen: number; queued: number; marked: number };

/** A message as a mail client sends it: multipart/mixed, attachments in base64, CRLF line ends. */
function mime(m: { from: string; subject: string; messageId?: string; text: string; attachments: Attachment[] }): Buffer {
  const boundary = `----=_Part_${randomBytes(6).toString('hex')}`;
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/.{76}/g, '$&\r\n');
  const lines = [
    `From: ${m.from}`,
    'To: facturen@dossierlink.test',
    `Subject: ${m.subject}`,
    'Date: Mon, 30 Nov 2026 09:15:00 +0100',
    ...(m.messageId ? [`Message-ID: ${m.messageId}`] : []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    m.text,
  ];
  for (const a of m.attachments) {
    lines.push(`--${boundary}`, `Content-Type: ${a.type}; name="${a.name}"`, 'Content-Transfer-Encoding: base64', `Content-Disposition: attachment; filename="${a.name}"`, '', b64(a.bytes));
  }
  lines.push(`--${boundary}--`, '');
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A mail client of the test's own: delivers with APPEND, looks at flags and folders. */
async function imap<T>(server: ImapTestServer, user: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user, pass: server.users[user]! }, logger: false });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout();
  }
}

const unprocessed = (server: ImapTestServer, user: string, mailbox = 'INBOX') =>
  imap(server, user, async (c) => {
    const lock = await c.getMailboxLock(mailbox);
    try {
      return ((await c.search({ unKeyword: '$Dossierlink' }, { uid: true })) || []).length;
    } finally {
      lock.release();
    }
  });

const skip = dovecotPath() ? false : NO_DOVECOT;

describe(MailIntakeService.name, { skip }, () => {
  let server: ImapTestServer;
  let t: TestApp;
  let invoice: Buffer;
  let order: Buffer;
  let lost: Buffer;
  const status = async (q = '') => json<Status>(await t.api('GET', `/api/mail-intake${q}`, { as: 'mailroom' }));
  const poll = async () => json<Poll>(await t.api('POST', '/api/mail-intake/poll', { as: 'mailroom' }));
  const message = async (messageId: string) => (await status()).messages.find((m) => m.messageId === messageId);

  before(async () => {
    server = await startImapServer({ facturen: 'geheim-1', archief: 'geheim-2', herstart: 'geheim-3' });
    t = await startTestApp({
      env: { DOSSIER_IMAP_URL: `imap://facturen:geheim-1@127.0.0.1:${server.port}/INBOX`, DOSSIER_IMAP_INTERVAL_MS: '3600000', DOSSIER_IMAP_MAX_ATTEMPTS: '2', DOSSIER_MAX_UPLOAD_MB: '0.1' },
    });
    for (const [id, name, email] of [
      ['KL-000401', 'Groothandel Noord B.V.', 'administratie@groothandel-noord.nl'],
      ['KL-000402', 'Fietsen Oost', 'Info@Fietsen-Oost.nl'],
    ]) {
      await json(await t.api('PUT', `/api/customers/${id}`, { as: 'crm', json: { name, email } }), 201);
    }
    invoice = mime({
      from: 'J. Jansen <j.jansen@groothandel-noord.nl>',
      subject: 'Factuur 2026-1188',
      messageId: '<factuur-1188@groothandel-noord.nl>',
      text: 'Goedemorgen, bijgaand de factuur en onze voorwaarden.',
      attachments: [
        { name: 'factuur-2026-1188.pdf', type: 'application/pdf', bytes: await makeTextPdf([['FACTUUR 2026-1188', 'Groothandel Noord B.V.', 'Totaal: 845,50 euro']]) },
        { name: 'voorwaarden.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: randomBytes(2048) },
        { name: 'bijlage-groot.pdf', type: 'application/pdf', bytes: randomBytes(200_000) }, // over the upload limit of this instance
      ],
    });
    order = mime({
      from: 'info@fietsen-oost.nl',
      subject: 'Bestelling',
      messageId: '<bestelling-77@fietsen-oost.nl>',
      text: 'Hierbij onze bestelling.',
      attachments: [{ name: 'Bestelling 77 – ondertekend.pdf', type: 'application/pdf', bytes: await makeTextPdf([['ORDER BST-77', 'Tien fietsen, model Stad']]) }],
    });
    lost = mime({
      from: 'klant.zonder.bedrijf@gmail.com',
      subject: 'Brief',
      messageId: '<brief-5@mail.gmail.com>',
      text: 'Zie bijlage.',
      attachments: [{ name: 'brief.pdf', type: 'application/pdf', bytes: await makeTextPdf([['Geachte heer, mevrouw,', 'Ik wil graag een afspraak maken.']]) }],
    });
    await imap(server, 'facturen', async (c) => {
      for (const raw of [invoice, order, lost, invoice]) await c.append('INBOX', raw); // the invoice delivered twice
    });
  });
  after(async () => {
    await t?.close();
    await server?.stop();
  });

  it('given four deliveries of three messages when the mailbox is read twice then each message is kept whole and queued once, by its Message-ID', async () => {
    const first = await poll();
    assert.equal(first.ok, true, first.error ?? '');
    assert.deepEqual([first.seen, first.queued, first.marked], [4, 3, 0]);
    const second = await poll();
    assert.deepEqual([second.seen, second.queued], [4, 0], 'nothing taken twice; nothing marked before its job is done');
    const rows = await t.dl.db.all<{ id: string }>('SELECT id FROM mail_messages');
    assert.equal(rows.length, 3);
    const jobs = await t.dl.queue.list({ kind: 'mail-message', limit: 10, offset: 0 });
    assert.equal(jobs.length, 3);
    const m = (await message('<factuur-1188@groothandel-noord.nl>'))!;
    assert.deepEqual(await t.dl.store.getBuffer(m.eml.sha256), invoice, 'the .eml is the message as received');
  });

  it('given the messages are processed when a stored message cannot be read then the others become documents linked to the sender\'s customer', async () => {
    // The third message's stored copy is lost before its job runs: its job cannot succeed.
    await t.dl.store.delete((await message('<brief-5@mail.gmail.com>'))!.eml.sha256);
    await t.dl.startWorkers();
    const inv = await until('the invoice message', async () => ((await message('<factuur-1188@groothandel-noord.nl>'))?.status === 'done' ? message('<factuur-1188@groothandel-noord.nl>') : null));
    assert.equal(inv!.customerId, 'KL-000401', 'linked by the domain of the sender');
    assert.equal(inv!.documents.length, 1);
    assert.deepEqual(inv!.skipped.map((s) => [s.name, s.code]), [['voorwaarden.docx', 'unsupported_media_type'], ['bijlage-groot.pdf', 'file_too_large']]);
    const doc = await waitFinal(t, inv!.documents[0]!.documentId);
    assert.equal(doc.customerId, 'KL-000401');
    assert.equal((doc as DocumentView & { source: string }).source, 'email');
    assert.equal(doc.original?.name, 'factuur-2026-1188.pdf');
    const ord = await until('the order message', async () => ((await message('<bestelling-77@fietsen-oost.nl>'))?.status === 'done' ? message('<bestelling-77@fietsen-oost.nl>') : null));
    assert.equal(ord!.customerId, 'KL-000402', 'linked by the exact address, whatever its case');
    assert.equal((await waitFinal(t, ord!.documents[0]!.documentId)).original?.name, 'Bestelling 77 – ondertekend.pdf');
  });

  it('given a message whose job keeps failing when its attempts are used up then it is reported, left in the mailbox, and taken in once retried', async () => {
    // The message is marked failed by its last run, the job right after that run ends.
    const failed = await until('the failed report', async () => (await status('?status=failed')).messages.find((m) => m.job?.status === 'failed'));
    assert.equal(failed.messageId, '<brief-5@mail.gmail.com>');
    assert.ok(failed.error, 'the reason is shown');
    assert.equal(failed.job?.status, 'failed');
    assert.equal(failed.job?.attempts, 2, 'retried before it was reported');
    assert.equal(failed.job?.lastErrorCode, 'not_found', 'why, as a code a screen can say in its own language');
    // This pass, or the scheduled one that started with the workers if the jobs were done before it read them.
    assert.equal((await poll()).ok, true);
    assert.equal(await unprocessed(server, 'facturen'), 1, 'both deliveries of the invoice and the order are marked; the failed message stays in the mailbox, unmarked');
    assert.deepEqual(
      (await t.dl.db.all<{ message_id: string }>('SELECT message_id FROM mail_messages WHERE marked_at IS NOT NULL ORDER BY message_id')).map((r) => r.message_id),
      ['<bestelling-77@fietsen-oost.nl>', '<factuur-1188@groothandel-noord.nl>'],
    );
    assert.equal((await status()).counts.failed, 1);

    // The operator restores the storage and retries the job: nothing was lost.
    await t.dl.store.putBuffer(lost);
    await json(await t.api('POST', `/api/jobs/${failed.job!.id}/retry`, { as: 'mailroom' }));
    const done = await until('the retried message', async () => ((await message('<brief-5@mail.gmail.com>'))?.status === 'done' ? message('<brief-5@mail.gmail.com>') : null));
    assert.equal(done!.customerId, null, 'a public mail domain links no customer');
    assert.equal(done!.documents.length, 1);
    assert.equal((await poll()).marked, 1);
    assert.equal(await unprocessed(server, 'facturen'), 0);
    const all = await t.dl.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM documents WHERE source = 'email'");
    assert.equal(all[0]!.n, 3, 'three attachments, three documents, none twice');
  });

  it('given a message forwarded as an attachment by a colleague when it is taken in then its attachments become documents of the original sender\'s customer', async () => {
    const inner = mime({
      from: 'administratie@groothandel-noord.nl',
      subject: 'Creditnota',
      messageId: '<credit-19@groothandel-noord.nl>',
      text: 'Bijgaand de creditnota.',
      attachments: [{ name: 'creditnota-19.pdf', type: 'application/pdf', bytes: await makeTextPdf([['CREDITNOTA CN-19', 'Groothandel Noord B.V.']]) }],
    });
    const forwarded = mime({ from: 'receptie@ons-kantoor.nl', subject: 'Fwd: Creditnota', messageId: '<fwd-1@ons-kantoor.nl>', text: 'Ter verwerking.', attachments: [{ name: 'Creditnota.eml', type: 'message/rfc822', bytes: inner }] });
    await imap(server, 'facturen', (c) => c.append('INBOX', forwarded));
    assert.equal((await poll()).queued, 1);
    const m = await until('the forwarded message', async () => ((await message('<fwd-1@ons-kantoor.nl>'))?.status === 'done' ? message('<fwd-1@ons-kantoor.nl>') : null));
    assert.equal(m!.customerId, 'KL-000401', 'by the sender of the forwarded message');
    assert.deepEqual(m!.documents.map((d) => d.name), ['creditnota-19.pdf']);
    assert.equal((await waitFinal(t, m!.documents[0]!.documentId)).customerId, 'KL-000401');
  });

  it('given the process stops after a message was taken and before its job ran when it starts again on the same data then the message is taken in once', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'dossierlink-mail-restart-'));
    const env = { DOSSIER_DATA_DIR: dataDir, DOSSIER_LOG_LEVEL: 'silent', DOSSIER_INBOX: 'off', DOSSIER_IMAP_URL: `imap://herstart:geheim-3@127.0.0.1:${server.port}`, DOSSIER_IMAP_INTERVAL_MS: '3600000' };
    try {
      await imap(server, 'herstart', (c) => c.append('INBOX', order));
      let dl = await openDossierlink(loadConfig(env));
      assert.equal((await dl.services.mailIntake.pollOnce()).queued, 1);
      await dl.close(); // stopped before any job ran
      dl = await openDossierlink(loadConfig(env));
      try {
        assert.equal((await dl.services.mailIntake.pollOnce()).queued, 0, 'known by its Message-ID after the restart');
        await dl.startWorkers();
        await until('the message processed', async () => (await dl.db.get("SELECT id FROM mail_messages WHERE status = 'done'")) ?? null);
        await dl.services.mailIntake.pollOnce(); // the scheduled pass may have marked it already
        assert.equal(await unprocessed(server, 'herstart'), 0);
        assert.ok((await dl.db.get<{ marked_at: string | null }>('SELECT marked_at FROM mail_messages'))?.marked_at);
        const docs = await dl.db.all("SELECT id FROM documents WHERE source = 'email'");
        assert.equal(docs.length, 1);
      } finally {
        await dl.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('given a mailbox read with DOSSIER_IMAP_PROCESSED=move when a message is done then it is moved to the configured folder', async () => {
    const t2 = await startTestApp({
      env: { DOSSIER_IMAP_URL: `imap://archief:geheim-2@127.0.0.1:${server.port}/INBOX`, DOSSIER_IMAP_INTERVAL_MS: '3600000', DOSSIER_IMAP_PROCESSED: 'move', DOSSIER_IMAP_MOVE_TO: 'Verwerkt' },
    });
    try {
      await imap(server, 'archief', (c) => c.append('INBOX', order));
      await t2.dl.startWorkers();
      await until('the message processed', async () => (await t2.dl.db.get<{ status: string }>("SELECT status FROM mail_messages WHERE status = 'done'")) ?? null);
      const p = await json<Poll>(await t2.api('POST', '/api/mail-intake/poll', { as: 'mailroom' }));
      assert.equal(p.ok, true); // this pass or the scheduled one moved it
      const count = async (c: ImapFlow, box: string) => {
        const st = await c.status(box, { messages: true });
        return st ? st.messages : -1;
      };
      const counts = await imap(server, 'archief', async (c) => ({ inbox: await count(c, 'INBOX'), moved: await count(c, 'Verwerkt') }));
      assert.deepEqual(counts, { inbox: 0, moved: 1 });
    } finally {
      await t2.close();
    }
  });

  it('given the mail server is down when the mailbox is read then the poll reports why and the operator sees it', async () => {
    await server.stop();
    const p = await poll();
    assert.equal(p.ok, false);
    assert.ok(p.error, 'the reason is given');
    const s = await status();
    assert.equal(s.lastPoll?.ok, false);
    assert.equal(s.counts.done, 4, 'what was taken in stays');
  });
});
