// postgres-pass: skip (the detectors over OCR, no database)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReport, runEvaluation } from '../../scripts/evaluate-detection.js';
import { formatLayoutReport, layoutMisses, runLayoutEvaluation, scoreField } from '../../scripts/evaluate-layouts.js';
import { createTesseractOcrEngine } from '../../src/adapters/ocr/tesseract-ocr.engine.js';
import { labelledLayouts } from '../helpers/labelled-layouts.js';

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

describe('key points on real-looking layouts', () => {
  it('given born-digital layouts in four languages when read through the PDF text layer then number, date and total are at least 90% right', async () => {
    const rows = await runLayoutEvaluation({ perLanguage: 8, variants: ['born-digital'] });
    assert.equal(rows.length, 32);
    for (const field of ['number', 'date', 'total']) {
      const s = scoreField(rows, field);
      assert.ok(s.right / s.of >= 0.9, `${field}: ${s.right}/${s.of}\n${layoutMisses(rows, [field]).join('\n')}`);
    }
    assert.match(formatLayoutReport(rows), /^number\s+\d+%\s+\d+%\s+\d+%\s+\d+%\s+\d+%/m);
  });

  it('given degraded scans of the layouts when read through the real OCR then number, date and total are at least 80% right', async () => {
    const ocr = createTesseractOcrEngine({});
    try {
      // One invoice per language, in a different template each: the CI-sized subset of `npm run eval`.
      const docs = labelledLayouts(2).filter((d) => d.truth.type === 'invoice');
      const rows = await runLayoutEvaluation({ perLanguage: 0, docs, variants: ['degraded'], ocr });
      for (const field of ['number', 'date', 'total']) {
        const s = scoreField(rows, field);
        assert.ok(s.of >= 4 && s.right / s.of >= 0.8, `${field}: ${s.right}/${s.of}\n${layoutMisses(rows, [field]).join('\n')}`);
      }
    } finally {
      await ocr.terminate();
    }
  });

  it('given a reading that is wrong when scored then it counts as wrong, not as right', async () => {
    const rows = await runLayoutEvaluation({ perLanguage: 1, variants: ['born-digital'] });
    rows[0]!.found.fields.number = { value: 'NOT-IT', confidence: 0.99, evidence: 'test' };
    const s = scoreField(rows, 'number');
    assert.equal(s.wrong, 1);
    assert.equal(s.right, s.of - 1);
  });
});
