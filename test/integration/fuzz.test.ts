/**
 * A bounded fuzz run against a real instance (issue 14): malformed multipart, odd PDFs and
 * images, hostile query strings on every GET route, oversized and deeply nested JSON on every
 * JSON route. Inputs come from a seeded generator (FUZZ_SEED to replay another run). Asserts:
 * no 5xx, no hang (every request answers within its timeout), every accepted document reaches a
 * final status, and nothing unreferenced is left in the object store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { PDFDocument } from 'pdf-lib';
import type { DocumentView } from '../../src/domain/document.js';
import { seeded } from '../helpers/degrade-image.js';
import { makeDamagedPagesPdf, makeManyPagePdf, makeOwnerPasswordPdf, makeUserPasswordPdf } from '../helpers/hostile-samples.js';
import { FINAL } from '../helpers/ingest-helpers.js';
import { BOUNDARY, closing, part, rawPost } from '../helpers/raw-multipart.js';
import { makePixelBombPng, makeTextPdf, makeTruncatedPdf } from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const REQUEST_TIMEOUT_MS = 20_000;

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const NASTY = ['', ' ', '%', '%00', '%E0%A4%A', '\u0000', '\r\n', '\u202e', '😀', '"', "'", '\\', '*', '-', '(', ')', 'OR', 'NEAR', '^', ':', '{', '}', '[', ']', '&', '=', '?', '#', '..', '/', '<script>', 'NaN', '-1', '1e309', '9'.repeat(40), 'a*', '""'];

function nastyString(r: Rand, maxLen = 200): string {
  let s = '';
  const n = int(r, 0, 12);
  for (let i = 0; i < n && s.length < maxLen; i++) s += r() < 0.5 ? pick(r, NASTY) : String.fromCharCode(int(r, 0x20, 0x7e));
  if (r() < 0.1) s += 'x'.repeat(int(r, 500, 5000));
  return s;
}

/** Flips, cuts or splices bytes of a valid file. */
function mutate(r: Rand, bytes: Uint8Array): Uint8Array {
  const out = Buffer.from(bytes);
  switch (int(r, 0, 4)) {
    case 0:
      return out.subarray(0, int(r, 1, out.length - 1));
    case 1:
      for (let i = 0; i < int(r, 1, 40); i++) out[int(r, 0, out.length - 1)] = int(r, 0, 255);
      return out;
    case 2: {
      const at = int(r, 0, out.length);
      return Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: int(r, 1, 400) }, () => int(r, 0, 255))), out.subarray(at)]);
    }
    case 3: {
      // Keep the header (so the type is sniffed as before) and damage the rest.
      for (let i = 16; i < out.length; i += int(r, 1, 64)) out[i] ^= 0xff;
      return out;
    }
    default:
      return Buffer.concat([out, out.subarray(0, int(r, 0, out.length))]);
  }
}

describe('fuzz', () => {
  let t: TestApp;
  const accepted: string[] = [];
  const r = seeded(SEED);
  const problems: string[] = [];
  const check = (what: string, res: { status: number; body: string }) => {
    if (res.status === -1 || res.status >= 500) problems.push(`${what}: ${res.status} ${res.body.slice(0, 200)}`);
  };
  const send = async (method: string, p: string, init: { body?: string; contentType?: string } = {}) => {
    try {
      const res = await fetch(t.url + p, {
        method,
        headers: { authorization: `Bearer ${t.tokens.admin}`, ...(init.contentType ? { 'content-type': init.contentType } : {}) },
        body: init.body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      // The cause says what the network did (reset, closed, timed out): "fetch failed" alone does not.
      return { status: -1, body: `${String(err)} (${String((err as Error).cause ?? 'no cause')})` };
    }
  };

  before(async () => {
    t = await startTestApp({ env: { DOSSIER_MAX_PAGES: '30' } });
    await t.dl.startWorkers();
  });
  after(() => t.close());

  it('given mutated multipart bodies on every upload route when posted then no 5xx and no hang', { timeout: 120_000 }, async () => {
    const routes = t.dl.app.routeTable.filter((x) => x.multipart).map((x) => x.path.replace(':id', 'doc_00000000000000000000000000'));
    const valid = Buffer.concat([part({ field: 'customerId', rawHeaders: 'Content-Disposition: form-data; name="customerId"', data: 'KL-000123' }), part({ filename: 'scan.pdf', data: Buffer.from(await makeTextPdf([['Fuzz']])) }), closing()]);
    for (let i = 0; i < 60; i++) {
      const route = pick(r, routes);
      let body = Buffer.from(valid);
      const kind = int(r, 0, 4);
      if (kind === 0) body = body.subarray(0, int(r, 0, body.length));
      else if (kind === 1) for (let k = 0; k < int(r, 1, 8); k++) body[int(r, 0, Math.min(300, body.length - 1))] = pick(r, [0, 10, 13, 34, 59, 45, int(r, 0, 255)]);
      else if (kind === 2) body = Buffer.concat([part({ filename: nastyString(r, 300) + (r() < 0.3 ? 'y'.repeat(60_000) : ''), data: body.subarray(0, 100) }), closing()]);
      else if (kind === 3) body = Buffer.concat([part({ field: nastyString(r, 40), filename: 'a.pdf' }), closing()]);
      const contentType = r() < 0.15 ? pick(r, ['multipart/form-data', `multipart/form-data; boundary=${nastyString(r, 80).replace(/[^\x20-\x7e]/g, '')}`, 'multipart/mixed; boundary=x', 'text/plain']) : `multipart/form-data; boundary=${BOUNDARY}`;
      const res = await rawPost(t.url + route, { token: t.tokens.admin, body, contentType, timeoutMs: REQUEST_TIMEOUT_MS });
      check(`multipart #${i} ${route}`, res);
      if (res.status === 202 && route === '/api/documents') accepted.push((JSON.parse(res.body) as DocumentView).id);
    }
    assert.deepEqual(problems, []);
  });

  it('given odd and damaged PDFs and images when uploaded then each is refused with a 4xx or accepted, never a 5xx', { timeout: 120_000 }, async () => {
    const pdf = await makeTextPdf([['Offerte', 'Klantnummer: KL-000123', 'Totaal EUR 12,00'], ['Pagina twee']]);
    const png = await sharp({ create: { width: 60, height: 40, channels: 3, background: '#fff' } }).greyscale().png().toBuffer();
    const jpeg = await sharp({ create: { width: 60, height: 40, channels: 3, background: '#eee' } }).jpeg().toBuffer();
    const tiff = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#fff' } }).greyscale().tiff().toBuffer();
    const blankPdf = await (async () => {
      const d = await PDFDocument.create();
      d.addPage([1, 1]);
      d.addPage([14400, 14400]);
      return d.save();
    })();
    const fixed: [string, Uint8Array][] = [
      ['owner-password.pdf', await makeOwnerPasswordPdf({ scannedPage: false })],
      ['user-password.pdf', await makeUserPasswordPdf()],
      ['damaged-pages.pdf', await makeDamagedPagesPdf()],
      ['too-many-pages.pdf', await makeManyPagePdf(31)],
      ['truncated.pdf', await makeTruncatedPdf()],
      ['odd-page-sizes.pdf', blankPdf],
      ['pixel-bomb.png', await makePixelBombPng()],
      ['empty.pdf', new Uint8Array()],
      ['random.bin', Uint8Array.from({ length: 4096 }, () => int(r, 0, 255))],
      ['pdf-header-only.pdf', new TextEncoder().encode('%PDF-1.7\n%%EOF\n')],
    ];
    const mutated: [string, Uint8Array][] = Array.from({ length: 24 }, (_, i) => {
      const [name, base] = pick(r, [
        ['m.pdf', pdf],
        ['m.png', png],
        ['m.jpg', jpeg],
        ['m.tif', tiff],
      ] as const);
      return [`mutated-${i}-${name}`, mutate(r, base)];
    });
    for (const [name, bytes] of [...fixed, ...mutated]) {
      const fd = new FormData();
      fd.append('file', new Blob([new Uint8Array(bytes)]), name);
      try {
        const res = await fetch(`${t.url}/api/documents`, { method: 'POST', headers: { authorization: `Bearer ${t.tokens.mailroom}` }, body: fd, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        const body = await res.text();
        check(`upload ${name}`, { status: res.status, body });
        if (res.status === 202) accepted.push((JSON.parse(body) as DocumentView).id);
      } catch (err) {
        problems.push(`upload ${name}: ${String(err)}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('given hostile query strings on every GET route when called then no 5xx and no hang', { timeout: 120_000 }, async () => {
    const gets = t.dl.app.routeTable.filter((x) => x.method === 'get' && !/subject-access|report\.pdf|letters\.pdf|pick-list\.pdf|label/.test(x.path));
    const keys = ['q', 'limit', 'offset', 'customerId', 'type', 'class', 'from', 'to', 'status', 'kind', 'since', 'variant', 'download', 'part', 'partSize', 'actorId', 'action', nastyString(r, 20)];
    for (let i = 0; i < 150; i++) {
      const route = pick(r, gets);
      const p = route.path.replace(/:[a-z]+/gi, () => encodeURIComponent(r() < 0.5 ? nastyString(r, 80) : pick(r, ['KL-000123', 'doc_1', 'D0000000014'])));
      const qs = Array.from({ length: int(r, 0, 6) }, () => {
        const k = pick(r, keys);
        const v = nastyString(r);
        // Half raw, half encoded: raw bytes make bad percent-escapes and stray separators.
        return `${encodeURIComponent(k)}=${r() < 0.5 ? encodeURIComponent(v) : v.replace(/[#\s]/g, '')}`;
      }).join('&');
      check(`GET ${p}?${qs.slice(0, 80)}`, await send('GET', `${p}${qs ? `?${qs}` : ''}`));
    }
    // Search specifically: repeated keys, operators and prefixes.
    for (let i = 0; i < 30; i++) {
      const q = Array.from({ length: int(r, 1, 60) }, () => pick(r, ['a*', 'OR', '-', '"', 'NEAR(', 'financ*', '*', 'KL-000123', nastyString(r, 10)])).join(' ');
      // Cut by code points: a lone surrogate cannot be percent-encoded.
      const cut = (n: number) => encodeURIComponent(Array.from(q).slice(0, n).join(''));
      check(`search ${q.slice(0, 60)}`, await send('GET', `/api/search?q=${cut(500)}&q=${cut(5)}`));
    }
    assert.deepEqual(problems, []);
  });

  it('given oversized, deep and wrongly typed JSON on every JSON route when sent then no 5xx and no hang', { timeout: 120_000 }, async () => {
    const routes = t.dl.app.routeTable.filter((x) => x.body && x.method !== 'delete');
    const depth = int(r, 2000, 20_000);
    const bodies = [
      '['.repeat(depth) + ']'.repeat(depth),
      '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
      JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
      JSON.stringify(Array.from({ length: 50_000 }, (_, i) => i)),
      '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}',
      '{"customerIds":' + JSON.stringify(Array.from({ length: 20_000 }, () => 'KL-000123')) + '}',
      '{"fields":' + '{"a":'.repeat(3000) + '1' + '}'.repeat(3000) + '}',
      'null',
      '"just a string"',
      '{"name": "unterminated',
      '\u0000\u0001',
    ];
    for (const route of routes) {
      const p = route.path.replace(/:[a-z]+/gi, 'KL-000123');
      for (let i = 0; i < 3; i++) {
        const body = pick(r, bodies);
        check(`${route.method.toUpperCase()} ${route.path} (${body.length} B)`, await send(route.method.toUpperCase(), p, { body, contentType: pick(r, ['application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16']) }));
      }
    }
    assert.deepEqual(problems, []);
  });

  it('given everything accepted during the run when the queue drains then every document is final and the store holds nothing unreferenced', { timeout: 180_000 }, async () => {
    const deadline = Date.now() + 170_000;
    for (const id of accepted) {
      for (;;) {
        const row = await t.dl.db.get<{ status: string }>('SELECT status FROM documents WHERE id = ?', [id]);
        if (row && FINAL.includes(row.status)) break;
        assert.ok(Date.now() < deadline, `document ${id} still ${row?.status}`);
        await new Promise((res) => setTimeout(res, 200));
      }
    }
    const stuck = await t.dl.db.all<{ id: string; status: string }>("SELECT id, status FROM documents WHERE status IN ('queued','processing') AND destroyed_at IS NULL");
    assert.deepEqual(stuck, []);
    const failedJobs = await t.dl.db.all<{ attempts: number; max_attempts: number }>("SELECT attempts, max_attempts FROM jobs WHERE kind = 'ingest' AND status = 'failed'");
    for (const j of failedJobs) assert.ok(j.attempts <= j.max_attempts);
    assert.deepEqual(await t.dl.services.objectSweep.unreferenced(0), []);
    assert.ok(accepted.length > 0, 'the run accepted some documents');
  });
});
