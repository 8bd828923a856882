import { reviewOwner } from './coupon-review-subjects.repository.js';
import { holdKeepsReplyCoupon, SUBJECT, subjectParams } from './data-subject.js';
import type { Queryable } from './database.js';
import { jsonArrayValues } from './dialect.js';
import { holdCovers } from './holds.repository.js';
import type { CouponPageRow } from './mailings.repository.js';

/** A coupon page with the review item its unit became (if any) and the day its batch came in. */
export type CouponPageSubjectRow = CouponPageRow & { review_id: string | null; batch_created_at: string };

/**
 * The customer a coupon page's readings are about (`p` is the page, `coupon_reviews` the review
 * item of its unit, LEFT JOINed): a page of a review item belongs to that item's owner (reviewOwner:
 * the customer a reviewer resolved it to, else the separator's, else the letter of the code), so the
 * readings go with the scan; otherwise to the letter whose reply its unit was recorded as (a coupon
 * and its attached pages), else to the letter whose code the page shows (a page not yet settled),
 * else to the customer a separator sheet names. One owner per page.
 */
const pageOwner = (q: Pick<Queryable, 'dialect'>) => `CASE WHEN coupon_reviews.id IS NOT NULL THEN ${reviewOwner(q)} ELSE COALESCE(
    (SELECT rl.customer_id FROM mailing_letters rl WHERE rl.reply_batch_id = p.batch_id AND rl.reply_unit = p.unit ORDER BY rl.barcode LIMIT 1),
    (SELECT cl.customer_id FROM mailing_letters cl WHERE cl.barcode = p.code),
    (SELECT s.customer_id FROM separator_sheets s WHERE s.barcode = p.code)) END`;

/**
 * The subject's pages, not erased: candidates found through the subject's letters, separator sheets
 * and review items (indexed paths, no scan of every page), then kept only where pageOwner is the
 * subject. Binds subjectParams; leaves aliases p (page), b (batch) and coupon_reviews.
 */
const owned = (q: Pick<Queryable, 'dialect'>) => ({
  with: `${SUBJECT}, cand(batch_id, page_no) AS (
      SELECT p.batch_id, p.page_no FROM mailing_letters l JOIN coupon_pages p ON p.code = l.barcode WHERE l.customer_id IN (SELECT id FROM subject)
      UNION SELECT p.batch_id, p.page_no FROM mailing_letters l JOIN coupon_pages p ON p.batch_id = l.reply_batch_id AND p.unit = l.reply_unit WHERE l.customer_id IN (SELECT id FROM subject)
      UNION SELECT p.batch_id, p.page_no FROM separator_sheets s JOIN coupon_pages p ON p.code = s.barcode WHERE s.customer_id IN (SELECT id FROM subject)
      UNION SELECT p.batch_id, p.page_no FROM coupon_reviews JOIN coupon_pages p ON p.batch_id = coupon_reviews.batch_id AND p.unit = coupon_reviews.unit
        WHERE ${reviewOwner(q)} IN (SELECT id FROM subject))`,
  from: `FROM cand JOIN coupon_pages p ON p.batch_id = cand.batch_id AND p.page_no = cand.page_no
      JOIN coupon_batches b ON b.id = p.batch_id
      LEFT JOIN coupon_reviews ON coupon_reviews.batch_id = p.batch_id AND coupon_reviews.unit = p.unit`,
  where: `p.erased_at IS NULL AND ${pageOwner(q)} IN (SELECT id FROM subject)`,
});

/**
 * Coupon pages (what the coupons job read on each page of a returned batch: code, answer, tick
 * readings) by the customer they are about, for the subject-access export and erasure (GDPR art.
 * 15 and 17). The batch and its page list stay; erasure blanks a page's readings.
 */
export const couponPageSubjectsRepository = {
  /** The customer's coupon pages with readings (erased ones are left out), by batch arrival and page. */
  ofCustomer(q: Queryable, customerId: string) {
    const o = owned(q);
    return q.all<CouponPageSubjectRow>(
      `${o.with} SELECT p.*, coupon_reviews.id AS review_id, b.created_at AS batch_created_at ${o.from} WHERE ${o.where}
       ORDER BY b.created_at, p.batch_id, p.page_no`,
      subjectParams(customerId),
    );
  },

  /**
   * Active legal holds that keep the customer's pages outside review items, as (page, hold) pairs
   * (a review item's pages follow that item: couponReviewSubjectsRepository.held). Such a page is
   * held as the reply-coupon document its unit became or would become, as review items are: by a
   * hold on its customer, by a structured query hold whose customer, type and dates (the day its
   * batch came in) match, or by any hold that covers the document its unit was recorded as.
   */
  held(q: Queryable, customerId: string) {
    const o = owned(q);
    const day = 'substr(b.created_at, 1, 10)';
    return q.all<{ batch_id: string; page_no: number; hold_id: string }>(
      `${o.with} SELECT p.batch_id, p.page_no, h.id AS hold_id ${o.from}
       JOIN legal_holds h ON h.released_at IS NULL AND (
         ${holdKeepsReplyCoupon(day)}
         OR EXISTS (SELECT 1 FROM mailing_letters rl JOIN documents d ON d.id = rl.reply_document_id
                    WHERE rl.reply_batch_id = p.batch_id AND rl.reply_unit = p.unit AND ${holdCovers('h', 'd')}))
       WHERE coupon_reviews.id IS NULL AND ${o.where}
       ORDER BY p.batch_id, p.page_no, h.id`,
      subjectParams(customerId),
    );
  },

  /** Blanks the readings of these pages of one batch and marks them erased; returns how many changed. */
  async erase(q: Queryable, batchId: string, pageNos: number[], at: string): Promise<number> {
    if (pageNos.length === 0) return 0;
    const r = await q.run(
      `UPDATE coupon_pages SET code = NULL, answer = NULL, ticks = NULL, erased_at = ?
       WHERE batch_id = ? AND erased_at IS NULL AND page_no IN (${jsonArrayValues(q, 'integer')})`,
      [at, batchId, JSON.stringify(pageNos)],
    );
    return r.changes;
  },

  /** Whether any of these pages of one batch has been erased (read inside the transaction that would settle them). */
  async anyErased(q: Queryable, batchId: string, pageNos: number[]): Promise<boolean> {
    if (pageNos.length === 0) return false;
    const r = await q.get<{ x: number }>(
      `SELECT 1 AS x FROM coupon_pages WHERE batch_id = ? AND erased_at IS NOT NULL AND page_no IN (${jsonArrayValues(q, 'integer')}) LIMIT 1`,
      [batchId, JSON.stringify(pageNos)],
    );
    return r !== undefined;
  },
};
