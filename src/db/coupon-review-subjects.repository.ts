import { holdKeepsReplyCoupon, SUBJECT, subjectParams } from './data-subject.js';
import type { Queryable } from './database.js';
import { jsonArrayValues, jsonText } from './dialect.js';
import { holdCovers } from './holds.repository.js';
import { REVIEW_CUSTOMER, type ReviewRow } from './mailings.repository.js';

/**
 * The customer a review item holds personal data of, for subject rights: the customer whose letter
 * a reviewer resolved it to (a person looked at the scan), else REVIEW_CUSTOMER (the separator
 * sheet's customer, else the letter whose code was read). One owner per item, so an item never
 * goes into two customers' exports or erasures.
 */
export const reviewOwner = (q: Pick<Queryable, 'dialect'>) => `COALESCE(${jsonText(q, 'coupon_reviews.resolution', 'customerId')}, ${REVIEW_CUSTOMER})`;

/**
 * Coupon review items by the customer they are about, for the subject-access export and erasure
 * (GDPR art. 15 and 17). Split from mailings.repository.ts, which keeps the review queue itself.
 */
export const couponReviewSubjectsRepository = {
  /** Every review item of a customer (open, resolved, discarded), oldest first. */
  ofCustomer(q: Queryable, customerId: string) {
    return q.all<ReviewRow>(
      `${SUBJECT} SELECT coupon_reviews.* FROM coupon_reviews WHERE ${reviewOwner(q)} IN (SELECT id FROM subject) ORDER BY coupon_reviews.created_at, coupon_reviews.id`,
      subjectParams(customerId),
    );
  },

  /**
   * Active legal holds that keep a customer's review items, as (item, hold) pairs. An item is held
   * as the reply-coupon document it is or would become: by a hold on its customer, by a structured
   * query hold whose customer, type and dates (the day it came in) match, or by any hold that covers
   * the document it was resolved into.
   */
  held(q: Queryable, customerId: string) {
    const day = 'substr(coupon_reviews.created_at, 1, 10)';
    return q.all<{ review_id: string; hold_id: string }>(
      `${SUBJECT} SELECT coupon_reviews.id AS review_id, h.id AS hold_id FROM coupon_reviews JOIN legal_holds h ON h.released_at IS NULL AND (
         ${holdKeepsReplyCoupon(day)}
         OR EXISTS (SELECT 1 FROM documents d WHERE d.id = ${jsonText(q, 'coupon_reviews.resolution', 'documentId')} AND ${holdCovers('h', 'd')}))
       WHERE ${reviewOwner(q)} IN (SELECT id FROM subject)
       ORDER BY coupon_reviews.id, h.id`,
      subjectParams(customerId),
    );
  },

  /** Deletes these review items (erasure); returns how many went. */
  async remove(q: Queryable, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await q.run(`DELETE FROM coupon_reviews WHERE id IN (${jsonArrayValues(q)})`, [JSON.stringify(ids)])).changes;
  },
};
