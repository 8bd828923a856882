import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReport, runEvaluation } from '../../scripts/evaluate-detection.js';

describe('detection evaluation', () => {
  it('given the labelled set as text when evaluated then every field is read and the table and confusion matrix are printed', async () => {
    const rows = await runEvaluation({ perType: 2, ocr: false });
    assert.equal(rows.length, 16);
    const report = formatReport(rows);
    for (const field of ['type', 'customer', 'number', 'date', 'total']) assert.match(report, new RegExp(`^${field}\\s+100\\.0%$`, 'm'));
    assert.match(report, /wrong customer above the auto-accept threshold \(0\.9\): 0/);
    assert.match(report, /^service-contract\s+\.\s+\.\s+2\s/m);
  });

  it('given a detector that gets a type wrong when reported then the confusion matrix shows it off the diagonal', async () => {
    const rows = await runEvaluation({ perType: 1, ocr: false });
    rows[0].got = { ...rows[0].got, type: { value: 'order', confidence: 0.9, evidence: 'test' } };
    const report = formatReport(rows);
    assert.match(report, /^type\s+87\.5%$/m);
    assert.match(report, /^quote\s+\.\s+1\s/m);
  });
});
