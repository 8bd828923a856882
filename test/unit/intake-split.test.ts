import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coverCode, parseCoverCode, splitStack, type IntakePage } from '../../src/domain/intake-split.js';

const plain = (pageNo: number): IntakePage => ({ pageNo, kind: 'plain' });
const sheet = (pageNo: number, customerId: string | null = null, type: string | null = null): IntakePage => ({ pageNo, kind: 'sheet', code: `S${pageNo}`, customerId, type });
const paper = (pageNo: number, documentId = 'doc_p'): IntakePage => ({ pageNo, kind: 'paper', code: `D-${documentId}`, documentId });
const coupon = (pageNo: number): IntakePage => ({ pageNo, kind: 'coupon', code: `M${pageNo}` });
const shape = (pages: IntakePage[]) => splitStack(pages).map((p) => [p.kind, p.pages, 'customerId' in p ? p.customerId : 'documentId' in p ? p.documentId : p.code]);

describe(splitStack.name, () => {
  it('given pages without codes when split then they stay one document', () => {
    assert.deepEqual(shape([plain(1), plain(2)]), [['document', [1, 2], null]]);
  });

  it('given cover sheets when split then each opens a document with its customer and the sheets are dropped', () => {
    assert.deepEqual(shape([sheet(1, 'KL-1', 'invoice'), plain(2), plain(3), sheet(4, 'KL-2'), plain(5)]), [
      ['document', [2, 3], 'KL-1'],
      ['document', [5], 'KL-2'],
    ]);
    assert.equal((splitStack([sheet(1, 'KL-1', 'invoice'), plain(2)])[0] as { type: string }).type, 'invoice');
  });

  it('given pages before the first sheet when split then they are a document without assignment', () => {
    assert.deepEqual(shape([plain(1), sheet(2, 'KL-1'), plain(3)]), [
      ['document', [1], null],
      ['document', [3], 'KL-1'],
    ]);
  });

  it('given sheets with nothing between them when split then no empty document is made', () => {
    assert.deepEqual(shape([sheet(1), sheet(2), plain(3), sheet(4)]), [['document', [3], null]]);
  });

  it('given a coupon among pages when split then it is a part of its own and the pages after it start a new document with the same cover', () => {
    assert.deepEqual(shape([sheet(1, 'KL-1'), plain(2), coupon(3), plain(4)]), [
      ['document', [2], 'KL-1'],
      ['coupon', [3], 'M3'],
      ['document', [4], 'KL-1'],
    ]);
  });

  it('given a labelled page without sheets when split then it starts the paper part and the next pages join it', () => {
    assert.deepEqual(shape([plain(1), paper(2), plain(3), paper(4, 'doc_q'), paper(5, 'doc_q')]), [
      ['document', [1], null],
      ['paper', [2, 3], 'doc_p'],
      ['paper', [4, 5], 'doc_q'],
    ]);
  });

  it('given a label on a later page of a document opened by a sheet when split then the whole document is that paper', () => {
    assert.deepEqual(shape([sheet(1), plain(2), paper(3), plain(4), sheet(5), plain(6)]), [
      ['paper', [2, 3, 4], 'doc_p'],
      ['document', [6], null],
    ]);
  });
});

describe(parseCoverCode.name, () => {
  it('given a cover code when parsed then customer and type come back, empty ones as null', () => {
    assert.deepEqual(parseCoverCode(coverCode({ customerId: 'KL-000123', type: 'invoice' })), { customerId: 'KL-000123', type: 'invoice' });
    assert.deepEqual(parseCoverCode(coverCode({ type: 'order' })), { customerId: null, type: 'order' });
  });

  it('given other codes or tampered text when parsed then null', () => {
    for (const text of ['S0000000015', 'DLCOVER|KL 1|invoice', 'DLCOVER|KL-1|Invoice|x', 'xDLCOVER|KL-1|invoice']) assert.equal(parseCoverCode(text), null, text);
  });
});
