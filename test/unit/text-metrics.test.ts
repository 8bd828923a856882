import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeCer, levenshtein, normalizeWhitespace } from '../../src/domain/text-metrics.js';

describe(computeCer.name, () => {
  it('given identical text when compared then the error rate is 0', () => {
    assert.equal(computeCer('Klantnummer: KL-000123', 'Klantnummer: KL-000123'), 0);
  });
  it('given different line breaks and spacing when compared then whitespace does not count', () => {
    assert.equal(computeCer('Offerte\nfinanciële  administratie', ' Offerte financiële\tadministratie\n'), 0);
  });
  it('given one wrong character in 22 when compared then the rate is 1/22', () => {
    assert.equal(computeCer('Klantnummer: KL-000123', 'Klantnummer: KL-0O0123'), 1 / 22);
  });
  it('given a decomposed diacritic when compared then it equals the composed one', () => {
    assert.equal(computeCer('financiële', 'financie\u0308le'), 0);
  });
  it('given nothing recognised when compared then the rate is 1', () => {
    assert.equal(computeCer('Offerte', ''), 1);
  });
  it('given an empty expectation when compared then only empty text scores 0', () => {
    assert.equal(computeCer('', '  '), 0);
    assert.equal(computeCer('', 'x'), 1);
  });
});

describe(levenshtein.name, () => {
  it('given kitten and sitting when measured then the distance is 3', () => {
    assert.equal(levenshtein([...'kitten'], [...'sitting']), 3);
  });
  it('given an empty side when measured then the distance is the other length', () => {
    assert.equal(levenshtein([], [...'abc']), 3);
    assert.equal(levenshtein([...'abc'], []), 3);
  });
});

describe(normalizeWhitespace.name, () => {
  it('given tabs, newlines and runs of spaces when normalised then single spaces remain', () => {
    assert.equal(normalizeWhitespace('  a\t\tb\n\nc  '), 'a b c');
  });
});
