import { couponPageSubjectsRepository, type CouponPageSubjectRow } from '../db/coupon-page-subjects.repository.js';
import type { Queryable } from '../db/database.js';
import type { AuditService } from './audit.service.js';

/**
 * A customer's coupon page readings as erasure sees them: those that go and those a legal hold
 * keeps. A page that is part of a review item follows that item exactly (`reviewHolds`, the holds
 * of the customer's held items), so a kept scan keeps its readings and a removed one loses them;
 * any other page (a received coupon and its attached pages, a separator sheet, a page not yet
 * settled) is held as the reply-coupon document its unit became (couponPageSubjectsRepository.held).
 * Readings have no retention of their own: the reply is kept on the letter and its document.
 */
export async function couponPagesForErasure(
  q: Queryable,
  customerId: string,
  reviewHolds: { review: { id: string }; holds: string[] }[],
): Promise<{ remove: CouponPageSubjectRow[]; held: { page: CouponPageSubjectRow; holds: string[] }[] }> {
  const pages = await couponPageSubjectsRepository.ofCustomer(q, customerId);
  const byReview = new Map(reviewHolds.map((h) => [h.review.id, h.holds]));
  const key = (batchId: string, pageNo: number) => `${batchId}\u0000${pageNo}`;
  const holds = new Map<string, string[]>();
  for (const h of await couponPageSubjectsRepository.held(q, customerId)) {
    const k = key(h.batch_id, h.page_no);
    holds.set(k, [...(holds.get(k) ?? []), h.hold_id]);
  }
  const holdsOf = (p: CouponPageSubjectRow) => (p.review_id ? byReview.get(p.review_id) : holds.get(key(p.batch_id, p.page_no))) ?? [];
  return {
    remove: pages.filter((p) => holdsOf(p).length === 0),
    held: pages.filter((p) => holdsOf(p).length > 0).map((page) => ({ page, holds: holdsOf(page) })),
  };
}

/** Held pages grouped per batch, for the erasure report and audit: `[{ batchId, pages, holds }]`. */
export function heldPagesByBatch(held: { page: CouponPageSubjectRow; holds: string[] }[]): { batchId: string; pages: number[]; holds: string[] }[] {
  const out = new Map<string, { batchId: string; pages: number[]; holds: string[] }>();
  for (const h of held) {
    const g = out.get(h.page.batch_id) ?? { batchId: h.page.batch_id, pages: [], holds: [] };
    g.pages.push(h.page.page_no);
    for (const id of h.holds) if (!g.holds.includes(id)) g.holds.push(id);
    out.set(h.page.batch_id, g);
  }
  return [...out.values()];
}

/**
 * Blanks the readings (code, answer, tick readings) of these pages inside the caller's transaction
 * and marks them erased; the page rows stay so the batch still lists its pages and a re-run of the
 * coupons job does not read them again. Audited once per batch (`coupon.page-erase`) with the page
 * numbers, no readings. Returns how many pages were erased.
 */
export async function eraseCouponPagesInTx(
  q: Queryable,
  audit: AuditService,
  pages: CouponPageSubjectRow[],
  r: { actorId: string; customerId: string; reason: string; now: string },
): Promise<number> {
  const byBatch = new Map<string, number[]>();
  for (const p of pages) byBatch.set(p.batch_id, [...(byBatch.get(p.batch_id) ?? []), p.page_no]);
  let erased = 0;
  for (const [batchId, pageNos] of byBatch) {
    erased += await couponPageSubjectsRepository.erase(q, batchId, pageNos, r.now);
    await audit.record(q, {
      actorId: r.actorId,
      action: 'coupon.page-erase',
      subjectType: 'coupon-batch',
      subjectId: batchId,
      customerId: r.customerId,
      details: { reason: r.reason, pages: pageNos },
    });
  }
  return erased;
}
