import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The slice of s3rver 3.7's API we use; the package ships no type declarations. */
type S3rverInstance = { run(): Promise<AddressInfo>; close(): Promise<void> };
type S3rverCtor = new (opts: {
  port: number;
  address: string;
  directory: string;
  silent: boolean;
  resetOnClose: boolean;
  /** Off: a signature bug should fail the test, not be waved through. */
  allowMismatchedSignatures: boolean;
  /** Off: minio addresses 127.0.0.1 path-style, and vhost parsing only needs to see a Host it ignores. */
  vhostBuckets: boolean;
}) => S3rverInstance;

// s3rver is CommonJS without types; createRequire keeps the ESM test code typed without a global .d.ts.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

/** A running throwaway S3 server; `stop()` closes it and removes its data. */
export type S3TestServer = { endPoint: string; accessKey: string; secretKey: string; stop(): Promise<void> };

/**
 * Starts s3rver on 127.0.0.1 with a free port and a fresh temp directory.
 * @example const s3 = await startS3Server(); try { ... } finally { await s3.stop(); }
 */
export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'dossierlink-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory,
    silent: true,
    resetOnClose: true,
    allowMismatchedSignatures: false,
    vhostBuckets: false,
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  return {
    endPoint: `http://127.0.0.1:${address.port}`,
    // s3rver's built-in account; any other key pair is rejected.
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    async stop() {
      try {
        await server.close();
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}
