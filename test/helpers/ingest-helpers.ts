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
