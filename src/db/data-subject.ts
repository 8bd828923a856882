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
