import type { Logger } from 'pino';
import type { ListedObject, ObjectStore } from '../adapters/object-store/object-store.js';
import type { Database } from '../db/database.js';
import { objectRefsRepository } from '../db/object-refs.repository.js';

/** Objects re-checked per transaction (the writer lock is held for the checks), then removed after its commit. */
const BATCH = 100;

export const OBJECT_SWEEP_JOB = 'object-sweep';

/**
 * Removes objects of the store that no row refers to: left by a write that failed after storing
 * its file, by a crash between a destruction's commit and its deletes, or by a job whose result
 * never committed. Each candidate is checked again in a write transaction (it takes its turn
 * after every writer before it, so a row committed meanwhile keeps its object); the deletes run
 * after that transaction, so the write lock is never held over an S3 round trip and a check that
 * fails or rolls back deletes nothing. The grace period covers the moment between storing an
 * object and committing the row that refers to it. (A writer that found the object already
 * stored, by its hash, and commits its row between the check and the delete loses it; that was
 * so with the delete inside the transaction too, as its put came before both.)
 *
 *     await removeIfUnreferenced(db, store, [stored.sha256]); // after a refused write
 */
export async function removeIfUnreferenced(db: Database, store: ObjectStore, hashes: string[]): Promise<string[]> {
  if (hashes.length === 0) return [];
  const unreferenced = await db.tx(async (q) => {
    const out: string[] = [];
    for (const h of new Set(hashes)) if (!(await objectRefsRepository.isReferenced(q, h))) out.push(h);
    return out;
  });
  // `delete` is idempotent: one that fails here is left for the next sweep.
  for (const h of unreferenced) await store.delete(h);
  return unreferenced;
}

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

  /** Removes what `unreferenced` finds; returns how many objects and bytes went. */
  async sweep(graceMs: number, signal?: AbortSignal): Promise<{ candidates: number; removed: number; bytes: number }> {
    const candidates = await this.unreferenced(graceMs);
    const size = new Map(candidates.map((o) => [o.sha256, o.size]));
    let removed = 0;
    let bytes = 0;
    for (let i = 0; i < candidates.length; i += BATCH) {
      signal?.throwIfAborted();
      for (const h of await removeIfUnreferenced(this.db, this.store, candidates.slice(i, i + BATCH).map((o) => o.sha256))) {
        removed++;
        bytes += size.get(h) ?? 0;
      }
    }
    if (removed > 0) this.logger?.info({ removed, bytes, graceMs }, 'unreferenced objects removed from the store');
    return { candidates: candidates.length, removed, bytes };
  }
}
