import { mkdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { AppError, Invalid, PayloadTooLarge } from '../errors.js';

/**
 * multer hands file names over as latin1; browsers and curl send UTF-8. A name with characters
 * beyond latin1 was decoded already (an RFC 5987 `filename*`): re-decoding would mangle it.
 */
export function decodeFileName(name: string): string {
  if (/[^\u0000-\u00ff]/.test(name)) return name;
  const utf8 = Buffer.from(name, 'latin1').toString('utf8');
  return utf8.includes('\uFFFD') ? name : utf8;
}

export const MAX_FILES_PER_REQUEST = 100;

/**
 * Multipart parsing that streams every file to a temp dir (never the whole upload in memory),
 * with the size limits applied while streaming. Temp files are removed when the response ends,
 * whatever happened, so a failed request leaves nothing behind.
 */
export function multipartUpload(tmpDir: string, maxFileBytes: number) {
  mkdirSync(tmpDir, { recursive: true });
  const m = multer({
    storage: multer.diskStorage({ destination: tmpDir }),
    limits: { fileSize: maxFileBytes, files: MAX_FILES_PER_REQUEST, fields: 20, fieldSize: 10_000, parts: MAX_FILES_PER_REQUEST + 20 },
  }).fields([
    { name: 'file', maxCount: 1 },
    { name: 'files', maxCount: MAX_FILES_PER_REQUEST },
  ]);
  return (req: Request, res: Response, next: NextFunction) => {
    res.on('close', () => {
      for (const f of uploadedFiles(req)) void unlink(f.path).catch(() => undefined);
    });
    m(req, res, (err?: unknown) => {
      if ((err as { code?: string })?.code === 'LIMIT_FILE_SIZE') {
        next(new PayloadTooLarge(`A file is larger than the limit of ${Math.round(maxFileBytes / 1024 / 1024)} MiB`));
        return;
      }
      next(err === undefined ? undefined : asMalformed(err));
    });
  };
}

/**
 * busboy (under multer) reports a body it cannot parse with a bare Error ("Malformed part header",
 * "Unexpected end of form", "Multipart: Boundary not found", ...). Those are the client's fault:
 * a 400, not a 500. Errors of our own side (the temp dir: ENOSPC, EACCES) carry an errno and stay 500s;
 * multer's LIMIT_* codes keep their own mapping.
 */
function asMalformed(err: unknown): unknown {
  const e = err as { code?: unknown; errno?: unknown; syscall?: unknown; message?: unknown } | null;
  if (!(err instanceof Error) || err instanceof AppError) return err;
  if (typeof e?.code === 'string' && e.code.startsWith('LIMIT_')) return err;
  if (e?.errno !== undefined || e?.syscall !== undefined) return err;
  const reason = typeof e?.message === 'string' ? e.message.slice(0, 200) : 'unreadable';
  return new Invalid(`The multipart/form-data body could not be read: ${reason}`, { reason }, 'malformed_multipart');
}

export function uploadedFiles(req: Request): Express.Multer.File[] {
  const f = req.files as Record<string, Express.Multer.File[]> | undefined;
  return [...(f?.file ?? []), ...(f?.files ?? [])];
}
