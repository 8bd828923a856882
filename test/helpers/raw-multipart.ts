import { request } from 'node:http';

export const BOUNDARY = 'dossierlinkTestBoundary7MA4YWxk';

/** One multipart part, written by hand so a test can send what no well-behaved client would. */
export function part(opts: { field?: string; filename?: string; type?: string; data?: Buffer | string; rawHeaders?: string }): Buffer {
  const headers =
    opts.rawHeaders ??
    `Content-Disposition: form-data; name="${opts.field ?? 'file'}"${opts.filename === undefined ? '' : `; filename="${opts.filename}"`}\r\nContent-Type: ${opts.type ?? 'application/pdf'}`;
  return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n${headers}\r\n\r\n`, 'latin1'), Buffer.from(opts.data ?? '%PDF-1.4\n'), Buffer.from('\r\n')]);
}

export function closing(): Buffer {
  return Buffer.from(`--${BOUNDARY}--\r\n`);
}

/**
 * POSTs raw bytes with node:http (fetch would refuse a malformed body or header). Resolves with
 * the status and body, or status -1 when the server dropped the connection.
 */
export function rawPost(url: string, opts: { token: string; contentType?: string; body: Buffer; timeoutMs?: number }): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: 'POST',
        headers: { authorization: `Bearer ${opts.token}`, 'content-type': opts.contentType ?? `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': opts.body.length },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? -1, body }));
      },
    );
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: -1, body: String(e) }));
    req.end(opts.body);
  });
}
