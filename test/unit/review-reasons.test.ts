import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseReviewReasons, suggestedType } from '../../src/domain/review-reasons.js';

describe(parseReviewReasons.name, () => {
  it('given the reasons ingest writes when parsed then each becomes a code with its parameters', () => {
    const r = parseReviewReasons('type unsure: service-call? (0.55); customer KL-009999 is not known; poor scan: OCR confidence 41%; looks like a second scan of doc_1');
    assert.deepEqual(r, [
      { code: 'type_unsure', type: 'service-call', confidence: 0.55 },
      { code: 'customer_unknown', customerId: 'KL-009999' },
      { code: 'poor_scan', confidence: 41 },
      { code: 'near_duplicate', documentId: 'doc_1' },
    ]);
    assert.equal(suggestedType(r), 'service-call');
  });

  it('given an unknown sentence or none when parsed then it is kept as other text, and nothing is suggested', () => {
    assert.deepEqual(parseReviewReasons('type not recognised; something new'), [{ code: 'type_not_recognised' }, { code: 'other', text: 'something new' }]);
    assert.deepEqual(parseReviewReasons(null), []);
    assert.equal(suggestedType(parseReviewReasons('no customer number found')), null);
  });
});
