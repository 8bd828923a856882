import type { Queryable } from './database.js';

/**
 * Every column that keeps an object of the store alive, as `SELECT <hash> AS sha256 FROM ...`.
 * An object none of these name is unreferenced and the sweep removes it after its grace period,
 * so A NEW TABLE OR COLUMN THAT STORES AN OBJECT HASH MUST BE ADDED HERE, or its objects go.
 * Destroyed documents and e-mail messages keep their hashes on the tombstone but no longer keep the bytes; an
 * import's file is needed only while the import runs.
 */
const REFERENCES: { name: string; select: string }[] = [
  { name: 'document original', select: 'SELECT original_sha256 AS sha256 FROM documents WHERE original_sha256 IS NOT NULL AND destroyed_at IS NULL' },
  { name: 'document archive', select: 'SELECT archive_sha256 AS sha256 FROM documents WHERE archive_sha256 IS NOT NULL AND destroyed_at IS NULL' },
  { name: 'coupon batch file', select: 'SELECT sha256 FROM coupon_batch_files' },
  { name: 'coupon review image', select: 'SELECT image_sha256 AS sha256 FROM coupon_reviews WHERE image_sha256 IS NOT NULL' },
  { name: 'coupon review original', select: 'SELECT original_sha256 AS sha256 FROM coupon_reviews WHERE original_sha256 IS NOT NULL' },
  { name: 'e-mail message', select: 'SELECT eml_sha256 AS sha256 FROM mail_messages WHERE destroyed_at IS NULL' },
  { name: 'document thumbnail', select: 'SELECT sha256 FROM document_thumbnails' },
  // An e-invoice's XML pulled out of a Factur-X / ZUGFeRD PDF is an object of its own (destruction removes these rows).
  { name: 'document file', select: 'SELECT sha256 FROM document_files' },
  { name: 'import file', select: "SELECT file_sha256 AS sha256 FROM customer_imports WHERE status IN ('queued','running')" },
];

export const objectRefsRepository = {
  /** All hashes some row refers to (one pass per column; ~70 bytes per hash in memory). */
  async all(q: Queryable): Promise<Set<string>> {
    const out = new Set<string>();
    for (const r of REFERENCES) for (const row of await q.all<{ sha256: string }>(r.select)) out.add(row.sha256);
    return out;
  },

  /** Whether any row refers to `sha256`; each column is indexed, so this is a handful of lookups. */
  async isReferenced(q: Queryable, sha256: string): Promise<boolean> {
    for (const r of REFERENCES) {
      const hit = await q.get(`SELECT 1 FROM (${r.select}) AS refs WHERE sha256 = ? LIMIT 1`, [sha256]);
      if (hit) return true;
    }
    return false;
  },
};
