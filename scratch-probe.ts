import { request } from 'node:http';
import { startTestApp } from './test/helpers/test-app.js';
const t = await startTestApp({ env: { DOSSIER_LOG_LEVEL: 'error' } });
function raw(path: string, headers: Record<string,string>, body: Buffer, endEarly = false): Promise<{status:number, body:string}> {
  return new Promise((resolve, reject) => {
    const u = new URL(t.url + path);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${t.tokens.admin}`, ...headers } }, (res) => {
      let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve({ status: res.statusCode!, body: b.slice(0, 200) }));
    });
    req.on('error', (e) => resolve({ status: -1, body: String(e) }));
    req.write(body);
    if (endEarly) req.end(); else req.end();
  });
}
const B = 'XyZbOuNdArY';
const part = (name: string, data = '%PDF-1.4\n') => Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/pdf\r\n\r\n${data}\r\n--${B}--\r\n`, 'latin1');
const cases: [string, Record<string,string>, Buffer][] = [
  ['crlf name', { 'content-type': `multipart/form-data; boundary=${B}` }, part('a\r\nb.pdf')],
  ['nul name', { 'content-type': `multipart/form-data; boundary=${B}` }, part('a\0b.pdf')],
  ['60k name', { 'content-type': `multipart/form-data; boundary=${B}` }, part('a'.repeat(60_000) + '.pdf')],
  ['no boundary', { 'content-type': `multipart/form-data` }, part('a.pdf')],
  ['truncated', { 'content-type': `multipart/form-data; boundary=${B}` }, part('a.pdf').subarray(0, 120)],
  ['garbage', { 'content-type': `multipart/form-data; boundary=${B}` }, Buffer.from('hello world')],
  ['bad header', { 'content-type': `multipart/form-data; boundary=${B}` }, Buffer.from(`--${B}\r\nContent-Disposition form-data\r\n\r\nx\r\n--${B}--\r\n`)],
];
for (const p of ['/api/documents']) {
  for (const [n, h, b] of cases) console.log(p, n, JSON.stringify(await raw(p, h, b)));
}
await t.close();
