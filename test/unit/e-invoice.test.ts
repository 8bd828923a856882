import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pdfAttachments } from '../../src/adapters/pdf/pdf-attachments.js';
import { eInvoiceKeyPoints } from '../../src/domain/e-invoice-key-points.js';
import { EInvoiceError, MAX_E_INVOICE_XML_BYTES, parseEInvoice } from '../../src/domain/e-invoice.js';
import { ciiXml, facturXPdf, SAMPLE_INVOICE, ublXml } from '../helpers/e-invoices.js';

const enc = (s: string) => new TextEncoder().encode(s);
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof EInvoiceError ? e.code : `unexpected ${String(e)}`;
  }
  return 'no error';
};

describe(parseEInvoice.name, () => {
  it('given a Peppol BIS 3 UBL invoice when parsed then every key point is taken from its elements exactly', () => {
    const inv = parseEInvoice(enc(ublXml()));
    assert.equal(inv.format, 'ubl-invoice');
    assert.deepEqual(
      [inv.number, inv.issueDate, inv.dueDate, inv.currency, inv.total, inv.tax, inv.seller.vatNumber, inv.seller.kvk, inv.iban, inv.buyer.id],
      [SAMPLE_INVOICE.number, '2026-11-12', '2026-12-12', 'EUR', 1657.26, 287.62, 'NL819205436B01', '30123456', 'NL91ABNA0417164300', 'KL-000123'],
    );
    assert.equal(inv.lines.length, 2);
    assert.deepEqual(inv.lines[0], { description: 'Onderhoud koelinstallatie', quantity: 2, unitPrice: 412.5, amount: 825 });
  });
  it('given an SI-UBL credit note when parsed then it is a credit note with its due date from the payment means', () => {
    const inv = parseEInvoice(enc(ublXml(SAMPLE_INVOICE, { creditNote: true })));
    assert.equal(inv.format, 'ubl-credit-note');
    assert.equal(inv.dueDate, '2026-12-12');
    assert.equal(inv.lines[1]?.quantity, 4);
  });
  it('given a Cross Industry Invoice when parsed then dates in format 102 become ISO dates and the payable amount is the total', () => {
    const inv = parseEInvoice(enc(ciiXml()));
    assert.deepEqual([inv.format, inv.number, inv.issueDate, inv.dueDate, inv.total, inv.seller.vatNumber, inv.seller.kvk, inv.iban], ['cii', SAMPLE_INVOICE.number, '2026-11-12', '2026-12-12', 1657.26, 'NL819205436B01', '30123456', 'NL91ABNA0417164300']);
  });
  it('given XML with entities (billion laughs) or an external entity when parsed then it is refused before parsing', () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>';
    const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&xxe;</ID></Invoice>';
    assert.equal(code(() => parseEInvoice(enc(laughs))), 'xml_doctype');
    assert.equal(code(() => parseEInvoice(enc(xxe))), 'xml_doctype');
  });
  it('given other XML, broken XML, an oversized file or an invoice without a number when parsed then each is refused with its reason', () => {
    assert.equal(code(() => parseEInvoice(enc('<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><ID>1</ID></Order>'))), 'not_an_e_invoice');
    assert.equal(code(() => parseEInvoice(enc('<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>1</Invoice>'))), 'xml_malformed');
    assert.equal(code(() => parseEInvoice(new Uint8Array(MAX_E_INVOICE_XML_BYTES + 1))), 'xml_too_large');
    assert.equal(code(() => parseEInvoice(enc(ublXml({ ...SAMPLE_INVOICE, number: '' })))), 'e_invoice_incomplete');
  });
});

describe(eInvoiceKeyPoints.name, () => {
  it('given a parsed e-invoice when turned into key points then each is certain and names the element it came from', () => {
    const kp = eInvoiceKeyPoints(parseEInvoice(enc(ublXml())));
    assert.equal(kp.fields.total?.value, 1657.26);
    assert.equal(kp.fields.total?.currency, 'EUR');
    assert.ok(Object.values(kp.fields).every((f) => f.confidence === 1));
    assert.match(kp.fields.total!.evidence, /PayableAmount/);
  });
});

describe(pdfAttachments.name, () => {
  it('given a Factur-X PDF when its attachments are read then the CII XML comes back byte for byte', async () => {
    const xml = ciiXml();
    const files = await pdfAttachments(await facturXPdf(xml), MAX_E_INVOICE_XML_BYTES);
    assert.equal(files.length, 1);
    assert.equal(files[0]!.name, 'factur-x.xml');
    assert.equal(new TextDecoder().decode(files[0]!.bytes), xml);
  });
});
