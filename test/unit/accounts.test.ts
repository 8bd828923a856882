import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeClock } from '../../src/services/clock.js';
import { dummyHash, hashPassword, verifyAgainstDummy, verifyPassword } from '../../src/services/passwords.js';
import { csrfFor, sessionState } from '../../src/services/sessions.service.js';
import { throttle } from '../../src/services/sign-in.service.js';

describe('passwords', () => {
  it('given a password when hashed then it is argon2id with a fresh salt and verifies only with that password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    assert.match(a, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    assert.notEqual(a, b, 'salted');
    assert.equal(await verifyPassword(a, 'correct horse battery'), true);
    assert.equal(await verifyPassword(a, 'correct horse batterY'), false);
    assert.equal(await verifyPassword('not a hash', 'x'), false);
  });

  it('given an unknown user when checked against the dummy hash then the same argon2id work is done as for a real user, and it never matches', async () => {
    // Equal cost follows from equal parameters (memory, passes, lanes): argon2's time is set by them, not by the password.
    // Measured by its parameters rather than a stopwatch, which a loaded CI machine makes flaky.
    const params = (phc: string) => /^\$(argon2id)\$v=(\d+)\$(m=\d+,t=\d+,p=\d+)\$/.exec(phc)?.slice(1);
    const real = await hashPassword('some password here');
    const dummy = await dummyHash();
    assert.ok(params(real), real);
    assert.deepEqual(params(dummy), params(real));
    assert.equal(await dummyHash(), dummy, 'made once, not per sign-in');
    assert.equal(await verifyPassword(dummy, 'dummy password that matches nothing'), true, 'a real hash, so the check does the full work');
    assert.equal(await verifyAgainstDummy('dummy password that matches nothing'), false, 'yet an unknown user never signs in');
    assert.equal(await verifyAgainstDummy('wrong password'), false);
  });
});

describe('sessionState', () => {
  const idle = 30 * 60_000;
  it('given a session and a fake clock when time passes then it is active, then idle, and past its absolute end expired', () => {
    const clock = fakeClock('2026-11-30T09:00:00Z');
    const s = { last_seen_at: '2026-11-30T09:00:00.000Z', expires_at: '2026-11-30T17:00:00.000Z', revoked_at: null };
    assert.equal(sessionState(s, clock.now(), idle), 'active');
    clock.set('2026-11-30T09:29:59Z');
    assert.equal(sessionState(s, clock.now(), idle), 'active');
    clock.set('2026-11-30T09:30:00Z');
    assert.equal(sessionState(s, clock.now(), idle), 'idle');
    clock.set('2026-11-30T17:00:00Z');
    assert.equal(sessionState({ ...s, last_seen_at: '2026-11-30T16:59:00Z' }, clock.now(), idle), 'expired', 'active a minute ago, but past the absolute end');
    assert.equal(sessionState({ ...s, revoked_at: '2026-11-30T09:01:00Z' }, new Date('2026-11-30T09:02:00Z'), idle), 'revoked');
  });

  it('given two sessions when their CSRF tokens are derived then they differ and are stable', () => {
    assert.equal(csrfFor('a'), csrfFor('a'));
    assert.notEqual(csrfFor('a'), csrfFor('b'));
  });
});

describe('throttle', () => {
  const now = new Date('2026-11-30T09:15:00Z');
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  it('given few failures then no delay; after three each one adds the delay; at the limit blocked until the oldest counted failure leaves the window', () => {
    assert.deepEqual(throttle([at(1), at(1)], 5, 15 * 60_000, 100, now), { blocked: false, retryAfterMs: 0, delayMs: 0 });
    assert.equal(throttle([at(3), at(2), at(1)], 5, 15 * 60_000, 100, now).delayMs, 100);
    assert.equal(throttle([at(4), at(3), at(2), at(1)], 5, 15 * 60_000, 100, now).delayMs, 200);
    const blocked = throttle([at(10), at(4), at(3), at(2), at(1)], 5, 15 * 60_000, 100, now);
    assert.equal(blocked.blocked, true);
    assert.equal(blocked.retryAfterMs, 5 * 60_000, 'the failure 10 minutes ago leaves in 5');
  });
});
