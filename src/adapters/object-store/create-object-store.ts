import { LocalObjectStore } from './local.object-store.js';
import type { ObjectStore } from './object-store.js';
import type { S3ObjectStoreConfig } from './s3.object-store.js';

/** Which object store to use; config.ts parses the environment into one of these. */
export type ObjectStoreConfig = { kind: 'local'; root: string } | ({ kind: 's3' } & S3ObjectStoreConfig);

/**
 * Builds the configured object store; call `init()` on it before use. The S3 adapter and its
 * client are loaded only when configured: an embedded instance does not read them at every start.
 * @example const store = await createObjectStore({ kind: 'local', root: 'storage/objects' });
 */
export async function createObjectStore(cfg: ObjectStoreConfig): Promise<ObjectStore> {
  switch (cfg.kind) {
    case 'local':
      return new LocalObjectStore({ root: cfg.root });
    case 's3': {
      // Strip the discriminant so only connection settings reach the adapter.
      const { kind: _kind, ...s3 } = cfg;
      const { S3ObjectStore } = await import('./s3.object-store.js');
      return new S3ObjectStore(s3);
    }
  }
}
