import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChangesService } from '../../src/services/changes.service.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, any>;
type Change = { seq: string; entity: string; id: string; op: 'upsert' | 'delete'; customerId: string | null; data?: Json; mergedInto?: string };

/** What a mobile client keeps: the latest state per entity, applied page by page. */
class Replica {
  readonly items = new Map<string, Change>();
  cursor = '';
  apply(changes: Change[]) {
    for (const c of changes) {
      const key = `${c.entity}:${c.id}`;
      if (c.op === 'upsert') this.items.set(key, c);
      else {
        this.items.delete(key);
        // A customer tombstone takes its dossier with it.
        if (c.entity === 'customer') for (const [k, v] of this.items) if (v.customerId === c.id) this.items.delete(k);
      }
    }
  }
  snapshot() {
    return new Map([...this.items].map(([k, v]) => [k, v.data]));
  }
}

describe(ChangesService.name, () => {
  let t: TestApp;
  const get = async (path: string, as: 'crm' | 'admin' | 'mailroom' = 'crm') => {
    const res = await t.api('GET', path, { as });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return JSON.parse(text) as Json;
  };
  const call = async (method: string, path: string, as: 'crm' | 'admin' | 'mailroom', json?: unknown) => {
    const res = await t.api(method, path, { as, json });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
  };
  /** Pages through the feed from the replica's cursor until there is no more. */
  const sync = async (r: Replica, limit = 500) => {
    for (;;) {
      const page = await get(`/api/changes?since=${r.cursor}&limit=${limit}`);
      r.apply(page.changes as Change[]);
      assert.ok(Number(page.cursor) >= Number(r.cursor || 0), 'the cursor never goes back');
      r.cursor = page.cursor;
      if (!page.hasMore) return;
    }
  };

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('given the demo data when a client syncs from an empty cursor then it gets customers, statuses and documents, and only dynamic ones carry content', async () => {
    const r = new Replica();
    await sync(r);
    const docs = [...r.items.values()].filter((c) => c.entity === 'document');
    const customers = [...r.items.values()].filter((c) => c.entity === 'customer');
    assert.equal(customers.length, 5);
    assert.equal(docs.length, 10);
    const dynamic = docs.filter((d) => d.data!.class === 'dynamic');
    const paper = docs.filter((d) => d.data!.class === 'static');
    assert.ok(dynamic.length > 0 && paper.length > 0, 'demo has both classes');
    for (const d of dynamic) {
      assert.ok(d.data!.content && d.data!.content.text.length > 20, `${d.id} carries its text`);
      assert.equal(d.data!.content.file.url, `/api/documents/${d.id}/file`);
    }
    for (const d of paper) {
      assert.equal(d.data!.content, null, `${d.id}: static paper carries no content`);
      assert.ok(d.data!.keyPoints && 'number' in d.data!.keyPoints, 'static paper carries its key points');
      assert.ok(d.data!.location === null || typeof d.data!.location.path === 'string', 'and where it is');
    }
    assert.ok(![...r.items.values()].some((c) => c.op === 'delete'), 'a full sync has no tombstones');
  });

  it('given a destroyed document and a merged customer when a client syncs from its cursor then both come as tombstones', async () => {
    const r = new Replica();
    await sync(r);
    const paper = await call('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000127', type: 'letter', title: 'will be destroyed' });
    await call('PUT', '/api/customers/KL-300001', 'crm', { name: 'Dubbel B.V.' });
    await sync(r);
    assert.ok(r.items.has(`document:${paper.body.id}`), 'the new paper arrived');
    const del = await t.api('DELETE', `/api/documents/${paper.body.id}?reason=test`, { as: 'admin' });
    assert.equal(del.status, 200, await del.text());
    const merged = await call('POST', '/api/customers/KL-300001/merge', 'crm', { into: 'KL-000127' });
    assert.equal(merged.status, 200, JSON.stringify(merged.body));
    const page = await get(`/api/changes?since=${r.cursor}`);
    const tomb = (page.changes as Change[]).find((c) => c.id === paper.body.id)!;
    assert.equal(tomb.op, 'delete');
    assert.equal(tomb.data, undefined, 'a tombstone carries no content');
    const gone = (page.changes as Change[]).find((c) => c.id === 'KL-300001')!;
    assert.deepEqual([gone.op, gone.mergedInto], ['delete', 'KL-000127']);
  });

  it('given writes interleaved with paged reads when the client catches up then it misses no change', async () => {
    const r = new Replica();
    const ids = Array.from({ length: 6 }, (_, i) => `KL-4000${String(i + 10)}`);
    const site = (await call('POST', '/api/locations', 'mailroom', { name: 'Sync archief', kind: 'site' })).body;
    const site2 = (await call('POST', '/api/locations', 'mailroom', { name: 'Sync archief 2', kind: 'site' })).body;
    const box = (await call('POST', '/api/locations', 'mailroom', { name: 'Sync doos', kind: 'box', parent: site.barcode })).body;
    let writing = true;
    const writer = (async () => {
      const unfiled: { id: string; barcode: string }[] = [];
      const boxed: { id: string; barcode: string }[] = [];
      let boxIn = site;
      for (let i = 0; i < 60; i++) {
        const c = ids[i % ids.length];
        const op = i % 6;
        if (op === 0 || i < ids.length) assert.ok([200, 201].includes((await call('PUT', `/api/customers/${c}`, 'crm', { name: `Klant ${c} v${i}`, city: `Stad ${i}` })).status), 'upsert');
        else if (op === 1) {
          const p = await call('POST', '/api/documents/paper', 'mailroom', { customerId: c, type: 'order', fields: { number: `ORD-${i}`, total: i } });
          assert.equal(p.status, 201, JSON.stringify(p.body));
          unfiled.push(p.body as { id: string; barcode: string });
        } else if (op === 2) await t.dl.db.tx((q) => t.dl.services.status.set(q, { customerId: c, name: 'letter-sent', value: `v${i}`, actorId: 'test', source: 'sync-test' }));
        else if (op === 3 && unfiled.length) {
          const p = unfiled.pop()!;
          assert.equal((await call('POST', '/api/tracking/scan', 'mailroom', { barcode: p.barcode, to: box.barcode })).status, 200);
          boxed.push(p);
        } else if (op === 4 && boxed.length > 3) {
          const p = boxed.shift()!;
          assert.equal((await t.api('DELETE', `/api/documents/${p.id}?reason=sync-test`, { as: 'admin' })).status, 200);
        } else if (op === 5) {
          // Moving the box moves the paper in it without writing the documents.
          boxIn = boxIn === site ? site2 : site;
          const moved = await call('POST', '/api/tracking/scan', 'mailroom', { barcode: box.barcode, to: boxIn.barcode });
          assert.equal(moved.status, 200, JSON.stringify(moved.body));
          assert.equal(moved.body.carried, boxed.length, 'the box carries its paper');
        }
      }
      writing = false;
    })();
    let pages = 0;
    while (writing) {
      const page = await get(`/api/changes?since=${r.cursor}&limit=4`);
      r.apply(page.changes as Change[]);
      r.cursor = page.cursor;
      pages++;
      if (!page.hasMore) await new Promise((res) => setTimeout(res, 5));
    }
    await writer;
    await sync(r, 4);
    assert.ok(pages > 5, `the reads interleaved with the writes (${pages} pages)`);

    const fresh = new Replica();
    await sync(fresh);
    assert.deepEqual(r.snapshot(), fresh.snapshot(), 'the incremental replica equals a full sync');
    // And against the database itself, not only against the feed.
    for (const c of ids) {
      const row = (await t.dl.db.get<{ name: string; city: string }>('SELECT name, city FROM customers WHERE id = ?', [c]))!;
      assert.equal(r.items.get(`customer:${c}`)?.data?.name, row.name, `${c} name`);
      const st = await t.dl.db.get<{ value: string }>("SELECT value FROM status_variables WHERE customer_id = ? AND name = 'letter-sent'", [c]);
      if (st) assert.equal(r.items.get(`status:${c}:letter-sent`)?.data?.value, st.value, `${c} status`);
    }
    const live = await t.dl.db.all<{ id: string; location_id: string | null }>(
      `SELECT d.id, d.location_id FROM documents d JOIN customers c ON c.id = d.customer_id
       WHERE d.destroyed_at IS NULL AND c.restricted = 0 AND c.id NOT IN (SELECT merged_id FROM customer_merges)`,
    );
    const replicaDocs = [...r.items.values()].filter((c) => c.entity === 'document');
    assert.deepEqual(replicaDocs.map((d) => d.id).sort(), live.map((d) => d.id).sort(), 'exactly the live documents');
    for (const d of replicaDocs.filter((x) => ids.includes(x.customerId!))) {
      const view = (await get(`/api/documents/${d.id}`)) as Json;
      assert.equal(d.data!.location?.path ?? null, view.location?.path ?? null, `${d.id} location is current`);
    }
  });

  it('given a customer under restriction when a client syncs then that dossier is withdrawn from the device', async () => {
    const r = new Replica();
    await sync(r);
    assert.ok([...r.items.values()].some((c) => c.customerId === 'KL-000125'), 'KL-000125 is synced first');
    await t.dl.db.run('UPDATE customers SET restricted = 1 WHERE id = ?', ['KL-000125']);
    await sync(r);
    assert.ok(![...r.items.values()].some((c) => c.customerId === 'KL-000125'), 'nothing of KL-000125 is left on the device');
    const fresh = new Replica();
    await sync(fresh);
    assert.ok(![...fresh.items.values()].some((c) => c.customerId === 'KL-000125'), 'nor in a full sync');
    await t.dl.db.run('UPDATE customers SET restricted = 0 WHERE id = ?', ['KL-000125']);
  });

  it('given a scope change that makes dynamic documents static when a client syncs then their content is no longer sent', async () => {
    const r = new Replica();
    await sync(r);
    const before = [...r.items.values()].filter((c) => c.entity === 'document' && c.data!.content);
    assert.ok(before.length > 0, 'some documents carry content');
    assert.equal((await call('PUT', '/api/scopes/active', 'admin', { scopes: ['loyalty'] })).status, 200);
    await sync(r);
    for (const c of r.items.values()) if (c.entity === 'document' && c.data!.class === 'static') assert.equal(c.data!.content, null, `${c.id} is static now`);
    assert.equal((await call('PUT', '/api/scopes/active', 'admin', { scopes: ['sales', 'care'] })).status, 200);
  });

  it('given static paper when the CRM exports key points then it gets number, date, amount and end date, as JSON or CSV, and only what changed since its cursor', async () => {
    const all = await get('/api/exports/key-points');
    assert.ok(all.items.length >= 5, 'the demo paper is exported');
    assert.ok((all.items as Json[]).every((i) => i.class === 'static' || i.barcode), 'only static documents and paper');
    const order = (all.items as Json[]).find((i) => i.number === 'ORD-2025-3310')!;
    assert.deepEqual([order.date, order.amount, order.currency], ['2025-03-14', 18400, 'EUR']);
    assert.match(order.location, /Doos/);
    const created = await call('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000123', type: 'service-contract', docDate: '2026-01-01', fields: { number: 'SC-9', total: 99.95, endsOn: '2028-12-31' } });
    const next = await get(`/api/exports/key-points?since=${all.cursor}`);
    assert.deepEqual((next.items as Json[]).map((i) => i.documentId), [created.body.id]);
    assert.deepEqual([next.items[0].number, next.items[0].amount, next.items[0].endDate], ['SC-9', 99.95, '2028-12-31']);
    const again = await get(`/api/exports/key-points?since=${next.cursor}`);
    assert.equal(again.items.length, 0);

    const res = await t.api('GET', `/api/exports/key-points?format=csv&since=${all.cursor}`, { as: 'crm' });
    const csv = await res.text();
    assert.equal(res.status, 200, csv);
    assert.match(res.headers.get('content-type') ?? '', /text\/csv/);
    assert.equal(res.headers.get('x-dossierlink-cursor'), next.cursor);
    const lines = csv.trim().split('\r\n');
    assert.equal(lines[0], 'seq,documentId,customerId,type,class,barcode,title,number,date,amount,currency,endDate,location,deleted,updatedAt');
    assert.equal(lines.length, 2);
    assert.ok(lines[1].includes(',SC-9,2026-01-01,99.95,,2028-12-31,'), lines[1]);
  });

  it('given a cursor that is not one when the feed is asked then 400', async () => {
    const res = await t.api('GET', '/api/changes?since=abc', { as: 'crm' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as Json).error.code, 'invalid_cursor');
  });
});
