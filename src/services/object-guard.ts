import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ListedObject, ObjectStore, PutOptions, StoredObject } from '../adapters/object-store/object-store.js';
import type { Database, Queryable } from '../db/database.js';
import { objectPinsRepository } from '../db/object-pins.repository.js';
import { objectRefsRepository } from '../db/object-refs.repository.js';

/*
 * Why writes and deletions of shared objects need a protocol
 * -----------------------------------------------------------
 * Objects are stored by content hash, so a write of bytes that are already there writes nothing
 * (`created: false`) and relies on the object it found. A deletion decides in a transaction that
 * no row refers to a hash and deletes the object after its commit (never holding the write lock
 * over a store round trip). Without more, a write whose put found the object BEFORE the delete,
 * and whose row commits AFTER the deletion's check, refers to an object that is gone.
 *
 * The protocol (transactions take turns on both engines: SQLite's one writer, PostgreSQL's
 * cluster-wide advisory lock, so "before"/"after" below is their commit order):
 *   write:    W1 one transaction: insert a PIN (hash, this write, expires in PIN_MS) and read the
 *                deletion CLAIM of the hash;
 *             W2 while a claim is there, wait (poll) for it to go, at most CLAIM_WAIT_MS;
 *             W3 put (stat, then store unless present: re-creates what a deletion removed);
 *             W4 commit the row that refers to the hash, releasing the pin in that same
 *                transaction where the writer does so (`releasePins`), else it expires.
 *   deletion: D1 one transaction: per hash, keep it if a row refers to it or an unexpired pin
 *                holds it (and remember it, deferred, for the sweep); else insert a claim;
 *             D2 delete the claimed objects, starting none later than DELETE_BUDGET_MS after D1
 *                began (the rest stay for the sweep);
 *             D3 one transaction: remove its claims (also when a delete failed).
 * Interleavings of a write W and a deletion D of the same hash:
 *   - W1 before D1: D1 sees the pin and keeps the object, whenever W3 and W4 come.
 *   - D1 before W1: W1 sees the claim and W2 waits until D3, so W3 comes after every delete of D
 *     and stores the bytes again if D removed them. W4 then refers to an object that is there.
 *   - D1 before W1 and D died before D3: W2 gives up after CLAIM_WAIT_MS (and drops the claim).
 *     D started no delete later than DELETE_BUDGET_MS after D1, well before W3, so W3 still
 *     comes after it. (Left: a single store delete that hangs for longer than the difference.)
 *   - W4 before D1: the row keeps the object, as it always did.
 *   - W's pin expired before W4 (a write that takes longer than PIN_MS between its put and its
 *     commit): unprotected, as before this protocol; PIN_MS is far above any writer's gap.
 * Two deletions of one hash: the second finds the claim and leaves the object to the first.
 * The cost: one small transaction per put; reads are untouched. The consequence: an object that
 * a recent write pinned is not deleted by a destruction at once (unless that writer released its
 * pin when its row committed); the hourly sweep deletes it once the pin is gone, if still unreferenced.
 */

/** How long a pin holds: far longer than any writer takes between its put and its commit. */
export const PIN_MS = 10 * 60_000;
/** The longest a write waits for a deletion's claim before it treats the claim as left by a crash. */
export const CLAIM_WAIT_MS = 30_000;
/** A deletion starts no delete later than this after its claim: well inside CLAIM_WAIT_MS. */
export const DELETE_BUDGET_MS = 10_000;
/** A claim this old is left by a crash: another deletion may take it over, the sweep drops it. */
export const CLAIM_STALE_MS = 5 * 60_000;
const POLL_MS = 100;

/** A pin's transaction waiting this long for the write lock is likely asked for inside an open transaction (see `pin`). */
export const LOCK_WAIT_WARN_MS = 15_000;

export type GuardOptions = { pinMs?: number; claimWaitMs?: number; pollMs?: number; lockWaitWarnMs?: number; logger?: Logger };

/**
 * The object store every service uses: puts pin their hash first and wait for a running deletion
 * of it (see the protocol above); everything else goes straight to the store underneath.
 *
 *     const store = new GuardedObjectStore(createObjectStore(cfg), db);
 *     const stored = await store.putFile(path);           // pinned
 *     await db.tx(async (q) => { ...insert row...; await releasePins(q, stored); });
 */
export class GuardedObjectStore implements ObjectStore {
  readonly kind: ObjectStore['kind'];

  constructor(
    /** The store underneath, unguarded: for tools that copy objects while nothing else runs. */
    readonly inner: ObjectStore,
    private readonly db: Database,
    private readonly opts: GuardOptions = {},
  ) {
    this.kind = inner.kind;
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  async putFile(filePath: string, opts?: PutOptions): Promise<StoredObject> {
    const pinned = this.pinning(opts);
    return { ...(await this.inner.putFile(filePath, pinned.opts)), pin: pinned.pin() };
  }

  async putBuffer(bytes: Buffer | Uint8Array, opts?: PutOptions): Promise<StoredObject> {
    const pinned = this.pinning(opts);
    return { ...(await this.inner.putBuffer(bytes, pinned.opts)), pin: pinned.pin() };
  }

  getStream(sha256: string): Promise<Readable> {
    return this.inner.getStream(sha256);
  }
  getBuffer(sha256: string): Promise<Buffer> {
    return this.inner.getBuffer(sha256);
  }
  stat(sha256: string): Promise<{ size: number } | null> {
    return this.inner.stat(sha256);
  }
  delete(sha256: string): Promise<void> {
    return this.inner.delete(sha256);
  }
  list(): AsyncIterable<ListedObject> {
    return this.inner.list();
  }

  /** Put options whose `beforePlace` pins the hash (the store calls it once it knows the hash). */
  private pinning(opts?: PutOptions): { opts: PutOptions; pin: () => string | undefined } {
    let pin: string | undefined;
    const beforePlace = async (sha256: string) => {
      pin = await this.pin(sha256);
      await opts?.beforePlace?.(sha256);
    };
    return { opts: { ...opts, beforePlace }, pin: () => pin };
  }

  /** W1 and W2 of the protocol: pins `sha256`, then waits out a deletion of it. Returns the pin. */
  private async pin(sha256: string): Promise<string> {
    const holder = randomUUID();
    const started = performance.now();
    const pinMs = this.opts.pinMs ?? PIN_MS;
    const waitMs = this.opts.claimWaitMs ?? CLAIM_WAIT_MS;
    // The pin is a transaction of its own. A put awaited inside an open transaction waits for that
    // one for good (one writer), silently: after a while say so, with where the put came from.
    // (Marking transactions with AsyncLocalStorage would tell at once, but on Node 20 it slows
    // every promise of the process: the suite ran 22% longer.)
    const asked = new Error('object put waiting for the write lock');
    const warn = setTimeout(() => this.opts.logger?.error({ sha256, stack: asked.stack }, 'an object put has waited long for the write lock: is it stored inside a database transaction? Store it before the transaction'), this.opts.lockWaitWarnMs ?? LOCK_WAIT_WARN_MS);
    warn.unref();
    let claim = await this.db
      .tx(async (q) => {
        clearTimeout(warn);
        await objectPinsRepository.pin(q, { sha256, holder, expiresAt: new Date(Date.now() + pinMs).toISOString() });
        return objectPinsRepository.claim(q, sha256);
      })
      .finally(() => clearTimeout(warn));
    while (claim) {
      if (performance.now() - started >= waitMs) {
        // Its deletion started its last delete long ago: a crash left the claim. Later writes need not wait for it again.
        const left = claim;
        await this.db.tx((q) => objectPinsRepository.releaseClaims(q, left.holder, sha256));
        this.opts.logger?.warn({ sha256, claimedAt: left.claimed_at }, 'object deletion claim left behind; stored anyway');
        break;
      }
      await sleep(this.opts.pollMs ?? POLL_MS);
      claim = await objectPinsRepository.claim(this.db, sha256);
    }
    return holder;
  }
}

/**
 * Ends the pins of these writes, in the transaction that commits the rows referring to them (from
 * then on the rows keep the objects), so a destruction soon after can delete them at once.
 * Optional: a pin nobody releases expires after PIN_MS.
 *
 *     await db.tx(async (q) => { await documentsRepository.insert(q, ...); await releasePins(q, stored); });
 */
export async function releasePins(q: Queryable, ...stored: (Pick<StoredObject, 'sha256' | 'pin'> | null | undefined)[]): Promise<void> {
  for (const s of stored) if (s?.pin) await objectPinsRepository.unpin(q, s.sha256, s.pin);
}

export type RemoveOptions = {
  /** The caller's own writes of these objects (a refused write cleaning up): their pins go first, in the same transaction. */
  ownPins?: Pick<StoredObject, 'sha256' | 'pin'>[];
  deleteBudgetMs?: number;
  claimStaleMs?: number;
  logger?: Logger;
};

/**
 * Deletes from the store those of `hashes` that no row refers to and no running write pins: D1-D3
 * of the protocol above. A pinned one is kept and deferred: the sweep deletes it once unpinned.
 * Returns the hashes deleted. Every deletion of a stored object goes through here.
 *
 *     await removeIfUnreferenced(db, store, objects); // after a destruction's commit
 *     await removeIfUnreferenced(db, store, [stored.sha256], { ownPins: [stored] }); // after a refused write
 */
export async function removeIfUnreferenced(db: Database, store: ObjectStore, hashes: string[], opts: RemoveOptions = {}): Promise<string[]> {
  if (hashes.length === 0) return [];
  const holder = randomUUID();
  const started = performance.now();
  const { claimed, deferred } = await db.tx(async (q) => {
    const now = new Date();
    const nowIso = now.toISOString();
    const staleBefore = new Date(now.getTime() - (opts.claimStaleMs ?? CLAIM_STALE_MS)).toISOString();
    const out = { claimed: [] as string[], deferred: [] as string[] };
    await releasePins(q, ...(opts.ownPins ?? []));
    for (const h of new Set(hashes)) {
      if (await objectRefsRepository.isReferenced(q, h)) {
        await objectPinsRepository.undefer(q, h);
      } else if (await objectPinsRepository.isPinned(q, h, nowIso)) {
        await objectPinsRepository.defer(q, h, nowIso);
        out.deferred.push(h);
      } else if (await objectPinsRepository.claimForDeletion(q, { sha256: h, holder, now: nowIso, staleBefore })) {
        await objectPinsRepository.undefer(q, h);
        out.claimed.push(h);
      }
      // else: another deletion claimed it a moment ago and deletes it.
    }
    return out;
  });
  if (deferred.length) opts.logger?.info({ deferred: deferred.length }, 'objects a write is storing again kept for now; the object sweep deletes them once unreferenced');
  const deleted: string[] = [];
  try {
    for (const h of claimed) {
      // Past the budget a waiting write may go ahead: what is left goes to the sweep.
      if (performance.now() - started > (opts.deleteBudgetMs ?? DELETE_BUDGET_MS)) break;
      await store.delete(h);
      deleted.push(h);
    }
  } finally {
    // `delete` is idempotent: what was not deleted (budget spent, or a delete failed) is the sweep's.
    const left = claimed.slice(deleted.length);
    await db
      .tx(async (q) => {
        const now = new Date().toISOString();
        for (const h of left) await objectPinsRepository.defer(q, h, now);
        await objectPinsRepository.releaseClaims(q, holder);
      })
      .catch((err: unknown) => opts.logger?.warn({ err }, 'object deletion claims not removed; they go stale'));
  }
  return deleted;
}
