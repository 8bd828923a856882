import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractPdfText } from '../../src/adapters/pdf/pdf-text.js';
import type { DocumentView } from '../../src/domain/document.js';
import { ciiXml, facturXPdf, ublXml } from '../helpers/e-invoices.js';
import { upload, waitFinal, waitIngestIdle } from '../helpers/ingest-helpers.js';
import { labelledLayouts, layoutPdf } from '../helpers/labelled-layouts.js';
import { makeTextPdf } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const enc = (s: string) => new TextEncoder().encode(s);

async function countObjects(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) n += await countObjects(path.join(dir, e.name));
    else n++;
  }
  return n;
}

describe('e-invoices and key points through the pipeline', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    await t.dl.startWorkers();
  });
  after(() => t.close());

  it('given a bare UBL invoice upload when ingested then key points come from the XML, the XML is the original and a readable PDF is the archive', async () => {
    assert.ok((await t.api('PUT', '/api/customers/KL-000123', { as: 'crm', json: { name: 'Bakkerij De Gouden Korst B.V.' } })).ok);
    const res = await upload(t, enc(ublXml()), 'INV-2026-0193.xml');
    assert.equal(res.status, 202, await res.clone().text());
    const doc = await waitFinal(t, ((await res.json()) as DocumentView).id);
    assert.equal(doc.type, 'invoice');
    assert.equal(doc.customerId, 'KL-000123', 'the buyer identifier links the customer');
    assert.ok(doc.classification.trace.some((s) => s.rule === 'detect customer' && s.evidence === 'e-invoice buyer identifier'));
    assert.equal(doc.status, 'ready', doc.error ?? '');
    assert.equal(doc.original?.mime, 'application/xml');
    assert.equal(doc.docDate, '2026-11-12');
    assert.deepEqual(
      [doc.fields.number, doc.fields.total, doc.fields.currency, doc.fields.dueDate, doc.fields.iban, doc.fields.vatNumber, doc.fields.kvk],
      ['INV-2026-0193', 1657.26, 'EUR', '2026-12-12', 'NL91ABNA0417164300', 'NL819205436B01', '30123456'],
    );
    assert.ok(doc.classification.trace.some((s) => s.rule === 'key point total' && /PayableAmount/.test(s.evidence ?? '')));
    const archive = await t.api('GET', `/api/documents/${doc.id}/file?variant=archive`, { as: 'crm' });
    assert.equal(archive.headers.get('content-type'), 'application/pdf');
    const text = (await extractPdfText(new Uint8Array(await archive.arrayBuffer()))).pages[0]!.text;
    assert.match(text, /INV-2026-0193/);
    assert.match(text, /Onderhoud koelinstallatie/);
    const xml = await t.api('GET', `/api/documents/${doc.id}/file?variant=e-invoice`, { as: 'crm' });
    assert.equal(xml.status, 200);
    assert.equal(await xml.text(), ublXml());
  });

  it('given a Factur-X PDF whose page prints another total when ingested then the total is the XML one and the XML is kept by its hash', async () => {
    const pdf = await facturXPdf(ciiXml(), { printedTotal: '9.999,99 EUR' });
    const res = await upload(t, pdf, 'rechnung.pdf');
    assert.equal(res.status, 202);
    const doc = await waitFinal(t, ((await res.json()) as DocumentView).id);
    assert.equal(doc.type, 'invoice');
    assert.equal(doc.fields.total, 1657.26);
    assert.equal(doc.fields.number, 'INV-2026-0193');
    const kept = await t.dl.db.get<{ sha256: string; format: string; name: string }>('SELECT sha256, format, name FROM document_files WHERE document_id = ?', [doc.id]);
    assert.equal(kept?.format, 'cii');
    assert.equal(kept?.name, 'factur-x.xml');
    assert.notEqual(kept?.sha256, doc.original?.sha256);
    assert.equal(await (await t.api('GET', `/api/documents/${doc.id}/file?variant=e-invoice`, { as: 'compliance' })).text(), ciiXml());
    const orphans = (await t.dl.services.objectSweep.unreferenced(0)).map((o) => o.sha256);
    assert.ok(!orphans.includes(kept!.sha256), 'the hourly sweep must not take the kept XML for an orphan');
    const destroyed = await t.api('DELETE', `/api/documents/${doc.id}?reason=test`, { as: 'admin' });
    assert.equal(destroyed.status, 200);
    assert.ok(((await destroyed.json()) as { removedObjects: string[] }).removedObjects.includes(kept!.sha256), 'the kept XML is destroyed with the document');
  });

  it('given XML that is not a UBL invoice, is malformed or declares entities when uploaded then a clear 4xx and nothing is stored', async () => {
    await waitIngestIdle(t);
    const before = await countObjects(path.join(t.dataDir, 'objects'));
    const cases: [string, number, string][] = [
      ['<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><ID>1</ID></Order>', 415, 'unsupported_media_type'],
      [ciiXml(), 415, 'unsupported_media_type'],
      ['<!DOCTYPE html><html><body><p>Factuur<br></body></html>', 415, 'unsupported_media_type'],
      ['<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>1</Invoice>', 400, 'invalid_xml'],
      ['<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><cbc:ID>&b;</cbc:ID></Invoice>', 400, 'invalid_xml'],
    ];
    for (const [xml, status, code] of cases) {
      const res = await upload(t, enc(xml), 'upload.xml');
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(body.error.code, code);
    }
    assert.equal(await countObjects(path.join(t.dataDir, 'objects')), before);
  });

  it('given a born-digital German invoice with labels beside and below their values when ingested then its key points are read by position', async () => {
    const layout = labelledLayouts(4).find((d) => d.lang === 'de' && d.truth.type === 'invoice')!;
    const res = await upload(t, await layoutPdf(layout), 'rechnung-layout.pdf');
    const doc = await waitFinal(t, ((await res.json()) as DocumentView).id);
    assert.equal(doc.type, 'invoice');
    assert.equal(doc.fields.number, layout.truth.number);
    assert.equal(doc.fields.total, layout.truth.total);
    assert.equal(doc.fields.currency, layout.truth.currency);
    assert.equal(doc.fields.iban, layout.truth.iban);
    assert.equal(doc.docDate, layout.truth.docDate);
    assert.ok(doc.classification.trace.some((s) => s.rule === 'key point number' && /\(0\.\d+\)$/.test(s.result ?? '')), 'confidence in the trace');
  });

  it('given an invoice that prints two different invoice numbers when ingested then the number is not guessed but sent to review', async () => {
    const pdf = await makeTextPdf([['FACTUUR', 'Klantnummer: KL-000123', 'Factuurnummer: F-2026-0001', 'Factuurdatum: 3 november 2026', 'Te betalen: EUR 1.250,00', '', 'Factuurnummer: F-2026-0777']]);
    const doc = await waitFinal(t, ((await (await upload(t, pdf, 'twee-nummers.pdf')).json()) as DocumentView).id);
    assert.equal(doc.status, 'needs_review');
    assert.equal(doc.fields.number, undefined);
    assert.match(doc.error ?? '', /number unsure: F-2026-0\d{3}\?/);
    assert.equal(doc.fields.total, 1250);
    const queue = (await (await t.api('GET', '/api/review', { as: 'mailroom' })).json()) as { documents: { id: string; reasons: string[] }[] };
    assert.ok(queue.documents.find((d) => d.id === doc.id)?.reasons.some((r) => r.startsWith('number unsure')));
  });
});
