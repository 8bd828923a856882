import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detect, parseAmount, parseWrittenDate } from '../../src/domain/detection.js';

const KL = /KL-\d{6}/;

describe(detect.name, () => {
  it('given a Dutch quote when detected then type, customer, number, date and total are read', () => {
    const d = detect(
      'Bakkerij De Gouden Korst B.V.\nKlantnummer: KL-000123\n\nOFFERTE OF-2026-0412\nDatum: 2 oktober 2026\nTotaal excl. btw: EUR 4.850,00\nGeldig tot: 31 december 2026',
      KL,
    );
    assert.equal(d.type?.value, 'quote');
    assert.ok(d.type!.confidence >= 0.8, String(d.type!.confidence));
    assert.equal(d.customerNumber?.value, 'KL-000123');
    assert.ok(d.customerNumber!.confidence > 0.9, 'd.customerNumber!.confidence > 0.9');
    assert.equal(d.number?.value, 'OF-2026-0412');
    assert.equal(d.docDate?.value, '2026-10-02');
    assert.equal(d.total?.value, 4850);
    assert.equal(d.endsOn?.value, '2026-12-31');
  });
  it('given an English invoice when detected then it is an invoice', () => {
    const d = detect('INVOICE INV-2026-77\nCustomer number: KL-000124\nInvoice date: 3/11/2026\nAmount due: EUR 1,212.50', KL);
    assert.equal(d.type?.value, 'invoice');
    assert.equal(d.customerNumber?.value, 'KL-000124');
    assert.equal(d.total?.value, 1212.5);
  });
  it('given OCR that read the hyphen as an en dash when detected then the customer is still found', () => {
    assert.equal(detect('Klantnummer: KL–000125', KL).customerNumber?.value, 'KL-000125');
  });
  it('given two different bare customer numbers when detected then confidence is low', () => {
    const d = detect('KL-000123 en KL-000999', KL);
    assert.ok(d.customerNumber!.confidence < 0.6, 'd.customerNumber!.confidence < 0.6');
  });
  it('given a long document when detected then a word counts at most three times and only the first eight lines are titles', () => {
    const quoteWords = 'offerte offerte offerte';
    const invoiceWords = Array(200).fill('factuur').join(' ');
    // Two hundred "factuur" weigh as three; a title on the ninth non-empty line is no title.
    const base = detect(`Geachte heer,\n${quoteWords}\n${'factuur '.repeat(3)}`, KL);
    const long = detect(`Geachte heer,\n${quoteWords}\n${invoiceWords}\n${Array(200).fill('regel tekst').join('\n')}`, KL);
    assert.deepEqual(long.type, base.type);
    const late = detect(`${Array.from({ length: 8 }, (_, i) => `regel ${i}`).join('\n\n')}\nFACTUUR\nKlantnummer: KL-000123`, KL);
    const early = detect(`FACTUUR\n${Array.from({ length: 8 }, (_, i) => `regel ${i}`).join('\n\n')}\nKlantnummer: KL-000123`, KL);
    assert.ok(!/title/.test(late.type?.evidence ?? ''), late.type?.evidence);
    assert.match(early.type?.evidence ?? '', /title/);
    assert.equal(late.customerNumber?.value, 'KL-000123');
  });
  it('given text with no clues when detected then nothing is claimed', () => {
    const d = detect('lorem ipsum dolor', KL);
    assert.equal(d.type, null);
    assert.equal(d.customerNumber, null);
  });
});

describe(parseWrittenDate.name, () => {
  it('given Dutch, English and numeric dates when parsed then they are ISO, day first', () => {
    assert.equal(parseWrittenDate('2 oktober 2026'), '2026-10-02');
    assert.equal(parseWrittenDate('14 March 2026'), '2026-03-14');
    assert.equal(parseWrittenDate('03-11-2026'), '2026-11-03');
    assert.equal(parseWrittenDate('31-02-2026'), null);
  });
});

describe(parseAmount.name, () => {
  it('given Dutch and English amounts when parsed then both are numbers', () => {
    assert.equal(parseAmount('4.850,00'), 4850);
    assert.equal(parseAmount('1,212.50'), 1212.5);
  });
});

describe('customer number tolerance', () => {
  it('given OCR that dropped the colon and the hyphen when detected then the customer is still found', () => {
    assert.equal(detect('Klantnummer KL 000124', KL).customerNumber?.value, 'KL-000124');
    assert.equal(detect('klantnummer: kl000124', KL).customerNumber?.value, 'KL-000124');
  });
  it('given a number that only looks like one when detected then it is not taken', () => {
    assert.equal(detect('Klantnummer: KL-00012', KL).customerNumber, null);
  });
});

describe('poor scans', () => {
  it('given OCR noise around dates and numbers when detected then they are still read', () => {
    const d = detect('Klantnummer, kt 000126\n‘Datum: 16j Januari 2025\nOFFERTE OF- 2025. 3901', KL);
    assert.equal(d.customerNumber?.value, 'KL-000126');
    assert.ok(d.customerNumber!.confidence < 0.9, 'a guessed prefix is not auto-accepted on its own');
    assert.equal(d.docDate?.value, '2025-01-16');
    assert.equal(d.number?.value, 'OF-2025-3901');
    assert.equal(detect('Datum: 24 maar 2026', KL).docDate?.value, '2026-03-24');
  });
});
