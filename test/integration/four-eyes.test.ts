import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/domain/roles.js';
import { fakeClock } from '../../src/services/clock.js';
import { DisposalService } from '../../src/services/disposal.service.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Err = { error: { code: string; message: string } };
const system = { id: 'four-eyes-test', name: 'Test', roles: ['admin'] as Role[] };

/**
 * Four eyes means two people (issue #16): an admin alone destroys only a fresh mistaken upload,
 * and cannot approve a disposal through accounts they created or whose password they set, nor
 * through an API token.
 */
describe(`${DisposalService.name} four eyes by person`, () => {
  let t: TestApp;
  const clock = fakeClock('2026-11-30T09:00:00Z');
  let n = 0;
  const duePaper = async () =>
    (await t.dl.services.paper.register({ customerId: 'KL-000124', type: 'order', title: `Four eyes ${++n}`, docDate: '2010-01-01' }, system)).id;
  const propose = async (opts: Parameters<TestApp['api']>[2]) => {
    const res = await t.api('POST', '/api/disposals', { ...opts, json: { reason: `four eyes ${n}`, documentIds: [await duePaper()] } });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  };
  before(async () => {
    t = await startTestApp({ clock });
  });
  after(() => t.close());

  it('given a document registered more than 24 h ago when an admin destroys it alone then 403 four_eyes; a fresh mistaken upload may go', async () => {
    const old = await duePaper();
    clock.set('2026-12-01T09:30:00Z');
    const res = await t.api('DELETE', `/api/documents/${old}?reason=cleanup`, { as: 'admin' });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as Err).error.code, 'four_eyes');
    assert.ok(await t.dl.services.documents.get(old, system), 'still there');
    const fresh = await duePaper();
    clock.set('2026-12-01T20:00:00Z');
    assert.equal((await t.api('DELETE', `/api/documents/${fresh}?reason=${encodeURIComponent('scanned twice')}`, { as: 'admin' })).status, 200);
  });

  it('given two compliance accounts one admin created when one proposes and the other approves then 403 four_eyes; the admin cannot approve either', async () => {
    const admin = await t.signIn('admin');
    for (const u of ['xander', 'yvonne']) {
      const res = await t.api('POST', '/api/users', { session: admin, json: { name: `${u} (made by Ada)`, roles: ['compliance'], username: u, password: `${u}-password-1` } });
      assert.equal(res.status, 201, await res.clone().text());
    }
    const x = await t.signIn({ username: 'xander', password: 'xander-password-1' });
    const y = await t.signIn({ username: 'yvonne', password: 'yvonne-password-1' });
    const id = await propose({ session: x });
    const byY = await t.api('POST', `/api/disposals/${id}/approve`, { session: y, json: {} });
    assert.equal(byY.status, 403);
    assert.equal(((await byY.json()) as Err).error.code, 'four_eyes');
    const byAdmin = await t.api('POST', `/api/disposals/${id}/approve`, { session: admin, json: {} });
    assert.equal(byAdmin.status, 403, 'the admin who made the proposer');
    // A compliance officer the admin did not make is a second person.
    const byCora = await t.api('POST', `/api/disposals/${id}/approve`, { session: await t.signIn('compliance'), json: {} });
    assert.equal(byCora.status, 200, await byCora.clone().text());
  });

  it('given an admin who reset a compliance officer’s password when the admin proposes and that officer approves then 403 four_eyes', async () => {
    const connor = await t.signIn('compliance2');
    const ada = await t.signIn('admin');
    assert.equal((await t.api('PATCH', `/api/users/${connor.user.id}`, { session: ada, json: { password: 'ada-knows-this-1' } })).status, 200);
    const id = await propose({ session: ada });
    const res = await t.api('POST', `/api/disposals/${id}/approve`, { session: await t.signIn({ username: 'connor', password: 'ada-knows-this-1' }), json: {} });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as Err).error.code, 'four_eyes');
  });

  it('given an API token with the compliance role when it approves then 403 four_eyes: tokens are not people', async () => {
    const id = await propose({ as: 'compliance' });
    const tok = (await (await t.api('POST', '/api/tokens', { as: 'admin', json: { name: 'Robot', roles: ['compliance'] } })).json()) as { token: string };
    const res = await t.api('POST', `/api/disposals/${id}/approve`, { token: tok.token, json: {} });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as Err).error.code, 'four_eyes');
    const boot = await t.api('POST', `/api/disposals/${id}/approve`, { token: (await import('../helpers/test-app.js')).ADMIN_TOKEN, json: {} });
    assert.equal(boot.status, 403, 'nor is the bootstrap token');
  });
});
