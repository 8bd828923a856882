import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addPeriod, isIsoDate } from '../../src/domain/dates.js';
import { computeRetention } from '../../src/domain/retention.js';

describe(addPeriod.name, () => {
  it('given years, months and days when added then calendar arithmetic holds', () => {
    assert.equal(addPeriod('2026-03-15', 'P7Y'), '2033-03-15');
    assert.equal(addPeriod('2024-01-31', 'P1M'), '2024-02-29');
    assert.equal(addPeriod('2024-02-29', 'P1Y'), '2025-02-28');
    assert.equal(addPeriod('2026-12-20', 'P30D'), '2027-01-19');
    assert.equal(addPeriod('2026-01-01', 'P1Y6M'), '2027-07-01');
  });
  it('given an unsupported period when added then it throws', () => {
    assert.throws(() => addPeriod('2026-01-01', 'PT5H'));
    assert.throws(() => addPeriod('2026-01-01', 'P'));
  });
});

describe(isIsoDate.name, () => {
  it('given impossible dates when checked then they are refused', () => {
    assert.equal(isIsoDate('2026-02-30'), false);
    assert.equal(isIsoDate('2026-2-3'), false);
    assert.equal(isIsoDate('2024-02-29'), true);
  });
});

describe(computeRetention.name, () => {
  const base = { registeredOn: '2026-11-23', fields: {}, customer: null, hold: false };
  it('given an invoice when retention is computed then 7 years from its date under AWR art. 52', () => {
    const r = computeRetention({ ...base, type: 'invoice', docDate: '2026-09-30' });
    assert.equal(r.endsOn, '2033-09-30');
    assert.equal(r.disposition, 'destroy');
    assert.match(r.legalBasis, /AWR art\. 52/);
  });
  it('given a contract when retention is computed then the period starts at the contract end', () => {
    const r = computeRetention({ ...base, type: 'sla', docDate: '2026-01-05', fields: { endsOn: '2027-12-31' } });
    assert.equal(r.startsOn, '2027-12-31');
    assert.equal(r.endsOn, '2032-12-31');
  });
  it('given a letter while the relationship lasts then nothing is due; after it ends the period runs', () => {
    assert.equal(computeRetention({ ...base, type: 'letter', docDate: '2026-01-01' }).endsOn, null);
    const ended = computeRetention({ ...base, type: 'letter', docDate: '2026-01-01', customer: { relationshipEndedOn: '2026-06-30' } });
    assert.equal(ended.endsOn, '2028-06-30');
  });
  it('given a reply coupon when consent is withdrawn then it is kept one more year', () => {
    assert.equal(computeRetention({ ...base, type: 'reply-coupon', docDate: '2026-04-20' }).endsOn, null);
    const r = computeRetention({ ...base, type: 'reply-coupon', docDate: '2026-04-20', customer: { consentWithdrawnOn: '2026-10-01' } });
    assert.equal(r.endsOn, '2027-10-01');
  });
  it('given an unknown type when computed then the fallback schedule applies', () => {
    assert.equal(computeRetention({ ...base, type: 'memo', docDate: null }).disposition, 'review');
  });
});
