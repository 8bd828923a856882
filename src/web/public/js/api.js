// The one place that talks to the server. The browser is signed in by an HttpOnly session
// cookie that scripts cannot read (issue #16); every change also sends the session's CSRF token.
// Files that need the session (PDFs, images) are fetched as blobs and shown through object URLs.

export const session = {
  /** The CSRF token of the cookie session, from POST /api/session or GET /api/me. Kept in memory only. */
  csrf: '',
  /** { id, name, roles } of the signed-in user, set by the app after GET /api/me. */
  me: null,
};

/** An error answer of the API: status, code and message as the server gave them. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
  /** The route does not exist (yet): the feature is not available on this server. */
  get unavailable() {
    return this.status === 404 && this.code === 'not_found' && /route/i.test(this.message);
  }
}

const listeners = new Set();
/** Called with the ApiError whenever the server says 401 (session ended or revoked). */
export function onUnauthorized(fn) {
  listeners.add(fn);
}

async function toError(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  const e = body?.error;
  const err = new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? res.statusText, e?.details);
  if (res.status === 401) for (const fn of listeners) fn(err);
  return err;
}

function headers(method, extra = {}) {
  const h = { ...extra };
  if (session.csrf && method !== 'GET' && method !== 'HEAD') h['x-csrf-token'] = session.csrf;
  return h;
}

/**
 * A JSON request. `json` becomes the body; `query` an object of search params (empty values dropped).
 * @example await api('GET', '/api/search', { query: { q: 'offerte' } })
 */
export async function api(method, path, { json, query, signal, raw } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    method,
    headers: headers(method, json !== undefined ? { 'content-type': 'application/json' } : {}),
    credentials: 'same-origin',
    body: json !== undefined ? JSON.stringify(json) : undefined,
    signal,
  });
  if (!res.ok) throw await toError(res);
  if (raw) return res;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('application/json')) return res.json();
  return res.text();
}

/** A file as a Blob (PDF, image), fetched with the session; headers come along for X-… values. */
export async function fetchBlob(method, path, { json, query } = {}) {
  const res = await api(method, path, { json, query, raw: true });
  return { blob: await res.blob(), headers: res.headers };
}

/**
 * Multipart upload with progress through XHR (fetch cannot report upload progress).
 * Resolves with { status, body }; rejects with an ApiError for 4xx/5xx.
 */
export function upload(path, form, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    if (session.csrf) xhr.setRequestHeader('X-CSRF-Token', session.csrf);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      const body = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) resolve({ status: xhr.status, body });
      else {
        const e = body?.error;
        const err = new ApiError(xhr.status, e?.code ?? `http_${xhr.status}`, e?.message ?? xhr.statusText, e?.details);
        if (xhr.status === 401) for (const fn of listeners) fn(err);
        reject(err);
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', 'network error')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'aborted')));
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(form);
  });
}

let openapi = null;
/** The set of "METHOD /path" the server offers (from its OpenAPI document), to hide absent features. */
export async function routes() {
  if (!openapi) {
    try {
      const doc = await api('GET', '/api/openapi.json');
      openapi = new Set();
      for (const [p, ops] of Object.entries(doc.paths ?? {})) for (const m of Object.keys(ops)) openapi.add(`${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
    } catch {
      openapi = new Set();
    }
  }
  return openapi;
}
export function forgetRoutes() {
  openapi = null;
}
/** Whether the server has a route, e.g. has('GET /api/retention/due'). */
export async function has(route) {
  return (await routes()).has(route);
}
