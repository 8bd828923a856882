import type { Queryable } from './database.js';
import type { BatchFileRow } from './mailings.repository.js';

/**
 * The stored scans of returned stacks as erasure rewrites them (GDPR art. 17,
 * services/coupon-batch-redaction.ts): which files still hold erased pages, and pointing a file
 * at its redacted copy. Apart from mailingsRepository, which keeps batches as the coupons job
 * reads and settles them, because this changes with what erasure must remove.
 */
export const couponBatchRedactionRepository = {
  /** Batch files holding erased pages that are still in the stored file. */
  filesToRedact(q: Queryable) {
    return q.all<{ batch_id: string; file_no: number }>(
      'SELECT DISTINCT batch_id, file_no FROM coupon_pages WHERE erased_at IS NOT NULL AND redacted_at IS NULL ORDER BY batch_id, file_no',
    );
  },

  batchFile(q: Queryable, batchId: string, fileNo: number) {
    return q.get<BatchFileRow>('SELECT * FROM coupon_batch_files WHERE batch_id = ? AND file_no = ?', [batchId, fileNo]);
  },

  /** The erased pages of one batch file (1-based within the file), redacted from it or not yet. */
  async erasedFilePages(q: Queryable, batchId: string, fileNo: number): Promise<number[]> {
    const rows = await q.all<{ file_page: number }>(
      'SELECT file_page FROM coupon_pages WHERE batch_id = ? AND file_no = ? AND erased_at IS NOT NULL ORDER BY file_page',
      [batchId, fileNo],
    );
    return rows.map((r) => r.file_page);
  },

  /**
   * Points a batch file at its redacted copy, if it is still `expected` (else nothing changes and
   * false is returned: another run replaced it first), and marks those pages redacted.
   */
  async replaceBatchFile(q: Queryable, f: { batchId: string; fileNo: number; expected: string; sha256: string; mime: string; size: number; pages: number[]; now: string }): Promise<boolean> {
    const r = await q.run(
      `UPDATE coupon_batch_files SET original_sha256 = COALESCE(original_sha256, sha256), sha256 = ?, mime = ?, size = ?
       WHERE batch_id = ? AND file_no = ? AND sha256 = ?`,
      [f.sha256, f.mime, f.size, f.batchId, f.fileNo, f.expected],
    );
    if (r.changes === 0) return false;
    for (const page of f.pages) {
      await q.run('UPDATE coupon_pages SET redacted_at = ? WHERE batch_id = ? AND file_no = ? AND file_page = ? AND erased_at IS NOT NULL AND redacted_at IS NULL', [f.now, f.batchId, f.fileNo, page]);
    }
    return true;
  },
};
