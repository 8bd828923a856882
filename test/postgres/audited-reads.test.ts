import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Runs in the PostgreSQL pass: every app there is on its own PostgreSQL database.

describe('audited reads on PostgreSQL', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    assert.equal(t.dl.db.dialect, 'postgres');
  });
  after(async () => t?.close());

  it('given two hundred dossier reads at once (each appends to the audit chain), when they finish, then every one answered 200, each is audited once and the chain verifies', async () => {
    const views = async () => ((await (await t.api('GET', '/api/audit?customerId=KL-000123&action=dossier.view&limit=500', { as: 'compliance' })).json()) as { events: unknown[] }).events.length;
    const before = await views();
    const statuses = await Promise.all(Array.from({ length: 200 }, () => t.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' }).then(async (r) => (await r.arrayBuffer(), r.status))));
    assert.deepEqual([...new Set(statuses)], [200]);
    assert.equal((await views()) - before, 200);
    const verify = (await (await t.api('GET', '/api/audit/verify', { as: 'compliance' })).json()) as { ok: boolean };
    assert.equal(verify.ok, true);
  });
});
