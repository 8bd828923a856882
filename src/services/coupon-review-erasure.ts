import { couponReviewSubjectsRepository } from '../db/coupon-review-subjects.repository.js';
import type { Queryable } from '../db/database.js';
import type { ReviewRow } from '../db/mailings.repository.js';
import { objectRefsRepository } from '../db/object-refs.repository.js';
import type { AuditService } from './audit.service.js';

/**
 * A customer's coupon review items as erasure sees them: those that go, and those an active legal
 * hold keeps (with the holds). Review items have no retention period of their own: the duty to keep
 * a signed reply coupon is carried by the reply-coupon document a resolved item became, which keeps
 * the same scan under its own retention and holds; so only a hold keeps an item itself.
 */
export async function couponReviewsForErasure(q: Queryable, customerId: string): Promise<{ remove: ReviewRow[]; held: { review: ReviewRow; holds: string[] }[] }> {
  const items = await couponReviewSubjectsRepository.ofCustomer(q, customerId);
  const holds = new Map<string, string[]>();
  for (const h of await couponReviewSubjectsRepository.held(q, customerId)) holds.set(h.review_id, [...(holds.get(h.review_id) ?? []), h.hold_id]);
  return {
    remove: items.filter((r) => !holds.has(r.id)),
    held: items.filter((r) => holds.has(r.id)).map((review) => ({ review, holds: holds.get(review.id)! })),
  };
}

/**
 * Destroys coupon review items inside the caller's transaction: the rows go, and their page image
 * and scanned original are returned for removeIfUnreferenced after the commit (a reply-coupon
 * document or a coupon batch may hold the same bytes; the check after the delete, as for e-mail
 * messages, says in the audit which ones stay). Audited per item with the hashes, as destruction is.
 */
export async function destroyCouponReviewsInTx(
  q: Queryable,
  audit: AuditService,
  reviews: ReviewRow[],
  r: { actorId: string; customerId: string; reason: string },
): Promise<string[]> {
  await couponReviewSubjectsRepository.remove(q, reviews.map((x) => x.id));
  const candidates: string[] = [];
  for (const x of reviews) {
    const hashes = [...new Set([x.image_sha256, x.original_sha256].filter((h): h is string => h !== null))];
    const gone: string[] = [];
    const kept: string[] = [];
    for (const h of hashes) (await objectRefsRepository.isReferenced(q, h) ? kept : gone).push(h);
    for (const h of gone) if (!candidates.includes(h)) candidates.push(h);
    await audit.record(q, {
      actorId: r.actorId,
      action: 'coupon.review-destroy',
      subjectType: 'coupon-review',
      subjectId: x.id,
      customerId: r.customerId,
      details: { reason: r.reason, status: x.status, reviewReason: x.reason, batchId: x.batch_id, code: x.code, image: x.image_sha256, original: x.original_sha256, objects: gone, keptShared: kept },
    });
  }
  return candidates;
}
