import type { Queryable } from './database.js';

export type Ranked = { rowid: number; score: number };

/**
 * A statement over a slice's rowid range (inclusive; null: every rowid) selecting `rowid`, and
 * `score` when `ranked`, from document_fts (possibly joined: its rowid is named
 * `document_fts.rowid`), ending in its WHERE clause. The range is added to that clause here; a
 * statement may use it too, e.g. to build only its slice of a filter's rowid set. `hits`: the
 * rows of the whole index matching each phrase, "n0,n1,…", for a ranking that takes them (bm25d).
 */
export type Matches = (range: [number, number] | null, ranked: boolean, hits?: string) => { sql: string; args: unknown[] };

/**
 * A query's phrases for bm25d, each a MATCH expression in FTS5's phrase order (fts5Phrases), and
 * whether each that is not excluded is in every row the query matches (requiredPhrases).
 */
export type Phrases = { each: string[]; required: boolean };

/**
 * Where the count saw at least this share of the rowids it walked match, a query whose phrases
 * are all required is ranked as if each were in half the rows or more (checked after, see
 * countAndRank). Not 0.5: the count walks only the start of each slice.
 */
const GUESS_HALF = 0.6;

/** How many slices one ranking is split into at most: its own connection and up to 7 idle slice connections (DOSSIER_SEARCH_SLICES is capped to match). */
export const MAX_SLICES = 8;

/** `n` consecutive rowid ranges covering the documents, or null when there are none. */
async function split(q: Queryable, n: number): Promise<[number, number][] | null> {
  // Two subqueries: min and max in one SELECT is a full scan (5 ms at 100k), each alone one seek.
  const b = await q.get<{ lo: number | null; hi: number | null }>('SELECT (SELECT min(rowid) FROM documents) AS lo, (SELECT max(rowid) FROM documents) AS hi');
  if (b?.lo == null || b.hi == null) return null;
  const { lo, hi } = b as { lo: number; hi: number };
  const step = Math.ceil((hi - lo + 1) / n);
  return Array.from({ length: n }, (_, i) => [lo + i * step, lo + (i + 1) * step - 1]);
}

/** Matches in `range`, up to `limit`, counted in rowid order, and the last rowid counted. */
async function countRange(c: Queryable, matches: Matches, range: [number, number], limit: number): Promise<{ n: number; last: number }> {
  const m = matches(range, false);
  const r = await c.get<{ n: number; last: number | null }>(
    `SELECT COUNT(*) AS n, max(rowid) AS last FROM (${m.sql} AND document_fts.rowid BETWEEN ? AND ? ORDER BY document_fts.rowid LIMIT ${limit})`,
    [...m.args, ...range],
  );
  return { n: r?.n ?? 0, last: r?.last ?? range[1] };
}

/**
 * Counts a search's matches up to `cap` (a total shown as "more than") and ranks its page, both
 * in rowid slices at once on the search's own connection and each idle slice connection
 * (DOSSIER_SEARCH_SLICES), the way Lucene's IndexSearcher searches index slices with an executor.
 * Falls back to one statement each when no slice connection is idle (another search is using
 * them), and ranks in one statement below the cap, where ranking costs little.
 *
 * Counting: each connection counts its range up to its share of the cap at once; where the
 * shares fall short of the cap, the ranges that filled theirs go on after the last rowid they
 * counted. A count that reaches the cap so walks about 1/k of the index per connection instead of
 * one walk of it ("factuur datum" at 1M: 16 ms in one statement), and is exact below the cap.
 *
 * Ranking: bm25 is computed for every match whatever is done (FTS5 has no early termination), so
 * a near-universal term (`ka*` matches 92% of the documents) costs as much as its matches; each
 * connection ranks its range, and the slices' top hits are merged. The results are the unsliced
 * ones: FTS5 takes bm25's statistics (documents, matching documents, average length) from the
 * whole index, not from the range, so every hit gets the score it gets unsliced, and equal scores
 * are ordered by rowid, as the unsliced scan (rowid order, SQLite's stable sort) orders them.
 * Each statement is its own read, so a write committed between them can shift the statistics of
 * one slice: a search running beside indexing may rank as if it ran a moment earlier or later,
 * as its count already may.
 */
export async function countAndRank(
  q: Queryable,
  matches: Matches,
  cap: number,
  limit: number,
  offset: number,
  phrases?: Phrases,
): Promise<{ n: number; top: Ranked[] }> {
  const run = async (conns: Queryable[]) => {
    const ranges = conns.length > 1 ? await split(q, conns.length) : null;
    const { n, density } = ranges ? await countIn(conns, ranges, matches, cap) : { n: await countWhole(q, matches, cap), density: 0 };
    if (n < cap || !ranges) return { n, top: await rankWhole(q, matches, limit, offset) };
    // Every slice's ranking needs each phrase's matches in the whole index (its IDF): counted
    // once here, in the same slices, where each slice's bm25 walked the whole index for them.
    // Unless the count saw the query match most rows and no phrase's count can change a score:
    // ranked as "in at least half the rows" (IDF 1e-6 in bm25), which the rows the slices then
    // score prove or disprove (25 of ~130 ms for "ka*" at 1M). Disproved, it is ranked again.
    if (phrases?.required && density >= GUESS_HALF) {
      const span = ranges.at(-1)![1] - ranges[0]![0] + 1;
      const guessed = await rankIn(conns, ranges, matches, limit, offset, phrases.each.map(() => '*').join(','), true);
      // Each phrase is in at least the rows scored, N (the indexed rows) is at most the span.
      if (guessed.scored * 2 >= span) return { n, top: guessed.top };
    }
    const hits = phrases ? await countPhrases(conns, ranges, phrases.each) : undefined;
    return { n, top: (await rankIn(conns, ranges, matches, limit, offset, hits)).top };
  };
  return q.withSpare ? q.withSpare(MAX_SLICES - 1, (spare) => run([q, ...spare])) : run([q]);
}

async function countWhole(q: Queryable, matches: Matches, cap: number): Promise<number> {
  const m = matches(null, false);
  return (await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (${m.sql} LIMIT ${cap})`, m.args))?.n ?? 0;
}

/**
 * Matches up to `cap`, and the share of the rowids walked that matched (how dense the matches
 * were where the slices began counting).
 */
async function countIn(conns: Queryable[], ranges: [number, number][], matches: Matches, cap: number): Promise<{ n: number; density: number }> {
  const share = Math.ceil(cap / conns.length);
  const counted = await Promise.all(conns.map((c, i) => countRange(c, matches, ranges[i]!, share)));
  let n = counted.reduce((s, c) => s + c.n, 0);
  const walked = counted.reduce((s, c, i) => s + (c.n < share ? ranges[i]![1] : c.last) - ranges[i]![0] + 1, 0);
  const density = n / walked;
  for (let i = 0; i < conns.length && n < cap; i++) {
    // A range that counted fewer than its share holds no more matches.
    if (counted[i]!.n < share || counted[i]!.last >= ranges[i]![1]) continue;
    n += (await countRange(conns[0]!, matches, [counted[i]!.last + 1, ranges[i]![1]], cap - n)).n;
  }
  return { n: Math.min(n, cap), density };
}

function rankWhole(q: Queryable, matches: Matches, limit: number, offset: number): Promise<Ranked[]> {
  const m = matches(null, true);
  return q.all<Ranked>(`${m.sql} ORDER BY score LIMIT ? OFFSET ?`, [...m.args, limit, offset]);
}

/**
 * The rows matching each phrase in the whole index, "n0,n1,…", counted in the slices as a
 * search's count is. Only up to half the rowid span: bm25's IDF, log((N - n + 0.5) / (n + 0.5)),
 * is at or below zero from n = N/2 on and then taken as 1e-6 whatever n is, and N (the indexed
 * rows) is at most the span. So a phrase in half the index or more ("ka*": 92%) is counted to
 * there and no further (25 -> 13 ms a slice at 1M), with the same scores.
 */
async function countPhrases(conns: Queryable[], ranges: [number, number][], phrases: string[]): Promise<string> {
  const half = Math.ceil((ranges.at(-1)![1] - ranges[0]![0] + 1) / 2);
  const counts: number[] = [];
  for (const p of phrases) {
    counts.push((await countIn(conns, ranges, () => ({ sql: 'SELECT document_fts.rowid AS rowid FROM document_fts WHERE document_fts MATCH ?', args: [p] }), half)).n);
  }
  return counts.join(',');
}

/** The top hits of every slice merged; `scored`: also how many rows the slices scored (bm25d_scored()). */
async function rankIn(
  conns: Queryable[],
  ranges: [number, number][],
  matches: Matches,
  limit: number,
  offset: number,
  hits?: string,
  scored = false,
): Promise<{ top: Ranked[]; scored: number }> {
  const parts = await Promise.all(
    conns.map(async (c, i) => {
      const m = matches(ranges[i]!, true, hits);
      if (scored) await c.get('SELECT bm25d_scored() AS n'); // from 0
      const top = await c.all<Ranked>(`${m.sql} AND document_fts.rowid BETWEEN ? AND ? ORDER BY score LIMIT ?`, [...m.args, ...ranges[i]!, offset + limit]);
      return { top, scored: scored ? (await c.get<{ n: number }>('SELECT bm25d_scored() AS n'))!.n : 0 };
    }),
  );
  const top = parts
    .flatMap((p) => p.top)
    .sort((x, y) => x.score - y.score || x.rowid - y.rowid)
    .slice(offset, offset + limit);
  return { top, scored: parts.reduce((s, p) => s + p.scored, 0) };
}
