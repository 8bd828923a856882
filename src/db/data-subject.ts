/**
 * The customer numbers that are one data subject, as a CTE `subject(id)`: the number itself and
 * every number merged into it (merges re-point earlier ones to the survivor, so one step finds them
 * all). A merge leaves the letter of a mailing that reached both customers on the merged number,
 * and moves only open coupon review items' separator hints; what names the merged number still
 * belongs to the survivor for subject access and erasure. Bind with subjectParams(customerId).
 *
 *     q.all(`${SUBJECT} SELECT * FROM mailing_letters WHERE customer_id IN (SELECT id FROM subject)`, subjectParams(id))
 */
export const SUBJECT = 'WITH subject(id) AS (SELECT CAST(? AS TEXT) UNION SELECT merged_id FROM customer_merges WHERE into_id = ?)';

/** The parameters SUBJECT takes (the number, twice), to put before a query's own. */
export const subjectParams = (customerId: string): [string, string] => [customerId, customerId];

/**
 * The legal hold `h` (legal_holds) keeps a reply coupon of the subject that came in on the day
 * `day` (an SQL expression, YYYY-MM-DD) as the reply-coupon document it is or would become: a hold
 * on the customer, or a structured query hold (no text) whose customer, type and dates match. The
 * caller adds the holds that cover the document it was recorded as. Needs SUBJECT in scope.
 */
export const holdKeepsReplyCoupon = (day: string) => `(h.kind = 'customer' AND h.customer_id IN (SELECT id FROM subject))
         OR (h.kind = 'query' AND h.q_text IS NULL
             AND (h.customer_id IS NULL OR h.customer_id IN (SELECT id FROM subject))
             AND (h.q_type IS NULL OR h.q_type = 'reply-coupon')
             AND (h.q_from IS NULL OR ${day} >= h.q_from)
             AND (h.q_to IS NULL OR ${day} <= h.q_to))`;
