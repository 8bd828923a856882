import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

async function errorOf(res: Response) {
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(typeof body.error.message, 'string');
  assert.doesNotMatch(body.error.message, /at .*\.ts:\d+|node_modules/, 'no stack traces in errors');
  return body.error;
}

describe('bad input', () => {
  let t: TestApp;
  const counts = async () =>
    t.dl.db.get<{ c: number; d: number }>('SELECT (SELECT COUNT(*) FROM customers) AS c, (SELECT COUNT(*) FROM documents) AS d');
  before(async () => {
    t = await startTestApp({ env: { DOSSIER_JSON_LIMIT_KB: '16' } });
  });
  after(() => t.close());

  it('given an unknown /api route when called then 404 in the API error shape', async () => {
    const res = await t.api('GET', '/api/no-such-thing', { as: 'crm' });
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).code, 'not_found');
  });

  it('given malformed JSON when upserting a customer then 400 malformed_json and nothing written', async () => {
    const before = await counts();
    const res = await t.api('PUT', '/api/customers/KL-000999', { as: 'crm', body: '{"name": "half', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).code, 'malformed_json');
    assert.deepEqual(await counts(), before);
  });

  it('given a body over the limit when upserting then 413 and nothing written', async () => {
    const before = await counts();
    const res = await t.api('PUT', '/api/customers/KL-000999', { as: 'crm', json: { name: 'x'.repeat(20_000) } });
    assert.equal(res.status, 413);
    assert.equal((await errorOf(res)).code, 'payload_too_large');
    assert.deepEqual(await counts(), before);
  });

  it('given a form body instead of JSON when upserting then 415', async () => {
    const res = await t.api('PUT', '/api/customers/KL-000999', { as: 'crm', body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.status, 415);
    assert.equal((await errorOf(res)).code, 'unsupported_media_type');
  });

  it('given fields that fail validation when upserting then 400 with the path of each problem', async () => {
    const res = await t.api('PUT', '/api/customers/KL-000999', { as: 'crm', json: { name: '', kvk: '12', extra: true } });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    assert.equal(body.error.code, 'invalid_input');
    const paths = body.error.details.map((d) => d.path);
    assert.ok(paths.includes('name') && paths.includes('kvk'), JSON.stringify(paths));
  });

  it('given a customer number that does not match the pattern when upserting then 400', async () => {
    const res = await t.api('PUT', '/api/customers/XX-1', { as: 'crm', json: { name: 'Wrong' } });
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).code, 'invalid_customer_number');
  });

  for (const evil of ['..%2F..%2Fetc%2Fpasswd', '%00doc', 'a%2Fb', '.hidden', 'x'.repeat(65)]) {
    it(`given a document id with path characters (${evil.slice(0, 20)}) when read then 400 or 404, never a file`, async () => {
      const res = await t.api('GET', `/api/documents/${evil}/file`, { as: 'crm' });
      assert.ok(res.status === 400 || res.status === 404, String(res.status));
      await errorOf(res);
    });
  }

  it('given an unknown customer when its dossier is opened then 404', async () => {
    const res = await t.api('GET', '/api/customers/KL-999999/dossier', { as: 'crm' });
    assert.equal(res.status, 404);
    assert.match((await errorOf(res)).message, /KL-999999/);
  });

  it('given an unknown customer when paper is registered for it then 422 and no document is created', async () => {
    const before = await counts();
    const res = await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-999999', type: 'order' } });
    assert.equal(res.status, 422);
    assert.equal((await errorOf(res)).code, 'unknown_customer');
    assert.deepEqual(await counts(), before);
    const seq = await t.dl.db.get<{ value: number }>("SELECT value FROM sequences WHERE name = 'barcode.document'");
    const docs = await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM documents WHERE barcode IS NOT NULL');
    assert.equal(seq?.value, docs?.n, 'the barcode counter rolled back with the failed registration');
  });

  it('given an unknown document type when paper is registered then 400 naming the allowed types', async () => {
    const res = await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000123', type: 'memo' } });
    assert.equal(res.status, 400);
    assert.match((await errorOf(res)).message, /quote/);
  });

  it('given an impossible date when paper is registered then 400', async () => {
    const res = await t.api('POST', '/api/documents/paper', { as: 'mailroom', json: { customerId: 'KL-000123', type: 'order', docDate: '2026-02-30' } });
    assert.equal(res.status, 400);
  });

  it('given a malformed Authorization header when calling then 401', async () => {
    const res = await t.api('GET', '/api/me', { headers: { authorization: 'Basic abc' } });
    assert.equal(res.status, 401);
  });

  it('given a non-API path when requested then 404 JSON, not an HTML page', async () => {
    const res = await fetch(`${t.url}/no/such/page`);
    assert.equal(res.status, 404);
    await errorOf(res);
  });

  it('given a request id header when calling then it is echoed, and a fresh one is made otherwise', async () => {
    const res = await t.api('GET', '/api/health', { headers: { 'x-request-id': 'abc-123' } });
    assert.equal(res.headers.get('x-request-id'), 'abc-123');
    const res2 = await t.api('GET', '/api/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.match(res2.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});
