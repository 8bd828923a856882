import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extractPdfText } from '../../src/adapters/pdf/pdf-text.js';
import type { DocumentView } from '../../src/domain/document.js';
import { upload } from '../helpers/ingest-helpers.js';
import { closing, part, rawPost } from '../helpers/raw-multipart.js';
import { renderScan, toJpeg } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const LONG_WORDS = Array.from({ length: 30 }, (_, i) => `Stichting${i}`).join(' ').slice(0, 300);
const LONG_ONE_WORD = 'Vereniging'.repeat(30);

describe('hostile names', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    for (const [id, name] of [
      ['KL-000801', LONG_WORDS],
      ['KL-000802', LONG_ONE_WORD],
    ]) {
      const res = await t.api('PUT', `/api/customers/${id}`, { as: 'crm', json: { name, address: 'Lange Laan 1', postcode: '1234 AB', city: 'Utrecht' } });
      assert.ok(res.status === 200 || res.status === 201, await res.text());
    }
  });
  after(() => t.close());

  it('given customers with 300-character names in a mailing when its letters are printed then every letter is there, each name shortened with an ellipsis', async () => {
    assert.equal(LONG_WORDS.length, 300);
    const created = await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Lange namen', customerIds: ['KL-000123', 'KL-000801', 'KL-000802'] } });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    const res = await t.api('GET', `/api/mailings/${id}/letters.pdf`, { as: 'mailroom' });
    assert.equal(res.status, 200, await res.clone().text());
    const pdf = await extractPdfText(new Uint8Array(await res.arrayBuffer()));
    assert.equal(pdf.pageCount, 3);
    for (const [pageNo, name] of [
      [2, LONG_WORDS],
      [3, LONG_ONE_WORD],
    ] as const) {
      const text = pdf.pages[pageNo - 1]!.text;
      assert.match(text, /…/, `page ${pageNo} shows the name shortened`);
      assert.ok(text.includes(name.slice(0, 20)), `page ${pageNo} starts the name`);
      assert.ok(!text.includes(name), `page ${pageNo} does not print the whole name`);
    }
  });

  it('given a file name with control and right-to-left override characters and a lying extension when uploaded then the kept name is clean and has the detected type', async () => {
    // RFC 5987 filename*: the way control characters reach a file name past the header parser.
    const jpeg = await toJpeg(renderScan({ dpi: 72, heightIn: 2, lines: ['Brief'] }));
    const encoded = `factuur${encodeURIComponent('\r\n\u0007\u202E')}fdp.exe.pdf`;
    const res = await rawPost(t.url + '/api/documents', {
      token: t.tokens.mailroom,
      body: Buffer.concat([part({ rawHeaders: `Content-Disposition: form-data; name="file"; filename*=UTF-8''${encoded}\r\nContent-Type: application/pdf`, data: jpeg }), closing()]),
    });
    assert.equal(res.status, 202, res.body);
    const d = JSON.parse(res.body) as DocumentView;
    assert.equal(d.original!.name, 'factuurfdp.exe.jpg');
    assert.doesNotMatch(d.title, /[\u0000-\u001f\u202a-\u202e\u2066-\u2069]/);
  });

  it('given a 400-character file name when uploaded then the kept name is at most 255 bytes and ends in the detected extension', async () => {
    const res = await upload(t, await toJpeg(renderScan({ dpi: 72, heightIn: 2, lines: ['Lang'] })), `${'ü'.repeat(400)}.pdf`);
    assert.equal(res.status, 202, await res.clone().text());
    const name = ((await res.json()) as DocumentView).original!.name!;
    assert.ok(Buffer.byteLength(name) <= 255, String(Buffer.byteLength(name)));
    assert.ok(name.endsWith('.jpg'));
  });
});
