import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveEnd, erasureException, erasureVerdict, executionStep, isComplete, mediumOf, retentionEnded, type ItemState } from '../../src/domain/disposal.js';

describe(mediumOf.name, () => {
  it('given a document with a barcode when asked then it is paper, else digital', () => {
    assert.equal(mediumOf({ barcode: 'D0000000016' }), 'paper');
    assert.equal(mediumOf({ barcode: null }), 'digital');
  });
});

describe(effectiveEnd.name, () => {
  it('given an extension after the schedule end when combined then the later date counts; an open trigger stays open', () => {
    assert.equal(effectiveEnd('2033-09-30', '2035-01-01'), '2035-01-01');
    assert.equal(effectiveEnd('2033-09-30', '2030-01-01'), '2033-09-30');
    assert.equal(effectiveEnd('2033-09-30', null), '2033-09-30');
    assert.equal(effectiveEnd(null, '2035-01-01'), null);
  });
});

describe(retentionEnded.name, () => {
  it('given the end date when compared with today then it has ended on that day, not before', () => {
    assert.equal(retentionEnded('2033-09-30', '2033-09-29'), false);
    assert.equal(retentionEnded('2033-09-30', '2033-09-30'), true);
    assert.equal(retentionEnded(null, '2099-01-01'), false);
  });
});

describe(executionStep.name, () => {
  const item = (p: Partial<ItemState> = {}): ItemState => ({ medium: 'digital', disposition: 'destroy', decision: null, status: 'pending', ...p });
  const ctx = { kind: 'retention' as const, held: false, ended: true };
  it('given a pending digital item whose retention ended when executed then it is destroyed', () => {
    assert.equal(executionStep(item(), ctx), 'destroy');
  });
  it('given paper when executed then it waits for its barcode to be scanned as shredded', () => {
    assert.equal(executionStep(item({ medium: 'paper' }), ctx), 'await-shred');
  });
  it('given a hold placed after approval when executed then the item is skipped whatever was approved', () => {
    assert.equal(executionStep(item(), { ...ctx, held: true }), 'skip-held');
    assert.equal(executionStep(item({ disposition: 'review', decision: 'extend' }), { ...ctx, held: true }), 'skip-held');
  });
  it('given retention not ended when a retention disposal executes then the item waits; an erasure does not wait', () => {
    assert.equal(executionStep(item(), { ...ctx, ended: false }), 'wait');
    assert.equal(executionStep(item(), { kind: 'erasure', held: false, ended: false }), 'destroy');
  });
  it('given review decisions and transfers when executed then extend, destroy or await the hand-over', () => {
    assert.equal(executionStep(item({ disposition: 'review', decision: 'extend' }), ctx), 'extend');
    assert.equal(executionStep(item({ disposition: 'review', decision: 'destroy', medium: 'paper' }), ctx), 'await-shred');
    assert.equal(executionStep(item({ disposition: 'transfer' }), ctx), 'await-transfer');
  });
  it('given an item that is done when executed again then nothing happens', () => {
    assert.equal(executionStep(item({ status: 'destroyed' }), ctx), 'none');
  });
});

describe(isComplete.name, () => {
  it('given items when any is pending then the disposal is not complete', () => {
    assert.equal(isComplete(['destroyed', 'skipped', 'extended']), true);
    assert.equal(isComplete(['destroyed', 'pending']), false);
    assert.equal(isComplete([]), true);
  });
});

describe(erasureVerdict.name, () => {
  const today = '2026-11-23';
  it('given an invoice within its 7 years when erasure is asked then it is kept until the end under art. 17(3)(b)', () => {
    const v = erasureVerdict({ type: 'invoice', endsOn: '2033-09-30', trigger: 'document-date', period: 'P7Y', holds: [] }, today);
    assert.equal(v.action, 'keep');
    assert.ok(v.action === 'keep' && v.until === '2033-09-30' && /17\(3\)\(b\)/.test(v.basis) && /AWR art\. 52/.test(v.basis));
  });
  it('given an invoice past its period when erasure is asked then it is removed', () => {
    assert.equal(erasureVerdict({ type: 'invoice', endsOn: '2025-01-01', trigger: 'document-date', period: 'P7Y', holds: [] }, today).action, 'remove');
  });
  it('given a letter (legitimate interest) when erasure is asked then it is removed: no obligation applies', () => {
    assert.equal(erasureException('letter'), null);
    const v = erasureVerdict({ type: 'letter', endsOn: null, trigger: 'relationship-end', period: 'P2Y', holds: [] }, today);
    assert.deepEqual(v, { action: 'remove', why: 'no legal obligation to keep it applies', reason: { code: 'no_obligation' } });
  });
  it('given any document under a legal hold when erasure is asked then it is kept until the hold is released', () => {
    const v = erasureVerdict({ type: 'letter', endsOn: null, trigger: 'relationship-end', period: 'P2Y', holds: [{ id: 'hold_1', reason: 'dispute' }] }, today);
    assert.ok(v.action === 'keep' && v.until === null && /17\(3\)\(e\)/.test(v.basis) && /hold_1/.test(v.why));
  });
  it('given a reply coupon while consent stands when erasure is asked then it is kept and the reason names the trigger', () => {
    const v = erasureVerdict({ type: 'reply-coupon', endsOn: null, trigger: 'consent-withdrawn', period: 'P1Y', holds: [] }, today);
    assert.ok(v.action === 'keep' && v.until === null && /consent withdrawn/.test(v.why));
  });
});
