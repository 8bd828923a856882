import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { BOUNDARY, closing, part, rawPost } from '../helpers/raw-multipart.js';

const ROUTES = ['/api/documents', '/api/documents/doc_00000000000000000000000000/digitise', '/api/coupons/batches', '/api/imports/customers'];

/** Bodies no well-behaved client sends; each must be a 400 malformed_multipart, never a 500. */
const CASES: [string, { body: Buffer; contentType?: string }][] = [
  ['CR/LF in the file name', { body: Buffer.concat([part({ filename: 'scan\r\nevil.pdf' }), closing()]) }],
  ['NUL in the file name', { body: Buffer.concat([part({ filename: 'scan\0.pdf' }), closing()]) }],
  ['a 60 KB file name', { body: Buffer.concat([part({ filename: `${'a'.repeat(60_000)}.pdf` }), closing()]) }],
  ['no boundary in the content type', { body: Buffer.concat([part({ filename: 'scan.pdf' }), closing()]), contentType: 'multipart/form-data' }],
  ['a body cut off in the middle', { body: Buffer.concat([part({ filename: 'scan.pdf', data: '%PDF-1.4\n'.repeat(50) })]).subarray(0, 200) }],
  ['a body that is not multipart at all', { body: Buffer.from('hello, world') }],
  ['a part header without a colon', { body: Buffer.concat([part({ rawHeaders: 'Content-Disposition form-data' }), closing()]) }],
  ['a different boundary in the body', { body: Buffer.from(`--other\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF\r\n--other--\r\n`) }],
];

describe('malformed multipart', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ demo: false });
  });
  after(() => t.close());

  for (const [name, c] of CASES) {
    it(`given ${name} when posted to every upload route then 400 malformed_multipart and no temp file is left`, async () => {
      for (const route of ROUTES) {
        const res = await rawPost(t.url + route, { token: t.tokens.admin, body: c.body, contentType: c.contentType ?? `multipart/form-data; boundary=${BOUNDARY}` });
        assert.equal(res.status, 400, `${route}: ${res.body.slice(0, 200)}`);
        const body = JSON.parse(res.body) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'malformed_multipart', route);
        assert.doesNotMatch(body.error.message, /node_modules|at .*\.js:\d+/);
      }
      const docs = await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM documents');
      assert.equal(docs!.n, 0);
      await new Promise((r) => setTimeout(r, 50));
      const tmp = await readdir(path.join(t.dataDir, 'tmp', 'uploads')).catch(() => []);
      assert.deepEqual(tmp, [], 'temp files of a refused body are removed');
    });
  }

  it('given a well-formed upload after all the malformed ones when posted then the server still accepts it', async () => {
    const res = await rawPost(t.url + '/api/imports/customers', {
      token: t.tokens.admin,
      body: Buffer.concat([part({ filename: 'klanten.csv', type: 'text/csv', data: 'id,name\nKL-000777,Bakkerij Test\n' }), closing()]),
    });
    assert.equal(res.status, 200, res.body.slice(0, 300));
  });
});
