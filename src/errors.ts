/**
 * Typed errors, thrown anywhere and mapped to HTTP in one place (`toHttpError`).
 * The error shape is the one in API.md: `{ error: { code, message, details? } }`.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends AppError {
  constructor(message: string, details?: unknown, code = 'invalid_input') {
    super(400, code, message, details);
  }
}
export class Unauthorized extends AppError {
  constructor(message = 'A valid bearer token is required') {
    super(401, 'unauthorized', message);
  }
}
export class Forbidden extends AppError {
  constructor(message = 'Your role may not do this') {
    super(403, 'forbidden', message);
  }
}
export class NotFound extends AppError {
  constructor(what: string, id?: string) {
    super(404, 'not_found', id === undefined ? `${what} not found` : `${what} ${JSON.stringify(id)} not found`);
  }
}
export class Conflict extends AppError {
  constructor(message: string, details?: unknown, code = 'conflict') {
    super(409, code, message, details);
  }
}
export class PayloadTooLarge extends AppError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}
export class UnsupportedMediaType extends AppError {
  constructor(message: string, details?: unknown) {
    super(415, 'unsupported_media_type', message, details);
  }
}
export class Gone extends AppError {
  constructor(message: string, details?: unknown) {
    super(410, 'gone', message, details);
  }
}

export type HttpError = { status: number; body: { error: { code: string; message: string; details?: unknown } } };

/** Maps anything thrown to a status and the API error body. Unknown errors become a 500 without internals. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof AppError) {
    const body: HttpError['body'] = { error: { code: err.code, message: err.message } };
    if (err.details !== undefined) body.error.details = err.details;
    return { status: err.status, body };
  }
  // Errors raised by express/body-parser/multer carry a status or a code of their own.
  const e = err as { status?: number; statusCode?: number; type?: string; code?: string; message?: string; field?: string };
  if (e?.type === 'entity.parse.failed') {
    return { status: 400, body: { error: { code: 'malformed_json', message: 'The request body is not valid JSON' } } };
  }
  if (e?.type === 'entity.too.large') {
    return { status: 413, body: { error: { code: 'payload_too_large', message: 'The request body is larger than allowed' } } };
  }
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return { status: 415, body: { error: { code: 'unsupported_media_type', message: e.message ?? 'Unsupported encoding' } } };
  }
  if (typeof e?.code === 'string' && e.code.startsWith('LIMIT_')) {
    const status = e.code === 'LIMIT_FILE_SIZE' ? 413 : 400;
    const code = e.code === 'LIMIT_FILE_SIZE' ? 'payload_too_large' : 'invalid_upload';
    return { status, body: { error: { code, message: `Upload rejected: ${e.message}${e.field ? ` (${e.field})` : ''}` } } };
  }
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: { code: 'bad_request', message: e.message ?? 'Bad request' } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Internal error; it has been logged' } } };
}

/** The request refers to something (a customer, a location) that does not exist. */
export class UnknownReference extends AppError {
  constructor(message: string, details?: unknown, code = 'unknown_reference') {
    super(422, code, message, details);
  }
}

/** Too many attempts (sign-in throttling); the HTTP layer sends `Retry-After`. */
export class TooManyRequests extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'too_many_attempts', message, { retryAfterSeconds });
  }
}

/** The service is at capacity for this kind of work; the client should try again after `retryAfterSeconds`. */
export class ServiceUnavailable extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    code = 'busy',
  ) {
    super(503, code, message, { retryAfterSeconds });
  }
}

/** Too many requests from one user in a window; the response carries `Retry-After`. */
export class RateLimited extends AppError {
  constructor(message: string, details?: unknown) {
    super(429, 'rate_limited', message, details);
  }
}

/** A search ran out of its time budget and was interrupted; the API stays free for everyone else. */
export class SearchTimeout extends AppError {
  constructor(message: string, details?: unknown) {
    super(503, 'search_timeout', message, details);
  }
}

/** GDPR art. 18: the customer's processing is restricted; only compliance (and admin) may read its dossier. */
export class Restricted extends AppError {
  constructor(message = 'Processing of this customer is restricted (GDPR art. 18); only compliance may read its dossier') {
    super(403, 'restricted', message);
  }
}

/**
 * What a failed document records about why (documents.error, error_code, error_details): the
 * server's sentence, and the code and parameters the interface says it with in the user's
 * language. An error without a code of its own (a timeout, a crash of the OCR engine) is
 * `fallbackCode`.
 *
 *     failureRecord(new Invalid('The PDF is damaged', undefined, 'corrupt_pdf'))
 *     // { error: 'The PDF is damaged', error_code: 'corrupt_pdf', error_details: null }
 */
export function failureRecord(err: unknown, fallbackCode = 'processing_failed', prefix = ''): { error: string; error_code: string; error_details: string | null } {
  const message = err instanceof Error ? err.message : String(err);
  const app = err instanceof AppError ? err : null;
  const plain = app?.details && typeof app.details === 'object' && !Array.isArray(app.details) ? JSON.stringify(app.details) : null;
  return { error: `${prefix}${message}`.slice(0, 500), error_code: app?.code ?? fallbackCode, error_details: plain && plain.length <= 1000 ? plain : null };
}
