import type { Logger } from 'pino';
import { makeThumbnail } from '../adapters/image/thumbnail.js';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import type { Database } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { overviewRepository, type ThumbnailRow } from '../db/overview.repository.js';
import { nowIso, type Clock } from './clock.js';
import { releasePins, removeIfUnreferenced } from './object-guard.js';

/**
 * Thumbnails of first pages: made once (at ingest, or on first request for documents from before
 * thumbnails existed, or by the backfill) and kept in the object store; never rendered per request.
 */
export class ThumbnailService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  /**
   * The thumbnail of a document, made now if it has none; null for paper without a scan.
   * `forRequest`: a request waits for it (see makeThumbnail).
   */
  async ensure(documentId: string, opts: { forRequest?: boolean } = {}): Promise<ThumbnailRow | null> {
    const existing = await overviewRepository.thumbnail(this.db, documentId);
    if (existing) return existing;
    const row = await documentsRepository.get(this.db, documentId);
    if (!row?.original_sha256 || !row.original_mime) return null;
    // A bare e-invoice (XML) is seen through its rendered archive PDF.
    const [sha, mime] = row.original_mime === 'application/xml' ? [row.archive_sha256, 'application/pdf'] : [row.original_sha256, row.original_mime];
    if (!sha) return null;
    const t = await makeThumbnail(new Uint8Array(await this.store.getBuffer(sha)), mime, opts);
    const stored = await this.store.putBuffer(t.data, { contentType: t.mime });
    const kept = await this.db.tx(async (q) => {
      // A document destroyed meanwhile gets no thumbnail (destruction removes them in its own transaction).
      const now = await documentsRepository.get(q, documentId);
      if (!now || now.destroyed_at) return false;
      await overviewRepository.putThumbnail(q, { document_id: documentId, sha256: stored.sha256, mime: t.mime, width: t.width, height: t.height, created_at: nowIso(this.clock) });
      await releasePins(q, stored);
      return true;
    });
    // ...and its image goes at once, not after the sweep's grace period: it is a copy of the first page.
    if (!kept) await removeIfUnreferenced(this.db, this.store, [stored.sha256], { ownPins: [stored] });
    return (await overviewRepository.thumbnail(this.db, documentId)) ?? null;
  }

  /** After ingest: a failing thumbnail never fails the document, it is made later on request. */
  async afterIngest(documentId: string): Promise<void> {
    try {
      await this.ensure(documentId);
    } catch (err) {
      this.logger?.warn({ err, documentId }, 'thumbnail not made at ingest');
    }
  }

  async bytes(t: ThumbnailRow): Promise<Buffer> {
    return this.store.getBuffer(t.sha256);
  }

  /** Makes the missing thumbnails of up to `limit` documents (oldest first); returns how many were made and failed. */
  async backfill(limit: number): Promise<{ made: number; failed: number; remaining: number }> {
    let made = 0;
    let failed = 0;
    for (const { id } of await overviewRepository.withoutThumbnail(this.db, limit)) {
      try {
        if (await this.ensure(id)) made++;
      } catch (err) {
        failed++;
        this.logger?.warn({ err, documentId: id }, 'thumbnail backfill failed');
      }
    }
    const remaining = (await overviewRepository.withoutThumbnail(this.db, 1_000_000)).length - failed;
    return { made, failed, remaining: Math.max(0, remaining) };
  }
}
