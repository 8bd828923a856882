import type { DocumentView } from '../../src/domain/document.js';
import type { TestApp } from './test-app.js';

/** Uploads one file as the mailroom would. */
export async function upload(t: TestApp, bytes: Uint8Array | Buffer, name: string, fields: Record<string, string> = {}, field = 'file') {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append(field, new Blob([new Uint8Array(bytes)]), name);
  return t.api('POST', '/api/documents', { as: 'mailroom', body: fd });
}

export const FINAL = ['ready', 'needs_review', 'failed'];

/** Polls a document until its status is final (the pipeline is asynchronous by design). */
export async function waitFinal(t: TestApp, id: string, timeoutMs = 120_000): Promise<DocumentView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = (await (await t.api('GET', `/api/documents/${id}`, { as: 'crm' })).json()) as DocumentView;
    if (FINAL.includes(d.status)) return d;
    if (Date.now() > until) throw new Error(`document ${id} still ${d.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export async function textOf(t: TestApp, id: string): Promise<string> {
  return (await t.api('GET', `/api/documents/${id}/text`, { as: 'crm' })).text();
}

export async function searchIds(t: TestApp, q: string, extra = ''): Promise<string[]> {
  const res = await t.api('GET', `/api/search?q=${encodeURIComponent(q)}${extra}`, { as: 'crm' });
  const body = (await res.json()) as { hits: { documentId: string }[] };
  return body.hits.map((h) => h.documentId);
}

/**
 * Waits until no ingest or split job is queued or running. A document is final before its job has
 * made its thumbnail, a split removes its stack file after it commits, and archives and thumbnails
 * are stored before the row that names them: a test that counts objects waits for this first.
 */
export async function waitIngestIdle(t: TestApp, timeoutMs = 60_000): Promise<void> {
  const busy = () => t.dl.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE kind IN ('ingest', 'split') AND status IN ('queued', 'running')");
  for (const until = Date.now() + timeoutMs; (await busy())!.n > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
}
