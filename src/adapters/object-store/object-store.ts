import type { Readable } from 'node:stream';

/**
 * An object written to the store: its content hash is its key. `pin` names the write's pin
 * (src/services/object-guard.ts) when the store is guarded: `releasePins` in the transaction that
 * writes the row referring to the object ends it at once instead of at its expiry.
 */
export type StoredObject = { sha256: string; size: number; created: boolean; pin?: string };

/** Options of a put. */
export type PutOptions = {
  contentType?: string;
  /**
   * Called once the hash is known and before the store looks whether the object is there already
   * (and so decides `created`); the put waits for it. Where the guard pins the hash.
   */
  beforePlace?: (sha256: string) => Promise<void>;
};

/**
 * Content-addressed object store. Every object's key is the sha256 of its bytes, so the same bytes
 * are stored once and an original can never be altered in place. Implementations: local
 * filesystem (default) and S3/MinIO.
 */
export interface ObjectStore {
  readonly kind: 'local' | 's3';
  /** Creates buckets/folders. Safe to call more than once. */
  init(): Promise<void>;
  /** Streams a file into the store; hashes while copying. Idempotent for the same bytes. */
  putFile(filePath: string, opts?: PutOptions): Promise<StoredObject>;
  putBuffer(bytes: Buffer | Uint8Array, opts?: PutOptions): Promise<StoredObject>;
  /** Throws NotFound (src/errors.ts) when the object is missing. */
  getStream(sha256: string): Promise<Readable>;
  getBuffer(sha256: string): Promise<Buffer>;
  /** null when the object is missing. */
  stat(sha256: string): Promise<{ size: number } | null>;
  /** Removes the object; no error when it is already gone. */
  delete(sha256: string): Promise<void>;
  /**
   * Every object in the store with its size and when it was stored, in no particular
   * order, streamed (a store may hold millions). For the sweep of unreferenced objects.
   */
  list(): AsyncIterable<ListedObject>;
}

/** One entry of `ObjectStore.list()`. */
export type ListedObject = {
  sha256: string;
  size: number;
  /** When the bytes were first stored (a later put of the same bytes does not move it). */
  touchedAt: Date;
};

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Where an object lives inside a store: fanned out so no folder holds millions of files. */
export function objectKey(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new RangeError('not a sha256 hex digest');
  return `sha256/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
}
