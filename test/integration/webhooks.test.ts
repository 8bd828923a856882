import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { makeTextPdf } from '../../src/adapters/pdf/text-pdf.js';
import { verifySignature, WebhookDispatcher } from '../../src/jobs/webhook-delivery.job.js';
import { events } from '../../src/services/events.service.js';
import { createIngestHandler } from '../../src/jobs/ingest.job.js';
import { upload } from '../helpers/ingest-helpers.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, any>;
type Received = { headers: IncomingHttpHeaders; body: string; json: Json; at: number; answered: number };

/** A webhook receiver on loopback; `respond` picks the status per request (n counts from 1). */
async function receiver(respond: (r: Received, n: number) => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { headers: req.headers, body, json: JSON.parse(body) as Json, at: Date.now(), answered: 0 };
      received.push(r);
      r.answered = respond(r, received.length);
      res.writeHead(r.answered, { 'content-type': 'text/plain' }).end(r.answered < 300 ? 'ok' : 'receiver down');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/dossierlink`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

describe(WebhookDispatcher.name, () => {
  let t: TestApp;
  const receivers: { close(): Promise<void> }[] = [];
  const call = async (method: string, path: string, as: 'admin' | 'crm' | 'mailroom', json?: unknown) => {
    const res = await t.api(method, path, { as, json });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
  };
  const register = async (url: string, evts: string[]) => {
    const r = await call('POST', '/api/webhooks', 'admin', { url, events: evts, description: 'test receiver' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.ok(typeof r.body.secret === 'string' && r.body.secret.length >= 32, 'a secret is returned once');
    return r.body as { id: string; secret: string };
  };
  const setStatus = (customerId: string, name: string, value: string) =>
    t.dl.db.tx((q) => t.dl.services.status.set(q, { customerId, name, value, actorId: 'test', source: 'webhooks-test' }));

  before(async () => {
    // The receivers listen on loopback, which webhooks may only reach when it is allow-listed (issue #14).
    t = await startTestApp({ env: { DOSSIER_WEBHOOK_ALLOW: '127.0.0.1/32' } });
    t.dl.services.webhooks.dispatcher.policy = { baseDelayMs: 60, maxDelayMs: 300, maxAttempts: 3, timeoutMs: 3000 };
    t.dl.services.webhooks.start();
  });
  after(async () => {
    await t.close();
    for (const r of receivers) await r.close();
  });

  it('given a webhook when paper moves, a status is set and a document is destroyed then each event arrives signed, with its id and key points', async () => {
    const rx = await receiver();
    receivers.push(rx);
    const hook = await register(rx.url, ['paper.moved', 'status.set', 'document.destroyed']);
    const listed = await call('GET', '/api/webhooks', 'admin');
    const mine = listed.body.webhooks.find((w: Json) => w.id === hook.id);
    assert.ok(mine && !('secret' in mine) && mine.secretHint.includes('…'), 'the list never shows the secret');

    const site = await call('POST', '/api/locations', 'mailroom', { name: 'Webhook archief', kind: 'site' });
    const paper = await call('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000124', type: 'order', docDate: '2025-05-01', fields: { number: 'ORD-77', total: 1250.5 } });
    assert.equal(paper.status, 201, JSON.stringify(paper.body));
    const moved = await call('POST', '/api/tracking/scan', 'mailroom', { barcode: paper.body.barcode, to: site.body.barcode });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    await setStatus('KL-000124', 'letter-sent', 'mlg_webhooks');
    const doomed = await call('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000127', type: 'letter', title: 'registered by mistake' });
    const del = await t.api('DELETE', `/api/documents/${doomed.body.id}?reason=${encodeURIComponent('registered twice')}`, { as: 'admin' });
    assert.equal(del.status, 200, await del.text());

    const wanted = ['paper.moved', 'status.set', 'document.destroyed'];
    await until('three events', () => wanted.every((w) => rx.received.some((r) => r.json.type === w)));
    for (const r of rx.received) {
      const ok = verifySignature({ secret: hook.secret, body: r.body, timestamp: r.headers['x-dossierlink-timestamp'] as string, signature: r.headers['x-dossierlink-signature'] as string });
      assert.ok(ok, `signature of ${r.json.type} verifies`);
      assert.equal(r.headers['x-dossierlink-event-id'], r.json.id);
      assert.match(r.json.id, /^evt_/);
      assert.match(String(r.headers['x-dossierlink-signature']), /^sha256=[0-9a-f]{64}$/);
    }
    const move = rx.received.find((r) => r.json.type === 'paper.moved')!.json;
    assert.equal(move.subject.id, paper.body.id);
    assert.equal(move.customerId, 'KL-000124');
    assert.deepEqual(move.data.document.keyPoints, { number: 'ORD-77', date: '2025-05-01', amount: 1250.5, currency: null, endDate: null });
    assert.match(move.data.to, /Webhook archief/);
    const status = rx.received.find((r) => r.json.type === 'status.set')!.json;
    assert.deepEqual([status.data.name, status.data.value], ['letter-sent', 'mlg_webhooks']);
    const destroyed = rx.received.find((r) => r.json.type === 'document.destroyed')!.json;
    assert.equal(destroyed.subject.id, doomed.body.id);
    assert.equal(destroyed.data.reason, 'registered twice');

    const sample = rx.received[0];
    const ts = sample.headers['x-dossierlink-timestamp'] as string;
    const sig = sample.headers['x-dossierlink-signature'] as string;
    assert.ok(!verifySignature({ secret: hook.secret, body: `${sample.body} `, timestamp: ts, signature: sig }), 'a changed body fails');
    assert.ok(!verifySignature({ secret: 'whsec_wrong-secret-0123456789', body: sample.body, timestamp: ts, signature: sig }), 'another secret fails');
    assert.ok(!verifySignature({ secret: hook.secret, body: sample.body, timestamp: ts, signature: sig, nowSec: Number(ts) + 3600 }), 'a replay an hour later fails');
  });

  it('given a receiver that fails twice when an event is sent then it is retried with backoff and delivered with the same event id', async () => {
    const rx = await receiver((_r, n) => (n <= 2 ? 503 : 200));
    receivers.push(rx);
    const hook = await register(rx.url, ['status.set']);
    await setStatus('KL-000125', 'reply-received', 'yes');
    await until('the third attempt', () => rx.received.length >= 3);
    const ids = new Set(rx.received.map((r) => r.headers['x-dossierlink-event-id']));
    assert.equal(ids.size, 1, 'every attempt carries the same event id');
    assert.deepEqual(rx.received.map((r) => r.headers['x-dossierlink-attempt']), ['1', '2', '3']);
    assert.ok(rx.received[1].at - rx.received[0].at >= 25, `the retry waited (${rx.received[1].at - rx.received[0].at} ms)`);
    const w = await until('delivered count', async () => ((await call('GET', '/api/webhooks', 'admin')).body.webhooks as Json[]).find((x) => x.id === hook.id && x.deliveries.delivered === 1));
    assert.deepEqual(w.deliveries, { pending: 0, delivered: 1, dead: 0 });
  });

  it('given a receiver that stays down when attempts run out then the delivery is a dead letter that an operator replays once it is back', async () => {
    let down = true;
    const rx = await receiver(() => (down ? 500 : 204));
    receivers.push(rx);
    const hook = await register(rx.url, ['status.set']);
    await setStatus('KL-000126', 'letter-sent', 'mlg_dead');
    const dead = await until('a dead letter', async () =>
      ((await call('GET', `/api/webhooks/dead-letters?webhookId=${hook.id}`, 'admin')).body.deadLetters as Json[])[0],
    );
    assert.equal(dead.attempts, 3);
    assert.equal(dead.lastStatus, 500);
    assert.equal(dead.lastError, 'HTTP 500', 'the status only: the receiver\'s answer ("receiver down") is not kept');
    assert.equal(dead.event.type, 'status.set');
    assert.equal(dead.event.data.value, 'mlg_dead');
    assert.equal(rx.received.length, 3);

    down = false;
    const replay = await call('POST', `/api/webhooks/dead-letters/${dead.id}/replay`, 'admin');
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    await until('the replayed delivery', () => rx.received.some((r) => r.answered === 204));
    assert.equal(rx.received.at(-1)!.json.id, dead.event.id, 'the replay is the same event');
    await until('an empty dead-letter list', async () => ((await call('GET', `/api/webhooks/dead-letters?webhookId=${hook.id}`, 'admin')).body.deadLetters as Json[]).length === 0);
    const again = await call('POST', `/api/webhooks/dead-letters/${dead.id}/replay`, 'admin');
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal(again.body.error.code, 'not_dead_letter');
  });

  it('given a change that rolls back when it emitted an event then the event was never written', async () => {
    const before = (await call('GET', '/api/events?limit=1000', 'crm')).body.events.length;
    await assert.rejects(
      t.dl.db.tx(async (q) => {
        await events.emit(q, { type: 'status.set', subjectType: 'customer', subjectId: 'KL-000123', customerId: 'KL-000123', data: { name: 'x', value: 'rolled back' } });
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    const list = (await call('GET', '/api/events?limit=1000', 'crm')).body.events as Json[];
    assert.equal(list.length, before);
    assert.ok(!list.some((e) => e.data.value === 'rolled back'), 'no event of a rolled-back change');
  });

  it('given a scope change and an upload when they finish then class changes and document ready are events, and the pull feed lists them in order', async () => {
    const rx = await receiver();
    receivers.push(rx);
    await register(rx.url, ['document.*']);
    const r = await call('PUT', '/api/scopes/active', 'admin', { scopes: ['loyalty'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const changed = await until('class_changed', () => rx.received.find((x) => x.json.type === 'document.class_changed'));
    assert.ok(['static', 'dynamic'].includes(changed.json.data.to) && changed.json.data.from !== changed.json.data.to, 'from and to differ');
    await call('PUT', '/api/scopes/active', 'admin', { scopes: ['sales', 'care'] });

    const pdf = await makeTextPdf([['Offerte OF-2026-0099', 'Klantnummer: KL-000123', 'Datum: 3 maart 2026', 'Totaal: EUR 4.250,00', 'Geldig tot 1 mei 2026']]);
    const up = await upload(t, pdf, 'offerte.pdf', { customerId: 'KL-000123', type: 'quote' });
    const upText = await up.text();
    assert.equal(up.status, 202, upText);
    const { id } = JSON.parse(upText) as { id: string };
    // The real ingest handler, run here with an OCR stand-in: tesseract is not what this test is about.
    const ingest = createIngestHandler({
      db: t.dl.db,
      store: t.dl.store,
      ocr: { workers: 1, terminate: async () => undefined, recognize: async () => ({ text: '', confidence: 0, rotation: 0 }) },
      audit: t.dl.services.audit,
      scopes: t.dl.services.scopes,
      clock: t.dl.clock,
      customerPattern: /KL-\d{6}/,
      buildArchive: async () => null,
    });
    const job = { id: 'job_test', kind: 'ingest', payload: { documentId: id }, status: 'running', attempts: 1, maxAttempts: 5 } as Parameters<typeof ingest>[0];
    await ingest(job, { signal: new AbortController().signal, progress: () => undefined });
    const ready = await until('document ready', () => rx.received.find((x) => ['document.ready', 'document.needs_review'].includes(x.json.type) && x.json.subject.id === id), 30_000);
    assert.equal(ready.json.data.document.customerId, 'KL-000123');

    const feed = (await call('GET', '/api/events?types=document.class_changed,document.ready,document.needs_review&limit=1000', 'crm')).body;
    const seqs = (feed.events as Json[]).map((e) => e.sequence);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'the pull feed is in sequence order');
    assert.ok((feed.events as Json[]).some((e) => e.subject.id === id), 'the pull feed has the upload');
    const next = (await call('GET', `/api/events?after=${feed.next}&types=document.ready`, 'crm')).body;
    assert.equal(next.events.length, 0);
  });

  it('given documents whose retention has ended when the hourly pass runs twice then retention.due is raised once per document', async () => {
    const later = { now: () => new Date('2100-01-01T00:00:00Z') };
    // The pass at start-up already raised what was due today.
    const earlier = ((await call('GET', '/api/events?types=retention.due&limit=1000', 'crm')).body.events as Json[]).length;
    const first = await events.raiseRetentionDue(t.dl.db, later);
    assert.ok(first > 0, `retention.due raised (${first})`);
    assert.equal(await events.raiseRetentionDue(t.dl.db, later), 0, 'not again');
    const due = (await call('GET', '/api/events?types=retention.due&limit=1000', 'crm')).body.events as Json[];
    assert.equal(due.length, earlier + first);
    assert.ok(due.every((e) => typeof e.data.endsOn === 'string' && e.data.endsOn <= '2100-01-01' && e.data.document.id === e.subject.id), 'each names its end date and document');
  });

  it('given a document that is destroyed when the outbox is read then earlier events about it keep their id but lose their content', async () => {
    const site = await call('POST', '/api/locations', 'mailroom', { name: 'Scrub archief', kind: 'site' });
    const paper = await call('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000123', type: 'order', fields: { number: 'ORD-SECRET' } });
    await call('POST', '/api/tracking/scan', 'mailroom', { barcode: paper.body.barcode, to: site.body.barcode });
    const del = await t.api('DELETE', `/api/documents/${paper.body.id}?reason=scrub`, { as: 'admin' });
    assert.equal(del.status, 200, await del.text());
    const about = ((await call('GET', '/api/events?limit=1000', 'crm')).body.events as Json[]).filter((e) => e.subject.id === paper.body.id);
    assert.deepEqual(about.map((e) => e.type), ['paper.registered', 'paper.moved', 'document.destroyed']);
    assert.deepEqual(about[0].data, { scrubbed: 'document destroyed' });
    assert.deepEqual(about[1].data, { scrubbed: 'document destroyed' });
    assert.ok(!JSON.stringify(about).includes('ORD-SECRET'), 'the key points are gone from the outbox');
    // An erasure (GDPR art. 17) does the same for everything about the customer.
    await t.dl.db.tx((q) => t.dl.services.audit.record(q, { actorId: 'test', action: 'customer.erase', subjectType: 'customer', subjectId: 'KL-000124', customerId: 'KL-000124' }));
    const erased = ((await call('GET', '/api/events?limit=1000', 'crm')).body.events as Json[]).filter((e) => e.customerId === 'KL-000124');
    assert.ok(erased.length > 0 && erased.every((e) => e.data.scrubbed === 'customer data erased'), 'events about an erased customer keep no content');
  });

  it('given old events when the outbox is pruned then delivered ones go and undelivered or dead ones stay', async () => {
    const rx = await receiver(() => 500);
    receivers.push(rx);
    const hook = await register(rx.url, ['status.set']);
    await setStatus('KL-000124', 'prune-test', 'x');
    await until('a dead letter to keep', async () => ((await call('GET', `/api/webhooks/dead-letters?webhookId=${hook.id}`, 'admin')).body.deadLetters as Json[]).length === 1);
    const pruned = await events.prune(t.dl.db, { now: () => new Date('2200-01-01T00:00:00Z') });
    assert.ok(pruned > 0, `delivered events pruned (${pruned})`);
    const settled = await t.dl.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM outbox_events e WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = e.seq AND d.status IN ('pending','sending','dead'))",
    );
    assert.equal(settled!.n, 0, 'no event is left that every webhook has received');
    assert.equal(((await call('GET', `/api/webhooks/dead-letters?webhookId=${hook.id}`, 'admin')).body.deadLetters as Json[]).length, 1, 'the dead letter is still there');
  });

  it('given a removed webhook when events happen then it receives nothing more', async () => {
    const rx = await receiver();
    receivers.push(rx);
    const hook = await register(rx.url, ['status.set']);
    await setStatus('KL-000127', 'a', '1');
    await until('first delivery', () => rx.received.length === 1);
    assert.equal((await t.api('DELETE', `/api/webhooks/${hook.id}`, { as: 'admin' })).status, 204);
    await setStatus('KL-000127', 'a', '2');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(rx.received.length, 1);
    assert.equal((await t.api('DELETE', `/api/webhooks/${hook.id}`, { as: 'admin' })).status, 404);
  });
});
