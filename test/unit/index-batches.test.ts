import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexBatches } from '../../src/db/search-index.js';

const doc = (id: string, chars = 10) => ({ id, title: `T ${id}`, text: 'x'.repeat(chars) });

describe(indexBatches.name, () => {
  it('given 2,500 short documents when batched then 1,000, 1,000 and 500 in order', () => {
    const batches = indexBatches(Array.from({ length: 2500 }, (_, i) => doc(`d${i}`)));
    assert.deepEqual(batches.map((b) => b.length), [1000, 1000, 500]);
    assert.equal(batches[1]![0]!.id, 'd1000');
  });

  it('given long documents when batched then a batch stays near 8 MB of text, and one longer document is a batch of its own', () => {
    const batches = indexBatches([doc('a', 3_000_000), doc('b', 3_000_000), doc('c', 3_000_000), doc('huge', 20_000_000), doc('d')]);
    assert.deepEqual(batches.map((b) => b.map((d) => d.id)), [['a', 'b'], ['c'], ['huge'], ['d']]);
  });

  it('given a document twice when batched then it is indexed once, with its last text', () => {
    const batches = indexBatches([doc('a', 1), doc('b'), { ...doc('a'), text: 'last' }]);
    assert.deepEqual(batches.flat().map((d) => [d.id, d.text]), [['a', 'last'], ['b', 'xxxxxxxxxx']]);
  });

  it('given nothing when batched then no batch', () => {
    assert.deepEqual(indexBatches([]), []);
  });
});
