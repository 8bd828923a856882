import type { Logger } from 'pino';
import type { ListedObject, ObjectStore } from '../adapters/object-store/object-store.js';
import type { Database } from '../db/database.js';
import { objectPinsRepository } from '../db/object-pins.repository.js';
import { objectRefsRepository } from '../db/object-refs.repository.js';
import { CLAIM_STALE_MS, removeIfUnreferenced } from './object-guard.js';

export { removeIfUnreferenced };

/** Objects re-checked per transaction (the writer lock is held for the checks), then removed after its commit. */
const BATCH = 100;

export const OBJECT_SWEEP_JOB = 'object-sweep';

/**
 * Removes objects of the store that no row refers to: left by a write that failed after storing
 * its file, by a crash between a destruction's commit and its deletes, or by a job whose result
 * never committed; and those a deletion deferred because a write was storing the same bytes again
 * (src/services/object-guard.ts). Each candidate goes through `removeIfUnreferenced`: checked
 * again in a write transaction (so a row or a pin committed meanwhile keeps its object), claimed,
 * deleted after that transaction, so the write lock is never held over an S3 round trip and a
 * check that fails or rolls back deletes nothing. The grace period covers the moment between
 * storing an object and committing the row that refers to it; expired pins and stale claims go first.
 */
export class ObjectSweepService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly logger?: Logger,
  ) {}

  /**
   * Objects no row refers to that were stored more than `graceMs` ago. Store times are wall-clock
   * (file mtime, S3 LastModified), so the cutoff is too, whatever clock the services run on.
   */
  async unreferenced(graceMs: number): Promise<ListedObject[]> {
    const refs = await objectRefsRepository.all(this.db);
    const cutoff = Date.now() - graceMs;
    const out: ListedObject[] = [];
    for await (const o of this.store.list()) if (!refs.has(o.sha256) && o.touchedAt.getTime() <= cutoff) out.push(o);
    return out;
  }

  /**
   * Drops expired pins and stale claims, then removes what `unreferenced` finds and what deletions
   * deferred (whatever its age); returns how many objects and bytes went.
   */
  async sweep(graceMs: number, signal?: AbortSignal): Promise<{ candidates: number; removed: number; bytes: number }> {
    const now = Date.now();
    const expired = await this.db.tx((q) => objectPinsRepository.expire(q, new Date(now).toISOString(), new Date(now - CLAIM_STALE_MS).toISOString()));
    const candidates = await this.unreferenced(graceMs);
    const size = new Map(candidates.map((o) => [o.sha256, o.size]));
    const hashes = candidates.map((o) => o.sha256);
    for (const h of await objectPinsRepository.deferred(this.db)) {
      if (size.has(h)) continue;
      const st = await this.store.stat(h);
      // Gone already (a later deletion took it): nothing left to defer.
      if (!st) {
        await this.db.tx((q) => objectPinsRepository.undefer(q, h));
        continue;
      }
      hashes.push(h);
      size.set(h, st.size);
    }
    let removed = 0;
    let bytes = 0;
    for (let i = 0; i < hashes.length; i += BATCH) {
      signal?.throwIfAborted();
      for (const h of await removeIfUnreferenced(this.db, this.store, hashes.slice(i, i + BATCH), { logger: this.logger })) {
        removed++;
        bytes += size.get(h) ?? 0;
      }
    }
    if (removed > 0 || expired.pins > 0 || expired.claims > 0) {
      this.logger?.info({ removed, bytes, graceMs, expiredPins: expired.pins, staleClaims: expired.claims }, 'unreferenced objects removed from the store (pinned ones are kept until their writes finish)');
    }
    return { candidates: hashes.length, removed, bytes };
  }
}
