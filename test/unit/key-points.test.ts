import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findAmounts } from '../../src/domain/amounts.js';
import { findIbans, findVatNumbers, ibanChecksumOk, normaliseKvk } from '../../src/domain/business-ids.js';
import { decideKeyPoints } from '../../src/domain/key-point-decision.js';
import { extractKeyPoints, KEY_POINT_ACCEPT } from '../../src/domain/key-points.js';
import { buildLines, layoutFromText, type LayoutPage } from '../../src/domain/layout.js';
import { findDates } from '../../src/domain/written-dates.js';

const kp = (text: string, type: string | null = 'invoice') => extractKeyPoints([layoutFromText(text)], { type }).fields;

describe(findDates.name, () => {
  it('given dates in the written forms of four languages when read then each is the same calendar day', () => {
    for (const s of ['19 april 2014', '19-04-2014', '2014-04-19', 'April 19, 2014', '19. April 2014', '19 avril 2014', '19.04.2014', '19/04/2014', '19th of April, 2014', 'Apr 19 2014', '19 apr. 2014', '19.04.14']) {
      assert.deepEqual(findDates(s).map((d) => d.iso), ['2014-04-19'], s);
    }
    assert.equal(findDates('1er mars 2014')[0]?.iso, '2014-03-01');
    assert.equal(findDates('3. März 2024')[0]?.iso, '2024-03-03');
    assert.equal(findDates('le 3 février 2024')[0]?.iso, '2024-02-03');
  });
  it('given a numeric date whose first number cannot be a day of that month when read then it is month first', () => {
    assert.equal(findDates('04/19/2014')[0]?.iso, '2014-04-19');
    assert.equal(findDates('05/07/2014')[0]?.iso, '2014-07-05');
    assert.equal(findDates('05/07/2014', { monthFirst: true })[0]?.iso, '2014-05-07');
  });
  it('given OCR that blurred the end of a month name when read then the month is still known, but not a made-up day', () => {
    assert.equal(findDates('15 januan 2025')[0]?.iso, '2025-01-15');
    assert.equal(findDates('5 septemtire 2024')[0]?.iso, '2024-09-05');
    assert.equal(findDates('08.01 2021')[0]?.iso, '2021-01-08');
    assert.equal(findDates('1009.2016')[0]?.iso, '2016-09-10');
    assert.deepEqual(findDates('31-02-2014'), []);
    assert.deepEqual(findDates('versie 1.2.3 van 2014'), []);
  });
});

describe(findAmounts.name, () => {
  it('given amounts in Dutch, German, English, French and Swiss notation when read then value and currency are right', () => {
    const cases: [string, number, string | null][] = [
      ['€ 1.234,56', 1234.56, 'EUR'], ['1.234,56 EUR', 1234.56, 'EUR'], ['$1,234.56', 1234.56, 'USD'], ['£ 99.00', 99, 'GBP'],
      ["CHF 1'234.50", 1234.5, 'CHF'], ['1 234,56 €', 1234.56, 'EUR'], ['€ 1.250,-', 1250, 'EUR'], ['-12,50', -12.5, null], ['EUR 1234567.89', 1234567.89, 'EUR'],
    ];
    for (const [s, value, currency] of cases) assert.deepEqual(findAmounts(s).map((a) => [a.value, a.currency]), [[value, currency]], s);
  });
  it('given percentages, quantities and dates when read then they are not money', () => {
    assert.deepEqual(findAmounts('Btw 21%   aantal 3   19.04.2014'), []);
  });
});

describe('business identifiers', () => {
  it('given IBANs printed in groups when read then valid ones are found and a wrong check digit is refused', () => {
    assert.ok(ibanChecksumOk('NL91ABNA0417164300'));
    assert.deepEqual(findIbans('IBAN: NL91 ABNA 0417 1643 00').map((i) => i.iban), ['NL91ABNA0417164300']);
    assert.deepEqual(findIbans('IBAN: NL91 ABNA 0417 1643 01'), []);
    assert.deepEqual(findIbans('DE89 3704 0044 0532 0130 00').map((i) => i.iban), ['DE89370400440532013000']);
  });
  it('given OCR confusions in positions that must be digits when read then the IBAN is repaired only if the check then fits', () => {
    const [r] = findIbans('IBAN NL91 ABNA O417 1643 OO');
    assert.equal(r?.iban, 'NL91ABNA0417164300');
    assert.equal(r?.repaired, true);
    assert.equal(findIbans('IBAN NL91 ABNA 0417 16?3 00')[0]?.iban, 'NL91ABNA0417164300');
  });
  it('given VAT numbers of several countries when read then they are compact and checked where a check is known', () => {
    assert.deepEqual(findVatNumbers('BTW NL 8192.05.436.B01 USt-IdNr. DE136695976').map((v) => [v.vat, v.checked]), [['NL819205436B01', true], ['DE136695976', true]]);
    assert.equal(findVatNumbers('DE136695977')[0]?.checked, false);
  });
  it('given a KvK number with spaces when read then it is eight digits', () => {
    assert.equal(normaliseKvk(' 3012 3456'), '30123456');
    assert.equal(normaliseKvk('3012345'), null);
  });
});

describe(extractKeyPoints.name, () => {
  it('given the labels of a real Dutch invoice when read then every key point is found beside its label', () => {
    const f = kp('Factuurnummer 993548900\nFactuurdatum: 19 april 2014\nOrdernummer: PO-7781\nKlantnummer: 4471\n\nTotaal te betalen € 1.234,56\nTe betalen vóór 19-05-2014\nKvK 30123456  BTW NL819205436B01  IBAN NL91 ABNA 0417 1643 00');
    assert.equal(f.number?.value, '993548900');
    assert.equal(f.docDate?.value, '2014-04-19');
    assert.equal(f.total?.value, 1234.56);
    assert.equal(f.total?.currency, 'EUR');
    assert.equal(f.dueDate?.value, '2014-05-19');
    assert.equal(f.customerNumber?.value, '4471');
    assert.equal(f.kvk?.value, '30123456');
    assert.equal(f.vatNumber?.value, 'NL819205436B01');
    assert.equal(f.iban?.value, 'NL91ABNA0417164300');
    for (const k of Object.values(f)) assert.ok(k.confidence >= KEY_POINT_ACCEPT, k.evidence);
  });
  it('given labels above their values in a header table when read then each value is taken from the cell below', () => {
    const f = kp('INVOICE\nInvoice number    Invoice date     Customer no\nINV-0042          April 19, 2014   C-99\n\nTotal due  $1,234.56');
    assert.equal(f.number?.value, 'INV-0042');
    assert.equal(f.docDate?.value, '2014-04-19');
    assert.equal(f.customerNumber?.value, 'C-99');
    assert.deepEqual([f.total?.value, f.total?.currency], [1234.56, 'USD']);
  });
  it('given German and French invoices when read then their labels are understood', () => {
    const de = kp('Rechnung\nRechnungsnummer: 2014-118\nRechnungsdatum: 19. April 2014\nGesamtbetrag: 1.234,56 EUR\nUSt-IdNr.: DE136695976');
    assert.deepEqual([de.number?.value, de.docDate?.value, de.total?.value, de.vatNumber?.value], ['2014-118', '2014-04-19', 1234.56, 'DE136695976']);
    const fr = kp('FACTURE N° FA-2014-07\nDate de facture : 19 avril 2014\nNet à payer : 1 234,56 €');
    assert.deepEqual([fr.number?.value, fr.docDate?.value, fr.total?.value], ['FA-2014-07', '2014-04-19', 1234.56]);
  });
  it('given a line-item table with a total column and a payable total when read then the payable total wins', () => {
    const f = kp('Omschrijving     Aantal     Totaal\nBrood     2     € 3,00\nKoek     1     € 4,50\n\nSubtotaal     € 7,50\nBtw 9%     € 0,68\nTotaal te betalen     € 8,18');
    assert.equal(f.total?.value, 8.18);
  });
  it('given a totals row with the VAT rate between label and amount when read then the amount is the total', () => {
    assert.equal(kp('Totaal incl. btw     21%     € 1.234,56').total?.value, 1234.56);
  });
  it('given a total whose cents a scan lost when read then it is unsure, while a round amount written with ,- is sure', () => {
    assert.ok(kp('Te betalen: EUR 1.010').total!.confidence < KEY_POINT_ACCEPT);
    assert.ok(kp('Te betalen: € 1.250,-').total!.confidence >= KEY_POINT_ACCEPT);
  });
  it('given an order number on an invoice when read then the invoice number is the document number', () => {
    assert.equal(kp('Ordernummer: PO-7781\nFactuurnummer: F-2014-001')?.number?.value, 'F-2014-001');
  });
  it('given two totals that disagree, the larger under a weaker label, when read then the total is unsure', () => {
    const f = kp('Te betalen     € 100,00\n\nTotaal     € 250,00', 'invoice');
    assert.ok(f.total && f.total.confidence < KEY_POINT_ACCEPT, JSON.stringify(f.total));
  });
  it('given two different invoice numbers under equal labels when read then the number is unsure', () => {
    const f = kp('Factuurnummer: A-2014-1\n\nFactuurnummer: B-2014-2', 'invoice');
    assert.ok(f.number && f.number.confidence < KEY_POINT_ACCEPT, JSON.stringify(f.number));
  });
  it('given a second page that repeats the header with another number when read then the first page decides', () => {
    const f = extractKeyPoints([layoutFromText('Factuur F-2026-01\nKlantnummer: KL-000123', 1), layoutFromText('Factuur F-2026-02\nVervolg', 2)], { type: 'invoice' }).fields;
    assert.equal(f.number?.value, 'F-2026-01');
    assert.ok(f.number!.confidence >= KEY_POINT_ACCEPT);
  });
  it('given a letter with only a place and date when read then that date is the document date', () => {
    assert.equal(kp('Amsterdam, 19 april 2014\nGeachte heer,', 'letter').docDate?.value, '2014-04-19');
  });
});

describe(buildLines.name, () => {
  it('given words of a skewed scan with a wide gap between label and value when grouped then they share a line in two segments', () => {
    const page: LayoutPage = { pageNo: 1, width: 2000, height: 1000, words: [
      { text: 'Factuurnummer', x0: 100, y0: 100, x1: 400, y1: 125 },
      { text: '993548900', x0: 1000, y0: 118, x1: 1200, y1: 143 },
      { text: 'Datum', x0: 100, y0: 160, x1: 220, y1: 185 },
    ] };
    const lines = buildLines(page);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0]!.segments.map((s) => s.text), ['Factuurnummer', '993548900']);
  });
});

describe(decideKeyPoints.name, () => {
  it('given a sure and an unsure key point when decided then the sure one fills its field, the unsure one goes to review', () => {
    const d = decideKeyPoints({
      found: { fields: { number: { value: 'F-1', confidence: 0.95, evidence: 'x' }, total: { value: 12.5, confidence: 0.5, evidence: 'y', currency: 'EUR' } }, currency: null, language: 'nl' },
      fields: {},
      docDate: null,
    });
    assert.equal(d.fields.number, 'F-1');
    assert.equal(d.fields.total, undefined);
    assert.deepEqual(d.problems, ['total unsure: 12.5? (0.5)']);
    assert.ok(d.trace.some((s) => s.rule === 'key point total' && /unsure/.test(s.result ?? '')));
  });
  it('given a field a person entered when decided then it is never overwritten', () => {
    const d = decideKeyPoints({ found: { fields: { number: { value: 'F-1', confidence: 0.95, evidence: 'x' } }, currency: null, language: null }, fields: { number: 'MINE' }, docDate: '2020-01-01' });
    assert.equal(d.fields.number, 'MINE');
    assert.equal(d.docDate, '2020-01-01');
  });
});

describe('dates without a label', () => {
  it('given a letter dated by place whose text mentions another date when read then the place date is the document date', () => {
    const f = kp('Amsterdam, 19 april 2014\nGeachte heer,\nIn uw brief van 3 maart 2014 vroeg u om informatie.', 'letter');
    assert.equal(f.docDate?.value, '2014-04-19');
    assert.ok(f.docDate!.confidence >= KEY_POINT_ACCEPT);
  });
  it('given a date only inside a sentence when read then it is not taken for the document date', () => {
    assert.equal(kp('Servicemelding SM-88213\nPrioriteit: hoog. Monteur ingepland op 14 november 2026.', 'service-call').docDate, undefined);
  });
  it('given two dates and nothing saying which is the document date when read then the date is unsure', () => {
    const f = kp('Levering 3 maart 2014\nOntvangen 19 april 2014', 'letter');
    assert.ok(f.docDate && f.docDate.confidence < KEY_POINT_ACCEPT, JSON.stringify(f.docDate));
  });
});
