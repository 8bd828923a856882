import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { openDossierlink } from '../../src/dossierlink.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../helpers/test-app.js';
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

describe('malformed multipart in the log', () => {
  it('given a malformed body when refused then it is logged once as a client error (warn), never as error', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'dossierlink-mp-log-'));
    const lines: { level: number; msg: string; code?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const dl = await openDossierlink(loadConfig({ DOSSIER_DATA_DIR: dataDir, DOSSIER_ADMIN_TOKEN: ADMIN_TOKEN, DOSSIER_INBOX: 'off' }), { logger: pino({ level: 'debug' }, sink) });
    const server: Server = dl.app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/documents`;
      const res = await rawPost(url, { token: ADMIN_TOKEN, body: Buffer.concat([part({ filename: 'a\0b.pdf' }), closing()]) });
      assert.equal(res.status, 400);
      await new Promise((r) => setTimeout(r, 50));
      const about = lines.filter((l) => l.code === 'malformed_multipart');
      assert.equal(about.length, 1, JSON.stringify(lines.slice(-5)));
      assert.equal(about[0]!.level, 40, 'warn');
      assert.deepEqual(lines.filter((l) => l.level >= 50), []);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await dl.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
