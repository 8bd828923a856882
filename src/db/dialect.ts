import type { Queryable } from './database.js';

/**
 * The few SQL fragments SQLite and PostgreSQL spell differently (issue #13). Repositories write one
 * statement for both engines and take only these pieces from here.
 */

/**
 * A subquery over the elements of a JSON array passed as ONE parameter (`JSON.stringify(list)`),
 * so a list of any length stays one statement with one parameter.
 *
 *     `WHERE c.id IN (${jsonArrayValues(q)})`, [JSON.stringify(ids)]
 *     `WHERE page_no IN (${jsonArrayValues(q, 'integer')})`, [JSON.stringify([1, 2])]
 */
export function jsonArrayValues(q: Pick<Queryable, 'dialect'>, as: 'text' | 'integer' = 'text'): string {
  if (q.dialect === 'sqlite') return 'SELECT value FROM json_each(?)';
  return as === 'integer'
    ? 'SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(? AS json)) AS value'
    : 'SELECT value FROM json_array_elements_text(CAST(? AS json)) AS value';
}

/**
 * The larger of two values, NULL when either is NULL: SQLite's scalar MAX(a, b). PostgreSQL's
 * GREATEST would skip a NULL instead, so it is guarded to mean the same. The expressions appear
 * twice on PostgreSQL: they must not hold `?` parameters (named `$x` ones are fine).
 */
export function max2(q: Pick<Queryable, 'dialect'>, a: string, b: string): string {
  if (q.dialect === 'sqlite') return `MAX(${a}, ${b})`;
  return `CASE WHEN (${a}) IS NULL OR (${b}) IS NULL THEN NULL ELSE GREATEST(${a}, ${b}) END`;
}

/** The smaller of two values, NULL when either is NULL: SQLite's scalar MIN(a, b). */
export function min2(q: Pick<Queryable, 'dialect'>, a: string, b: string): string {
  if (q.dialect === 'sqlite') return `MIN(${a}, ${b})`;
  return `CASE WHEN (${a}) IS NULL OR (${b}) IS NULL THEN NULL ELSE LEAST(${a}, ${b}) END`;
}

/**
 * The text of one top-level key of a JSON object stored in a TEXT column, NULL when the column or
 * the key is. `key` is a constant of the caller, never input.
 *
 *     `SELECT ${jsonText(q, 'resolution', 'customerId')} FROM coupon_reviews`
 */
export function jsonText(q: Pick<Queryable, 'dialect'>, column: string, key: string): string {
  if (q.dialect === 'sqlite') return `json_extract(${column}, '$.${key}')`;
  return `(CAST(${column} AS json) ->> '${key}')`;
}
