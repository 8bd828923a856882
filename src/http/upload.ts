import { mkdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { PayloadTooLarge } from '../errors.js';

/** multer hands file names over as latin1; browsers and curl send UTF-8. */
export function decodeFileName(name: string): string {
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
      next(err);
    });
  };
}

export function uploadedFiles(req: Request): Express.Multer.File[] {
  const f = req.files as Record<string, Express.Multer.File[]> | undefined;
  return [...(f?.file ?? []), ...(f?.files ?? [])];
}
