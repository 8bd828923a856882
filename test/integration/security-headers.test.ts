import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** Parses a Content-Security-Policy header into directive -> sources. */
function csp(header: string | null): Map<string, string[]> {
  assert.ok(header, 'a Content-Security-Policy header');
  return new Map(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

describe('security headers', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ demo: false });
  });
  after(() => t.close());

  it('given a keep-alive connection when a response is sent then the server keeps it open 65 s, past a proxy\'s usual 60 s idle, so a reused connection is not reset', async () => {
    const agent = new http.Agent({ keepAlive: true });
    try {
      const header = await new Promise<string | undefined>((resolve, reject) => {
        http.get(`${t.url}/api/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers['keep-alive'] as string | undefined));
        }).on('error', reject);
      });
      assert.equal(header, 'timeout=65');
    } finally {
      agent.destroy();
    }
  });

  const answers = () => [
    ['the web UI', t.api('GET', '/')],
    ['a static script', t.api('GET', '/js/app.js')],
    ['an API read', t.api('GET', '/api/me', { as: 'admin' })],
    ['an API error', t.api('GET', '/api/no-such-route', { as: 'admin' })],
    ['an unauthorised call', t.api('GET', '/api/me')],
    ['a missing page', t.api('GET', '/no-such-page.html')],
  ] as const;

  it('given any response when it is sent then it carries a CSP without inline script, nosniff, no referrer and no framing', async () => {
    for (const [what, pending] of answers()) {
      const res = await pending;
      await res.arrayBuffer();
      const policy = csp(res.headers.get('content-security-policy'));
      const script = policy.get('script-src') ?? policy.get('default-src')!;
      assert.ok(!script.includes("'unsafe-inline'") && !script.includes("'unsafe-eval'"), `${what}: script-src ${script.join(' ')}`);
      assert.ok(!(policy.get('style-src') ?? []).includes("'unsafe-inline'"), `${what}: no inline style`);
      assert.deepEqual(policy.get('frame-ancestors'), ["'none'"], what);
      assert.ok(policy.get('frame-src')?.includes('blob:'), `${what}: PDFs are shown in frames from blob: URLs`);
      assert.ok(policy.get('img-src')?.includes('blob:'), `${what}: images are shown from blob: URLs`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', what);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
    }
  });

  it('given an API response when it is sent then it may not be cached, and a static file may', async () => {
    for (const p of ['/api/me', '/api/no-such-route']) {
      const res = await t.api('GET', p, { as: 'admin' });
      assert.equal(res.headers.get('cache-control'), 'no-store', p);
    }
    const page = await t.api('GET', '/js/app.js');
    assert.notEqual(page.headers.get('cache-control'), 'no-store');
  });

  it('given the HTML pages of the web UI when read then none has inline script, inline style or inline handlers', async () => {
    const root = path.resolve('src/web/public');
    const pages = (await readdir(root)).filter((f) => f.endsWith('.html'));
    assert.ok(pages.length >= 2);
    for (const page of pages) {
      const html = await readFile(path.join(root, page), 'utf8');
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, `${page}: inline <script>`);
      assert.doesNotMatch(html, /<style/i, `${page}: inline <style>`);
      assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${page}: inline event handler`);
      assert.doesNotMatch(html, /\sstyle\s*=/i, `${page}: style attribute`);
    }
  });
});
