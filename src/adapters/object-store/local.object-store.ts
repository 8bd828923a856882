import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFound, Invalid } from '../../errors.js';
import { objectKey, SHA256_HEX, type ListedObject, type ObjectStore, type PutOptions, type StoredObject } from './object-store.js';

/** Temp files older than this are leftovers of a crash: no live write takes an hour. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Content-addressed store on the local filesystem: `<root>/sha256/ab/cd/<sha>`, written through
 * `<root>/tmp/` so a reader never sees a half-written object.
 * @example const store = new LocalObjectStore({ root: 'storage/objects' }); await store.init();
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local' as const;
  private readonly root: string;
  private readonly tmpDir: string;

  constructor(opts: { root: string }) {
    this.root = opts.root;
    this.tmpDir = join(opts.root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(join(this.root, 'sha256'), { recursive: true });
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      // A file may vanish between readdir and stat when another process finishes its write.
      const info = await stat(path).catch(() => null);
      if (info && info.mtimeMs < cutoff) await rm(path, { force: true, recursive: true });
    }
  }

  async putFile(filePath: string, opts?: PutOptions): Promise<StoredObject> {
    const tmp = this.tempPath();
    const out = await open(tmp, 'wx', 0o600);
    const hash = createHash('sha256');
    let size = 0;
    try {
      // Hash and copy in one pass, chunk by chunk, so memory stays flat whatever the file size.
      for await (const chunk of createReadStream(filePath) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
        await out.write(chunk);
      }
      await out.sync();
    } catch (err) {
      await out.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    await out.close();
    const sha256 = hash.digest('hex');
    try {
      await opts?.beforePlace?.(sha256);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return this.commit(tmp, sha256, size);
  }

  async putBuffer(bytes: Buffer | Uint8Array, opts?: PutOptions): Promise<StoredObject> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await opts?.beforePlace?.(sha256);
    // Cheap dedup before touching the disk: the bytes are already in memory.
    if (await this.stat(sha256)) return { sha256, size: bytes.length, created: false };
    const tmp = this.tempPath();
    const out = await open(tmp, 'wx', 0o600);
    try {
      await out.writeFile(bytes);
      await out.sync();
    } catch (err) {
      await out.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    await out.close();
    return this.commit(tmp, sha256, bytes.length);
  }

  async getStream(sha256: string): Promise<Readable> {
    const path = this.pathFor(sha256);
    // Open first so a missing object is a NotFound here, not an 'error' event on the stream later.
    const handle = await open(path, 'r').catch((err: unknown) => {
      throw isMissing(err) ? new NotFound('object', sha256) : err;
    });
    return handle.createReadStream();
  }

  async getBuffer(sha256: string): Promise<Buffer> {
    return readFile(this.pathFor(sha256)).catch((err: unknown) => {
      throw isMissing(err) ? new NotFound('object', sha256) : err;
    });
  }

  async stat(sha256: string): Promise<{ size: number } | null> {
    const info = await stat(this.pathFor(sha256)).catch((err: unknown) => {
      if (isMissing(err)) return null;
      throw err;
    });
    return info ? { size: info.size } : null;
  }

  async delete(sha256: string): Promise<void> {
    // Removing a file needs write access to its folder, not to the file: 0o444 does not block this.
    await unlink(this.pathFor(sha256)).catch((err: unknown) => {
      if (!isMissing(err)) throw err;
    });
  }

  async *list(): AsyncIterable<ListedObject> {
    const base = join(this.root, 'sha256');
    for (const a of await readdir(base).catch(() => [] as string[])) {
      for (const b of await readdir(join(base, a)).catch(() => [] as string[])) {
        for (const name of await readdir(join(base, a, b)).catch(() => [] as string[])) {
          if (!SHA256_HEX.test(name)) continue;
          const info = await stat(join(base, a, b, name)).catch(() => null);
          if (info?.isFile()) yield { sha256: name, size: info.size, touchedAt: info.mtime };
        }
      }
    }
  }

  /** Moves a complete, fsynced temp file into place unless the object exists already. */
  private async commit(tmp: string, sha256: string, size: number): Promise<StoredObject> {
    const final = this.pathFor(sha256);
    try {
      await mkdir(dirname(final), { recursive: true });
      await chmod(tmp, 0o444);
      const created = await placeNoClobber(tmp, final);
      if (created) await syncDir(dirname(final));
      return { sha256, size, created };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private pathFor(sha256: string): string {
    assertSha256(sha256);
    return join(this.root, objectKey(sha256));
  }

  private tempPath(): string {
    return join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
  }
}

/**
 * Puts `tmp` at `final` only if nothing is there yet; true when it did.
 * A hard link fails with EEXIST instead of replacing, so two writers of the same bytes cannot both
 * claim `created` and an existing object is never swapped out. rename() would silently overwrite.
 */
async function placeNoClobber(tmp: string, final: string): Promise<boolean> {
  try {
    await link(tmp, final);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Some filesystems (FAT, certain FUSE/SMB mounts) have no hard links: fall back to check + rename,
    // which is atomic for readers and only racy against a concurrent writer of identical bytes.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      if (await stat(final).then(() => true, () => false)) return false;
      await rename(tmp, final);
      return true;
    }
    throw err;
  }
}

/** Makes the new directory entry durable: without it a power cut can lose a "stored" object. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Not every platform can fsync a directory (Windows); the file itself is already synced.
  } finally {
    await handle.close();
  }
}

function assertSha256(sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw new Invalid('Not a sha256 hex digest (64 lowercase hex characters)', { sha256: String(sha256).slice(0, 80) });
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
