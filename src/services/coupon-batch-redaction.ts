import type { Logger } from 'pino';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { redactPages } from '../adapters/pdf/page-subset.js';
import type { Database } from '../db/database.js';
import { couponBatchRedactionRepository } from '../db/coupon-batch-redaction.repository.js';
import type { AuditService } from './audit.service.js';
import { nowIso, today, type Clock } from './clock.js';
import { releasePins, removeIfUnreferenced } from './object-guard.js';

/**
 * GDPR art. 17 over the scans of returned stacks. Erasure blanks a customer's coupon page
 * readings (coupon-page-erasure.ts), but the stack's file, kept by content hash for the coupons
 * job, still shows those pages, beside other customers' pages. Here each such file gets a copy
 * with the erased pages replaced by placeholder pages (same size, same page numbers, a note with
 * the date), the batch file row is pointed at it, and the upload is deleted once no row refers to
 * its bytes (a reply-coupon document kept as uploaded may still). The upload's hash stays on the
 * row (`original_sha256`), so the same stack uploaded again is still refused as a duplicate.
 *
 * Runs after the erasure's transaction has committed (building a PDF holds no write turn), and
 * picks up every erased page not yet redacted, so a run cut short by a crash is finished by the
 * next (an erasure's execution run again). Audited per file as `coupon.batch-file-redact`, with
 * the pages, both hashes and the disposal that ran it (the pages' customer is named by the
 * erasure's `coupon.page-erase` event). A file that cannot be redacted (its object unreadable,
 * say) is logged and counted in `failed`, the others go on, and its pages stay to be redacted by
 * the next run. Returns the files redacted and failed, and the objects deleted.
 */
export async function redactErasedBatchPages(
  deps: { db: Database; store: ObjectStore; audit: AuditService; clock: Clock; logger?: Logger },
  r: { actorId: string; disposalId: string },
): Promise<{ files: number; failed: number; objectsRemoved: string[] }> {
  const { db, store } = deps;
  let files = 0;
  let failed = 0;
  const replaced: string[] = [];
  for (const { batch_id: batchId, file_no: fileNo } of await couponBatchRedactionRepository.filesToRedact(db)) {
    try {
      const old = await redactFile(deps, r, batchId, fileNo);
      if (old) {
        files++;
        replaced.push(old);
      }
    } catch (err) {
      failed++;
      deps.logger?.error({ err, batchId, fileNo }, 'erased pages could not be removed from a coupon batch file; the next run of the erasure tries again');
    }
  }
  return { files, failed, objectsRemoved: await removeIfUnreferenced(db, store, replaced, { logger: deps.logger }) };
}

/** One file's redacted copy stored and put in place; the hash it replaced, or null when there was nothing to do. */
async function redactFile(
  deps: { db: Database; store: ObjectStore; audit: AuditService; clock: Clock; logger?: Logger },
  r: { actorId: string; disposalId: string },
  batchId: string,
  fileNo: number,
): Promise<string | null> {
  const { db, store } = deps;
  const file = await couponBatchRedactionRepository.batchFile(db, batchId, fileNo);
  if (!file) return null;
  const pages = await couponBatchRedactionRepository.erasedFilePages(db, batchId, fileNo);
  const day = today(deps.clock);
  const copy = await redactPages(new Uint8Array(await store.getBuffer(file.sha256)), file.mime, file.page_count, pages, [
    `Pagina verwijderd op ${day} (AVG art. 17).`,
    `Page erased on ${day} (GDPR art. 17).`,
  ]);
  const stored = await store.putBuffer(copy.bytes, { contentType: copy.mime });
  const now = nowIso(deps.clock);
  const done = await db
    .tx(async (q) => {
      const ok = await couponBatchRedactionRepository.replaceBatchFile(q, { batchId, fileNo, expected: file.sha256, sha256: stored.sha256, mime: copy.mime, size: stored.size, pages, now });
      if (!ok) return false;
      await releasePins(q, stored);
      await deps.audit.record(q, {
        actorId: r.actorId,
        action: 'coupon.batch-file-redact',
        subjectType: 'coupon-batch',
        subjectId: batchId,
        details: { disposalId: r.disposalId, fileNo, pages, replaced: file.sha256, by: stored.sha256 },
      });
      return true;
    })
    .catch(async (err: unknown) => {
      await removeIfUnreferenced(db, store, [stored.sha256], { ownPins: [stored] }).catch(() => undefined);
      throw err;
    });
  if (!done) {
    // Another run replaced the file meanwhile: its copy stands, this one goes (unless it is the same bytes).
    await removeIfUnreferenced(db, store, [stored.sha256], { ownPins: [stored] });
    return null;
  }
  deps.logger?.info({ batchId, fileNo, pages: pages.length }, 'erased pages removed from a coupon batch file');
  return file.sha256;
}
