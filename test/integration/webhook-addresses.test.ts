import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { addressVerdict, parseAllowList } from '../../src/domain/address-policy.js';
import { guardedLookup } from '../../src/adapters/net/pinned-agent.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, any>;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** A receiver on loopback that counts what it gets: the stand-in for an internal service. */
async function internalService() {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('internal secret: hunter2'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, hits: () => hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('webhook address policy', () => {
  it('given the ranges an attacker would aim at when judged then each is refused, a public address is not', () => {
    for (const [ip, range] of [
      ['127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.9', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'linkLocal'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['224.0.0.1', 'multicast'],
      ['0.0.0.0', 'unspecified'],
      ['255.255.255.255', 'broadcast'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'linkLocal'],
      ['fd00::1', 'uniqueLocal'],
      ['::ffff:127.0.0.1', 'ipv4Mapped'],
      ['::ffff:169.254.169.254', 'ipv4Mapped'],
      ['64:ff9b::a9fe:a9fe', 'rfc6052'],
      ['2002:7f00:1::', '6to4'],
    ] as const) {
      const v = addressVerdict(ip);
      assert.equal(v.allowed, false, `${ip} is refused`);
      assert.equal(v.range, range, `${ip} is ${range}`);
    }
    assert.equal(addressVerdict('93.184.215.14').allowed, true);
    assert.equal(addressVerdict('2606:4700::1111').allowed, true);
  });

  it('given an allow-list when judged then its ranges pass (the IPv4-mapped form too) and the rest stays refused', () => {
    const allow = parseAllowList('127.0.0.1/32, 10.0.0.0/8 ,fd00::/8');
    assert.equal(addressVerdict('127.0.0.1', allow).allowed, true);
    assert.equal(addressVerdict('::ffff:127.0.0.1', allow).allowed, true);
    assert.equal(addressVerdict('10.200.0.1', allow).byAllowList, true);
    assert.equal(addressVerdict('fd12::1', allow).allowed, true);
    assert.equal(addressVerdict('127.0.0.2', allow).allowed, false);
    assert.equal(addressVerdict('169.254.169.254', allow).allowed, false);
    assert.throws(() => parseAllowList('10.0.0.0/99'));
    assert.throws(() => parseAllowList('intranet'));
  });

  it('given a name that resolves to loopback when looked up for a connection then the lookup fails and pins nothing', async () => {
    const refused = await new Promise<Error | null>((r) => guardedLookup([])('localhost', {}, (err) => r(err)));
    assert.match(String(refused?.message), /loopback/);
    const pinned = await new Promise<string>((r, j) => guardedLookup(parseAllowList('127.0.0.1/32,::1/128'))('localhost', { family: 4 }, (err, a) => (err ? j(err) : r(String(a)))));
    assert.equal(pinned, '127.0.0.1', 'the socket is handed the very address that was checked');
  });
});

describe('webhooks to internal addresses', () => {
  let t: TestApp;
  let target: Awaited<ReturnType<typeof internalService>>;
  const register = async (app: TestApp, url: string) => {
    const res = await app.api('POST', '/api/webhooks', { as: 'admin', json: { url, events: ['status.set'] } });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const setStatus = (app: TestApp, value: string) =>
    app.dl.db.tx((q) => app.dl.services.status.set(q, { customerId: 'KL-000124', name: 'letter-sent', value, actorId: 'test', source: 'address-test' }));

  before(async () => {
    target = await internalService();
    t = await startTestApp();
    t.dl.services.webhooks.dispatcher.policy = { baseDelayMs: 20, maxDelayMs: 50, maxAttempts: 2, timeoutMs: 2000 };
  });
  after(async () => {
    await t.close();
    await target.close();
  });

  for (const url of ['http://127.0.0.1:9/x', 'http://10.0.0.5/x', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:8080/x', 'http://[fd00::5]/x', 'http://[::ffff:127.0.0.1]/x', 'http://100.64.1.1/x', 'http://0.0.0.0/x', 'http://[::]/x', 'http://2130706433/x', 'http://0x7f.1/x', 'http://localhost:8080/x', 'http://LOCALHOST./x']) {
    it(`given the forbidden address ${url} when a webhook is registered then 400 forbidden_address`, async () => {
      const r = await register(t, url);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'forbidden_address');
    });
  }

  it('given a host name that resolves to loopback when an event is delivered then the connection is refused at delivery and the internal service sees nothing', async () => {
    // A name that resolved to a public address at registration and to loopback now (DNS rebinding):
    // planted directly, since registration already refuses localhost names.
    const planted = await t.dl.db.tx(async (q) => {
      await q.run(
        "INSERT INTO webhooks (id, url, secret, event_types, description, created_by, created_at) VALUES ('whk_rebind', ?, 'whsec_0123456789abcdef0123456789', '[]', 'rebinding', 'test', '2026-01-01T00:00:00Z')",
        [`http://localhost:${target.port}/x`],
      );
      return 'whk_rebind';
    });
    await setStatus(t, 'mlg_blocked');
    await t.dl.services.webhooks.dispatcher.drain(3000);
    const dead = await until('a dead letter', async () => {
      await t.dl.services.webhooks.dispatcher.drain(1000);
      return (await t.dl.services.webhooks.deadLetters(10, planted))[0];
    });
    assert.match(String(dead.lastError), /^blocked: localhost resolves to .* \(loopback\)/);
    assert.equal(dead.lastStatus, null);
    assert.equal(target.hits(), 0, 'the internal service was never reached');
  });

  it('given the loopback range in DOSSIER_WEBHOOK_ALLOW when an event is delivered there then it arrives and only the status is kept', async () => {
    const onPrem = await startTestApp({ env: { DOSSIER_WEBHOOK_ALLOW: '127.0.0.1/32' } });
    try {
      const hook = await register(onPrem, `http://127.0.0.1:${target.port}/x`);
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      const before = target.hits();
      await setStatus(onPrem, 'mlg_allowed');
      await onPrem.dl.services.webhooks.dispatcher.drain(3000);
      assert.equal(target.hits(), before + 1);
      const d = (await onPrem.dl.db.all<Json>('SELECT * FROM webhook_deliveries WHERE webhook_id = ?', [hook.body.id]))[0];
      assert.equal(d.status, 'delivered');
      assert.ok(!JSON.stringify(d).includes('hunter2'), 'the receiver\'s answer is not stored');
      // A name goes through the guarded lookup: localhost may resolve to ::1 first, which is not
      // allowed, so the connection is pinned to 127.0.0.1, the address that passed.
      const named = await register(onPrem, `http://localhost:${target.port}/named`);
      assert.equal(named.status, 201, JSON.stringify(named.body));
      const beforeNamed = target.hits();
      await setStatus(onPrem, 'mlg_named');
      await onPrem.dl.services.webhooks.dispatcher.drain(3000);
      assert.equal(target.hits(), beforeNamed + 2, 'both hooks got the event, the named one through the pinned address');
      const viaName = (await onPrem.dl.db.all<Json>('SELECT status, last_error FROM webhook_deliveries WHERE webhook_id = ?', [named.body.id]))[0];
      assert.equal(viaName.status, 'delivered', JSON.stringify(viaName));
      // Still refused: what the allow-list does not name.
      const meta = await register(onPrem, 'http://169.254.169.254/latest/meta-data/');
      assert.equal(meta.status, 400);
    } finally {
      await onPrem.close();
    }
  });
});
