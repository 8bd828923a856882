/**
 * The search language users type, parsed into a query tree (SearchQuery) that each search engine
 * compiles to its own syntax. Users never write engine syntax directly, so no input can make the
 * engine fail with a syntax error (a 500): anything this parser does not understand is a clear 400.
 *
 *   offerte koelunit        both words (AND)
 *   financ*                 prefix
 *   "service level"         phrase
 *   offerte OR factuur      either
 *   -verlopen               without
 *
 *     parseQuery('offerte "service level" financ*') // { all: [[offerte], [service level], [financ*]], none: [] }
 */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly code = 'invalid_query',
  ) {
    super(message);
  }
}

/**
 * What one query may cost. A prefix expands to every indexed word that starts with it, so a
 * one-letter prefix walks a large part of the index; sixty of them stalled a 20,000-document
 * instance for minutes (issue #14). Repeated terms add cost and nothing else: they are dropped.
 */
export const QUERY_LIMITS = { minPrefix: 2, maxTerms: 16, maxPrefixTerms: 5 } as const;

type Term = { text: string; prefix: boolean; negate: boolean; phrase: boolean };

const WORD = /[\p{L}\p{N}]/u;

export function tokenize(input: string): (Term | 'OR')[] {
  const out: (Term | 'OR')[] = [];
  let i = 0;
  const s = input.trim();
  if (s.length > 500) throw new QueryError('The query is too long (at most 500 characters)');
  while (i < s.length) {
    const ch = s[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    let negate = false;
    if (ch === '-' && i + 1 < s.length && (s[i + 1] === '"' || WORD.test(s[i + 1]))) {
      negate = true;
      i++;
    }
    if (s[i] === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) throw new QueryError('A quote is not closed: put a " at the end of the phrase');
      const phrase = s.slice(i + 1, end).replace(/[^\p{L}\p{N}\s'-]/gu, ' ').trim();
      if (!phrase) throw new QueryError('An empty phrase "" was given');
      out.push({ text: phrase, prefix: false, negate, phrase: true });
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j]) && s[j] !== '"') j++;
    const raw = s.slice(i, j);
    i = j;
    if (raw === 'OR' && !negate) {
      out.push('OR');
      continue;
    }
    const prefix = raw.endsWith('*');
    // Keep letters and digits; punctuation inside a word (KL-000123, 4.850,00) splits it as the index does.
    const words = raw.replace(/\*+$/, '').split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    if (words.length === 0) {
      if (raw === '*' || raw.endsWith('*')) throw new QueryError('A * must follow at least one letter or digit, e.g. financ*');
      continue; // lone punctuation is ignored, as the index ignores it
    }
    if (prefix && [...words[words.length - 1]].length < QUERY_LIMITS.minPrefix) {
      throw new QueryError(`A * needs at least ${QUERY_LIMITS.minPrefix} letters or digits before it, e.g. fa*`, 'prefix_too_short');
    }
    if (words.length === 1) out.push({ text: words[0], prefix, negate, phrase: false });
    else out.push({ text: words.join(' '), prefix, negate, phrase: true });
  }
  return out;
}

/** Refuses a query with more different terms (or prefixes) than QUERY_LIMITS allows; repeats count once. */
function withinLimits(tokens: (Term | 'OR')[]): (Term | 'OR')[] {
  const unique = new Map<string, Term>();
  for (const t of tokens) if (t !== 'OR') unique.set(`${t.negate ? '-' : ''}${t.text.toLowerCase()}${t.prefix ? '*' : ''}`, t);
  if (unique.size > QUERY_LIMITS.maxTerms) {
    throw new QueryError(`A query may hold at most ${QUERY_LIMITS.maxTerms} different words (this one has ${unique.size})`, 'too_many_terms');
  }
  const prefixes = [...unique.values()].filter((t) => t.prefix).length;
  if (prefixes > QUERY_LIMITS.maxPrefixTerms) {
    throw new QueryError(`A query may hold at most ${QUERY_LIMITS.maxPrefixTerms} words with * (this one has ${prefixes})`, 'too_many_prefixes');
  }
  return tokens;
}

/** One thing to look for: a word, or a phrase of words in order; `prefix` makes the last word a prefix. */
export type SearchTerm = { text: string; prefix: boolean; phrase: boolean };

/**
 * A parsed query, the same for every search engine: every group in `all` must match (a group is
 * one term or alternatives joined by OR), no term in `none` may. Each backend compiles it to its
 * own syntax (FTS5 MATCH in src/db/search-fts5.ts, tsquery in src/db/search-pg.ts).
 */
export type SearchQuery = { all: SearchTerm[][]; none: SearchTerm[] };

/** Two terms ask for the same thing (repeats are dropped: they add cost and nothing else). */
const sameTerm = (a: SearchTerm, b: SearchTerm) => a.text === b.text && a.prefix === b.prefix;
const sameGroup = (a: SearchTerm[], b: SearchTerm[]) => a.length === b.length && a.every((t, i) => sameTerm(t, b[i]!));

/**
 * Parses what a user typed into a query tree, or throws QueryError with a message for the user.
 *
 *     parseQuery('offerte OR factuur -verlopen')
 *     // { all: [[offerte, factuur]], none: [verlopen] }
 */
export function parseQuery(input: string): SearchQuery {
  const tokens = withinLimits(tokenize(input));
  const all: SearchTerm[][] = [];
  const none: SearchTerm[] = [];
  let group: SearchTerm[] = [];
  let pendingOr = false;
  // Repeated terms add cost and nothing else: `a* a* a*` is `a*`, `x OR x` is `x`.
  const flush = () => {
    const alternatives = group.filter((t, i) => group.findIndex((u) => sameTerm(t, u)) === i);
    if (alternatives.length && !all.some((g) => sameGroup(g, alternatives))) all.push(alternatives);
    group = [];
  };
  for (const t of tokens) {
    if (t === 'OR') {
      if (group.length === 0 || pendingOr) throw new QueryError('OR needs a word on both sides, e.g. offerte OR factuur');
      pendingOr = true;
      continue;
    }
    const term: SearchTerm = { text: t.text, prefix: t.prefix, phrase: t.phrase };
    if (t.negate) {
      if (pendingOr) throw new QueryError('OR cannot be followed by an excluded word');
      if (!none.some((n) => sameTerm(n, term))) none.push(term);
      continue;
    }
    if (pendingOr) {
      group.push(term);
      pendingOr = false;
    } else {
      flush();
      group.push(term);
    }
  }
  if (pendingOr) throw new QueryError('OR needs a word on both sides, e.g. offerte OR factuur');
  flush();
  if (all.length === 0) {
    throw new QueryError(none.length ? 'A query needs at least one word to look for, not only excluded words' : 'Type at least one word to search for');
  }
  return { all, none };
}
