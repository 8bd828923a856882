import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { Conflict, Invalid, NotFound } from '../../errors.js';
import { objectKey, SHA256_HEX, type ListedObject, type ObjectStore, type PutOptions, type StoredObject } from './object-store.js';

/** Connection settings for an S3-compatible server (AWS S3, MinIO, ...). */
export type S3ObjectStoreConfig = {
  /** Base URL, e.g. `http://127.0.0.1:9000`; https is used when the URL says so. */
  endPoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /**
   * Bytes held in memory per upload request (default 16 MiB, minimum 5 MiB as S3 requires).
   * Objects up to this size go in one PUT; larger ones in parts of this size.
   */
  partSize?: number;
};

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 16 * MiB;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;

/** A minio client for an S3 endpoint URL (also used by the audit checkpoint log in the same bucket). */
export function s3Client(cfg: Pick<S3ObjectStoreConfig, 'endPoint' | 'accessKey' | 'secretKey' | 'region'>): Client {
  const url = new URL(cfg.endPoint);
  const useSSL = url.protocol === 'https:';
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: cfg.accessKey,
    secretKey: cfg.secretKey,
    // A fixed region spares a GetBucketLocation round trip before the first request.
    region: cfg.region,
  });
}

/**
 * Content-addressed store in an S3 bucket, keyed `sha256/ab/cd/<sha>`.
 * @example const store = new S3ObjectStore({ endPoint: 'http://127.0.0.1:9000', bucket: 'dossiers', accessKey, secretKey, region: 'us-east-1' });
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  private readonly client: Client;
  private readonly bucket: string;
  private readonly region: string;
  private readonly partSize: number;

  constructor(cfg: S3ObjectStoreConfig) {
    const url = new URL(cfg.endPoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Invalid(`S3 endPoint must be http(s): ${cfg.endPoint}`);
    this.partSize = cfg.partSize ?? DEFAULT_PART_SIZE;
    if (this.partSize < MIN_PART_SIZE) throw new Invalid(`S3 partSize must be at least ${MIN_PART_SIZE} bytes`);
    this.bucket = cfg.bucket;
    this.region = cfg.region;
    this.client = s3Client(cfg);
  }

  async init(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (err) {
      // Another instance may have created it between our check and our create.
      if (s3Code(err) !== 'BucketAlreadyOwnedByYou' && !(await this.client.bucketExists(this.bucket))) throw err;
    }
  }

  async putFile(filePath: string, opts?: PutOptions): Promise<StoredObject> {
    // The key is the hash, so the file is read twice: once to name it, once to upload it.
    const { sha256, size } = await hashFile(filePath);
    await opts?.beforePlace?.(sha256);
    if (await this.stat(sha256)) return { sha256, size, created: false };
    if (size <= this.partSize) {
      const handle = await open(filePath, 'r');
      const bytes = await handle.readFile().finally(() => handle.close());
      assertSameBytes(bytes, sha256);
      await this.client.putObject(this.bucket, objectKey(sha256), bytes, bytes.length, meta(opts));
    } else {
      await this.putLargeFile(filePath, sha256, size, opts);
    }
    return { sha256, size, created: true };
  }

  async putBuffer(bytes: Buffer | Uint8Array, opts?: PutOptions): Promise<StoredObject> {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const sha256 = createHash('sha256').update(buf).digest('hex');
    await opts?.beforePlace?.(sha256);
    if (await this.stat(sha256)) return { sha256, size: buf.length, created: false };
    await this.client.putObject(this.bucket, objectKey(sha256), buf, buf.length, meta(opts));
    return { sha256, size: buf.length, created: true };
  }

  async getStream(sha256: string): Promise<Readable> {
    const key = keyFor(sha256);
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (err) {
      if (isMissingKey(err)) throw new NotFound('object', sha256);
      throw err;
    }
  }

  async getBuffer(sha256: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.getStream(sha256)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async stat(sha256: string): Promise<{ size: number } | null> {
    const key = keyFor(sha256);
    try {
      const info = await this.client.statObject(this.bucket, key);
      return { size: info.size };
    } catch (err) {
      if (isMissingKey(err)) return null;
      throw err;
    }
  }

  async delete(sha256: string): Promise<void> {
    const key = keyFor(sha256);
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (err) {
      if (!isMissingKey(err)) throw err;
    }
  }

  async *list(): AsyncIterable<ListedObject> {
    const stream = this.client.listObjectsV2(this.bucket, 'sha256/', true);
    for await (const item of stream as AsyncIterable<{ name?: string; size?: number; lastModified?: Date }>) {
      const sha256 = item.name?.split('/').pop() ?? '';
      if (!SHA256_HEX.test(sha256) || item.name !== objectKey(sha256)) continue;
      yield { sha256, size: item.size ?? 0, touchedAt: item.lastModified ?? new Date(0) };
    }
  }

  /**
   * Multipart upload driven here rather than by putObject: minio's own multipart path first lists
   * pending uploads to resume them (its resume numbering is off by one, and s3rver does not implement
   * that listing), never aborts a failed upload, and cannot check the bytes it sends against the key.
   * One part buffer is reused, so memory stays at `partSize` whatever the file size.
   */
  private async putLargeFile(filePath: string, sha256: string, size: number, opts?: { contentType?: string }): Promise<void> {
    const key = objectKey(sha256);
    const partSize = Math.max(this.partSize, Math.ceil(size / MAX_PARTS / MiB) * MiB);
    const headers: Record<string, string> = opts?.contentType ? { 'Content-Type': opts.contentType } : {};
    const uploadId = await this.client.initiateNewMultipartUpload(this.bucket, key, headers);
    const handle = await open(filePath, 'r');
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(partSize);
    try {
      const etags: { part: number; etag: string }[] = [];
      let offset = 0;
      for (let part = 1; offset < size; part++) {
        const { bytesRead } = await handle.read(buf, 0, Math.min(partSize, size - offset), offset);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        const { etag } = await this.client.uploadPart(
          { bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: {} },
          chunk,
        );
        etags.push({ part, etag });
        offset += bytesRead;
      }
      // Completing with other bytes would store content under a hash that does not match it.
      if (offset !== size || hash.digest('hex') !== sha256) throw new Conflict('File changed while it was being stored', { filePath });
      await this.client.completeMultipartUpload(this.bucket, key, uploadId, etags);
    } catch (err) {
      // Best effort: left-over parts cost storage, but the original error is what matters.
      await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      throw err;
    } finally {
      await handle.close();
    }
  }
}

/** Streams a file through sha256; never holds more than one read chunk. */
async function hashFile(filePath: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(filePath) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

function assertSameBytes(bytes: Buffer, sha256: string): void {
  if (createHash('sha256').update(bytes).digest('hex') !== sha256) throw new Conflict('File changed while it was being stored');
}

function meta(opts?: { contentType?: string }): Record<string, string> {
  return opts?.contentType ? { 'Content-Type': opts.contentType } : {};
}

function keyFor(sha256: string): string {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw new Invalid('Not a sha256 hex digest (64 lowercase hex characters)', { sha256: String(sha256).slice(0, 80) });
  }
  return objectKey(sha256);
}

function s3Code(err: unknown): string | undefined {
  return (err as { code?: unknown } | null)?.code as string | undefined;
}

/** GET answers NoSuchKey; HEAD has no body, so minio reports the bare status as NotFound. */
function isMissingKey(err: unknown): boolean {
  const code = s3Code(err);
  return code === 'NoSuchKey' || code === 'NotFound';
}
