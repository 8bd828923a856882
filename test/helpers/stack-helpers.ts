import assert from 'node:assert/strict';
import type { GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import type { TestApp } from './test-app.js';

/** Helpers for tests that print the mailroom's sheets, labels and letters and scan them back. */

/** The body of `res` as JSON, after checking its status (the body is shown when it is not). */
export async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

/** A PDF the app prints (a cover sheet, separator sheets, a label, letters) as the mailroom. */
export async function pdfOf(t: TestApp, path: string, init: { method?: string; json?: unknown } = {}): Promise<Uint8Array> {
  const res = await t.api(init.method ?? 'GET', path, { as: 'mailroom', json: init.json });
  assert.ok(res.status === 200 || res.status === 201, `${path}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Sticks `label` on `page` at (x, y): ink wins, as a printed sticker on paper. */
export function stick(page: GreyImage, label: GreyImage, x: number, y: number): GreyImage {
  const out = new Uint8Array(page.data);
  for (let r = 0; r < label.height && y + r < page.height; r++) {
    for (let c = 0; c < label.width && x + c < page.width; c++) out[(y + r) * page.width + x + c] = Math.min(out[(y + r) * page.width + x + c]!, label.data[r * label.width + c]!);
  }
  return { ...page, data: out };
}
