import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/domain/roles.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * THE table of who may do what. Every route the app serves must be here (the first test fails
 * otherwise), and every row is walked with every role, no token and an unknown token.
 * `sample` gives a request that succeeds for an allowed role; ids come from the demo data.
 */
type Sample = { path?: string; json?: unknown; form?: FormData };
type Row = { allowed: readonly Role[] | 'any' | 'public'; sample?: (ctx: Ctx) => Sample | Promise<Sample> };
type Ctx = { docId: string; paperId: string; paperBarcode: string; n: number; t: TestApp };

/** A job in the failed state, as the operator view shows it, to retry. */
async function failedJob(t: TestApp, n: number): Promise<string> {
  const { id } = await t.dl.db.tx((q) => t.dl.queue.enqueue(q, { kind: 'noop', payload: {}, idempotencyKey: `matrix-${n}` }));
  await t.dl.db.run("UPDATE jobs SET status = 'failed', last_error = 'boom' WHERE id = ?", [id]);
  return id;
}

function pdfForm(n: number): FormData {
  // A minimal valid one-page PDF, different bytes per call so no upload is an exact duplicate.
  const body = `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n% ${n}\ntrailer<</Root 1 0 R>>\n%%EOF\n`;
  const fd = new FormData();
  fd.append('file', new Blob([body]), `matrix-${n}.pdf`);
  return fd;
}

const MATRIX: Record<string, Row> = {
  'GET /api/health': { allowed: 'public' },
  'GET /api/openapi.json': { allowed: 'any' },
  'GET /api/me': { allowed: 'any' },
  'POST /api/users': { allowed: ['admin'], sample: ({ n }) => ({ json: { name: `User ${n}`, roles: ['crm'] } }) },
  'GET /api/users': { allowed: ['admin'] },
  'GET /api/customers': { allowed: 'any', sample: () => ({ path: '/api/customers?q=Bakkerij' }) },
  'PUT /api/customers/:id': { allowed: ['crm'], sample: () => ({ path: '/api/customers/KL-000123', json: { name: 'Bakkerij De Gouden Korst B.V.' } }) },
  'GET /api/customers/:id': { allowed: 'any', sample: () => ({ path: '/api/customers/KL-000123' }) },
  'GET /api/customers/:id/dossier': { allowed: ['crm', 'compliance'], sample: () => ({ path: '/api/customers/KL-000123/dossier' }) },
  'POST /api/documents/paper': {
    allowed: ['mailroom'],
    sample: () => ({ json: { customerId: 'KL-000124', type: 'order', fields: { number: 'ORD-1' } } }),
  },
  'GET /api/documents/:id': { allowed: 'any', sample: ({ docId }) => ({ path: `/api/documents/${docId}` }) },
  'GET /api/documents/:id/text': { allowed: ['crm', 'compliance'], sample: ({ docId }) => ({ path: `/api/documents/${docId}/text` }) },
  'GET /api/documents/:id/file': { allowed: ['crm', 'compliance'], sample: ({ docId }) => ({ path: `/api/documents/${docId}/file` }) },
  'POST /api/documents': { allowed: ['mailroom'], sample: ({ n }) => ({ form: pdfForm(n) }) },
  'GET /api/search': { allowed: ['crm', 'compliance'], sample: () => ({ path: '/api/search?q=offerte' }) },
  'GET /api/jobs': { allowed: ['mailroom', 'compliance'] },
  'POST /api/jobs/:id/retry': { allowed: ['mailroom'], sample: async ({ t, n }) => ({ path: `/api/jobs/${await failedJob(t, n)}/retry` }) },
  'GET /api/scopes': { allowed: 'any' },
  'PUT /api/scopes/active': { allowed: ['admin'], sample: () => ({ path: '/api/scopes/active?dryRun=true', json: { scopes: ['sales', 'care'] } }) },
  'GET /api/review': { allowed: ['mailroom', 'crm'] },
  'POST /api/documents/:id/review': {
    allowed: ['mailroom'],
    sample: async ({ t, docId }) => {
      await t.dl.db.run("UPDATE documents SET status = 'needs_review' WHERE id = ?", [docId]);
      return { path: `/api/documents/${docId}/review`, json: {} };
    },
  },
  'GET /api/audit/verify': { allowed: ['compliance'] },
  'GET /api/audit': { allowed: ['compliance'], sample: () => ({ path: '/api/audit?customerId=KL-000123' }) },
};

const ROLES: Role[] = ['mailroom', 'crm', 'compliance', 'admin'];

describe('access matrix', () => {
  let t: TestApp;
  let ctx: Ctx;
  before(async () => {
    t = await startTestApp();
    const dossier = (await (await t.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' })).json()) as {
      documents: { id: string; class: string; barcode: string | null; original: unknown }[];
    };
    const digital = dossier.documents.find((d) => d.original)!;
    const paper = dossier.documents.find((d) => d.barcode)!;
    ctx = { docId: digital.id, paperId: paper.id, paperBarcode: paper.barcode!, n: 0, t };
  });
  after(() => t.close());

  it('given the app when its routes are listed then every route is in the matrix and every matrix row is a route', () => {
    const served = t.dl.app.routeTable.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    assert.deepEqual(served, Object.keys(MATRIX).sort());
  });

  for (const [key, row] of Object.entries(MATRIX)) {
    const [method, pattern] = key.split(' ');
    const request = async (token: string | null) => {
      ctx.n++;
      const s = (await row.sample?.(ctx)) ?? {};
      const p = s.path ?? pattern;
      return t.api(method, p, token === null ? { as: null, json: s.json, body: s.form } : { token, json: s.json, body: s.form });
    };

    it(`given ${key} when called without a token then ${row.allowed === 'public' ? 'it answers' : '401'}`, async () => {
      const res = await request(null);
      if (row.allowed === 'public') assert.equal(res.status, 200);
      else {
        assert.equal(res.status, 401);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized');
      }
    });

    if (row.allowed !== 'public') {
      it(`given ${key} when called with an unknown token then 401`, async () => {
        assert.equal((await request('dl_not-a-real-token')).status, 401);
      });
    }

    for (const role of ROLES) {
      const allowed = row.allowed === 'public' || row.allowed === 'any' || role === 'admin' || row.allowed.includes(role);
      it(`given ${key} when called as ${role} then ${allowed ? '2xx' : '403'}`, async () => {
        const res = await request(t.tokens[role]);
        const body = await res.text();
        if (allowed) assert.ok(res.status >= 200 && res.status < 300, `${res.status} ${body}`);
        else {
          assert.equal(res.status, 403, body);
          assert.equal(JSON.parse(body).error.code, 'forbidden');
        }
      });
    }
  }
});
