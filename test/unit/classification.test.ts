import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, documentState } from '../../src/domain/classification.js';

const TODAY = '2026-11-23';
const c = (type: string, scopes: string[], fields: Record<string, unknown> = {}, docDate: string | null = '2026-10-01') =>
  classify({ type, fields, docDate, scopes, today: TODAY }).class;

describe(classify.name, () => {
  it('given sales force automation when quotes arrive then outstanding and historical quotes are dynamic', () => {
    assert.equal(c('quote', ['sales'], { status: 'outstanding' }), 'dynamic');
    assert.equal(c('quote', ['sales'], { status: 'declined' }, '2018-01-01'), 'dynamic');
  });
  it('given sales force automation when worked-out contracts and orders arrive then they are static', () => {
    assert.equal(c('order', ['sales'], { status: 'delivered' }), 'static');
    assert.equal(c('service-contract', ['sales'], { endsOn: '2030-01-01' }), 'static');
  });
  it('given customer care when calls, SLAs and contracts are current or open then they are dynamic', () => {
    assert.equal(c('service-call', ['care'], { status: 'open' }), 'dynamic');
    assert.equal(c('sla', ['care'], { endsOn: '2027-12-31' }), 'dynamic');
    assert.equal(c('service-contract', ['care'], { endsOn: '2027-12-31' }), 'dynamic');
  });
  it('given customer care when quotes are past, calls closed and contracts expired then they are static', () => {
    assert.equal(c('quote', ['care']), 'static');
    assert.equal(c('service-call', ['care'], { status: 'closed' }), 'static');
    assert.equal(c('service-contract', ['care'], { endsOn: '2024-01-31' }), 'static');
    assert.equal(c('sla', ['care'], { endsOn: '2026-11-22' }), 'static');
  });
  it('given loyalty & retention alone when any paper arrives then it is static', () => {
    for (const t of ['quote', 'order', 'service-call', 'sla', 'letter', 'invoice']) assert.equal(c(t, ['loyalty'], { status: 'open' }), 'static', t);
  });
  it('given several scopes when any active scope needs a document dynamic then it is dynamic', () => {
    assert.equal(c('quote', ['care', 'loyalty']), 'static');
    assert.equal(c('quote', ['care', 'loyalty', 'sales']), 'dynamic');
  });
  it('given any scopes when a reply coupon arrives then it is static (kept and linked, per privacy law)', () => {
    assert.equal(c('reply-coupon', ['sales', 'care', 'loyalty']), 'static');
  });
  it('given an SLA when its end date passes then its state moves from current to expired', () => {
    assert.equal(documentState('sla', { endsOn: '2026-11-23' }, null, '2026-11-23'), 'current');
    assert.equal(documentState('sla', { endsOn: '2026-11-23' }, null, '2026-11-24'), 'expired');
  });
  it('given a decision when its trace is read then it names the scope and rule that made it dynamic', () => {
    const r = classify({ type: 'service-call', fields: { status: 'open' }, docDate: null, scopes: ['care'], today: TODAY });
    const step = r.classification.trace.find((s) => s.result === 'dynamic');
    assert.equal(step?.scope, 'care');
    assert.match(step?.evidence ?? '', /open service calls/);
  });
});
