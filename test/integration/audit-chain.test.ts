import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('audit hash chain', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    await t.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' });
    await t.api('GET', '/api/customers/KL-000124/dossier', { as: 'crm' });
  });
  after(() => t.close());

  const verify = async () => (await (await t.api('GET', '/api/audit/verify', { as: 'compliance' })).json()) as {
    ok: boolean;
    checked: number;
    firstBadEvent?: { seq: number; reason: string };
  };

  it('given an untouched log when verified then ok with every event checked', async () => {
    const v = await verify();
    const n = await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_events');
    assert.equal(v.ok, true);
    assert.equal(v.checked, n!.n);
  });

  it('given an edited event when verified then that event is reported', async () => {
    const row = await t.dl.db.get<{ seq: number }>("SELECT seq FROM audit_events WHERE action = 'dossier.view' ORDER BY seq LIMIT 1");
    await t.dl.db.run("UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = ?", [row!.seq]);
    const v = await verify();
    assert.equal(v.ok, false);
    assert.equal(v.firstBadEvent?.seq, row!.seq);
    assert.match(v.firstBadEvent!.reason, /altered/);
  });

  it('given a deleted event when verified then the gap is reported', async () => {
    const t2 = await startTestApp();
    try {
      await t2.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' });
      await t2.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' });
      const row = await t2.dl.db.get<{ seq: number }>('SELECT MAX(seq) - 1 AS seq FROM audit_events');
      await t2.dl.db.run('DELETE FROM audit_events WHERE seq = ?', [row!.seq]);
      const v = (await (await t2.api('GET', '/api/audit/verify', { as: 'compliance' })).json()) as { ok: boolean; firstBadEvent?: { seq: number } };
      assert.equal(v.ok, false);
      assert.equal(v.firstBadEvent?.seq, row!.seq);
    } finally {
      await t2.close();
    }
  });
});
