import type { SearchQuery, SearchTerm } from '../domain/search-query.js';

function quote(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

const term = (t: SearchTerm) => `${quote(t.text)}${t.prefix ? '*' : ''}`;

/**
 * Compiles a query tree to an FTS5 MATCH expression. Every term is a quoted string, so nothing a
 * user typed can be read as FTS5 syntax (NEAR, column filters, ^).
 *
 *     toFts5Match(parseQuery('offerte OR factuur -verlopen')) // '("offerte" OR "factuur") NOT "verlopen"'
 */
export function toFts5Match(query: SearchQuery): string {
  let expr = query.all.map((g) => (g.length > 1 ? `(${g.map(term).join(' OR ')})` : term(g[0]!))).join(' AND ');
  for (const n of query.none) expr = `${expr} NOT ${term(n)}`;
  return expr;
}

/**
 * The phrases of toFts5Match's expression, each as a MATCH expression of its own, in the order
 * FTS5 numbers them (as they appear: the groups' terms, then the excluded ones). bm25d() may be
 * given how many rows match each (native/dossier_fts.c).
 *
 *     fts5Phrases(parseQuery('offerte OR factuur -verlopen')) // ['"offerte"', '"factuur"', '"verlopen"']
 */
export function fts5Phrases(query: SearchQuery): string[] {
  return [...query.all.flat(), ...query.none].map(term);
}

/**
 * Whether each phrase of toFts5Match's expression that is not excluded is in every row it
 * matches (no OR group), so the query matches at most as many rows as any of them. An excluded
 * phrase is in none of those rows, so its own count changes no score.
 *
 *     requiredPhrases(parseQuery('offerte totaal -verlopen')) // true
 *     requiredPhrases(parseQuery('offerte OR factuur'))       // false
 */
export function requiredPhrases(query: SearchQuery): boolean {
  return query.all.every((g) => g.length === 1);
}
