import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { fakeClock } from '../../src/services/clock.js';
import { LEASE_ROUNDS, MailIntakeService } from '../../src/services/mail-intake.service.js';
import { dovecotPath, NO_DOVECOT, startImapServer, type ImapTestServer } from '../helpers/imap-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const skip = dovecotPath() ? false : NO_DOVECOT;
const INTERVAL_MS = 1000;

/** A plain message as a mail client sends it, with a Message-ID of its own. */
const mail = (n: number) =>
  Buffer.from(
    [`From: klant${n}@example.nl`, 'To: post@dossierlink.test', `Subject: Bericht ${n}`, `Message-ID: <lease-${n}@example.nl>`, 'Date: Tue, 1 Dec 2026 09:00:00 +0100', '', `Bericht ${n}`, ''].join('\r\n'),
  );

describe(`${MailIntakeService.name} with several worker processes`, { skip }, () => {
  let server: ImapTestServer;
  let t: TestApp;
  const clock = fakeClock(new Date());
  const workers: MailIntakeService[] = [];

  /** Successful IMAP logins of the mailbox's user so far, as Dovecot logged them. */
  const logins = async () => ((await server.log()).match(/Login: user=<post>/g) ?? []).length;
  /** Dovecot's log process writes a little after the session: wait for the count to settle. */
  const loginsSettled = async (atLeast: number) => {
    let n = await logins();
    for (let i = 0; i < 40 && n < atLeast; i++) {
      await new Promise((r) => setTimeout(r, 50));
      n = await logins();
    }
    await new Promise((r) => setTimeout(r, 300));
    return logins();
  };
  /** Delivered with APPEND by the mailbox's own user: one login the counts below take into account. */
  const deliver = async (n: number) => {
    const c = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user: 'post', pass: 'geheim-1' }, logger: false });
    await c.connect();
    await c.append('INBOX', mail(n));
    await c.logout();
  };
  /** Two worker processes' intake on the one database: each with its own holder id, sharing a clock the test moves. */
  const worker = (holderId: string) => {
    const { dl } = t;
    const w = new MailIntakeService({
      db: dl.db,
      store: dl.store,
      queue: dl.queue,
      audit: dl.services.audit,
      intake: dl.services.intake,
      clock,
      config: { ...dl.config.imap!, intervalMs: INTERVAL_MS },
      tmpDir: path.join(dl.config.dataDir, 'tmp'),
      maxFileBytes: dl.config.maxUploadBytes,
      holderId,
    });
    workers.push(w);
    return w;
  };

  before(async () => {
    server = await startImapServer({ post: 'geheim-1' });
    t = await startTestApp({ env: { DOSSIER_IMAP_URL: `imap://post:geheim-1@127.0.0.1:${server.port}/INBOX`, DOSSIER_IMAP_INTERVAL_MS: '3600000' } });
  });
  after(async () => {
    for (const w of workers) await w.stop();
    await t?.close();
    await server?.stop();
  });

  it('given two workers on one database when they poll in the same rounds then one of them logs in per round, the same one each round', async () => {
    const a = worker('worker-a');
    const b = worker('worker-b');
    await deliver(1);
    const start = await loginsSettled(0);
    const first = await Promise.all([a.pollIfHolder(), b.pollIfHolder()]);
    assert.equal(first.filter((r) => r !== null).length, 1, 'exactly one reads the mailbox');
    const reader = first[0] ? a : b;
    assert.equal(first.find((r) => r)!.queued, 1);
    assert.equal(await loginsSettled(start + 1), start + 1, 'one IMAP session in the round');
    await deliver(2);
    const afterDelivery = await loginsSettled(0);
    clock.set(new Date(clock.now().getTime() + INTERVAL_MS));
    const second = await Promise.all([b.pollIfHolder(), a.pollIfHolder()]);
    assert.equal(second.filter((r) => r !== null).length, 1);
    assert.equal((reader === a ? second[1] : second[0])?.queued, 1, 'the holder reads on');
    assert.equal(await loginsSettled(afterDelivery + 1), afterDelivery + 1);
    const lease = (await (await t.api('GET', '/api/mail-intake', { as: 'mailroom' })).json()) as { lease: { holder: string; thisProcess: boolean; expiresAt: string } };
    assert.equal(lease.lease.holder, reader.holderId, 'the operator sees which process reads the mailbox');
    assert.equal(lease.lease.thisProcess, false);
    assert.equal(Date.parse(lease.lease.expiresAt), clock.now().getTime() + LEASE_ROUNDS * INTERVAL_MS);
    assert.equal((await reader.status({ limit: 1, offset: 0 })).lease?.thisProcess, true);
  });

  it('given the holder dies without giving the lease back when its lease expires then another worker takes over, and not before', async () => {
    const [a, b] = workers;
    const holder = (await a!.status({ limit: 1, offset: 0 })).lease!.holder === a!.holderId ? a! : b!;
    const other = holder === a ? b! : a!;
    // The holder is gone: it polls no more and gives nothing back.
    clock.set(new Date(clock.now().getTime() + (LEASE_ROUNDS * INTERVAL_MS) / 2));
    const before = await loginsSettled(0);
    assert.equal(await other.pollIfHolder(), null, 'the lease still runs');
    clock.set(new Date(clock.now().getTime() + LEASE_ROUNDS * INTERVAL_MS));
    await deliver(3);
    const r = await other.pollIfHolder();
    assert.ok(r, 'taken over after expiry');
    assert.equal(r.queued, 1);
    assert.equal(await loginsSettled(before + 2), before + 2, 'the delivery and the new holder\'s session, nothing from the old one');
    assert.equal((await other.status({ limit: 1, offset: 0 })).lease?.holder, other.holderId);
    assert.equal(await holder.pollIfHolder(), null, 'the old holder, back, finds it taken');
  });

  it('given the holder stops when the other worker\'s next round comes then it reads the mailbox at once', async () => {
    const [a, b] = workers;
    const holder = (await a!.status({ limit: 1, offset: 0 })).lease!.holder === a!.holderId ? a! : b!;
    const other = holder === a ? b! : a!;
    assert.equal(await other.pollIfHolder(), null);
    await holder.stop();
    await deliver(4);
    const r = await other.pollIfHolder();
    assert.ok(r, 'no wait for the lease to expire');
    assert.equal(r.queued, 1);
    assert.equal((await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM mail_messages'))!.n, 4, 'each message taken once');
  });

  it('given a long pass when an interval goes by then the holder renews its lease, and a pass that finds it taken over stops reading', async () => {
    const current = (await t.dl.services.mailIntake.status({ limit: 1, offset: 0 })).lease!.holder;
    const h = workers.find((w) => w.holderId === current)!;
    clock.set(new Date(clock.now().getTime() + 2 * INTERVAL_MS));
    await deliver(5);
    const pass = await h.pollOnce();
    assert.ok(pass.seen >= 1);
    const renewed = (await h.status({ limit: 1, offset: 0 })).lease!;
    assert.equal(Date.parse(renewed.expiresAt), clock.now().getTime() + LEASE_ROUNDS * INTERVAL_MS, 'renewed within the pass');
    // Silent past its lease: a new worker takes over, and the old holder's next pass reads nothing.
    clock.set(new Date(clock.now().getTime() + (LEASE_ROUNDS + 1) * INTERVAL_MS));
    const c = worker('worker-c');
    assert.ok(await c.pollIfHolder());
    const late = await h.pollOnce();
    assert.equal(late.ok, true);
    assert.equal(late.seen, 0, 'it stopped at the first message: the lease is worker-c\'s');
  });
});
