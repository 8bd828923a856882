import type { SearchQuery, SearchTerm } from '../domain/search-query.js';
import type { Queryable } from './database.js';
import { notRestricted, RESTRICTED_DOCUMENT_IDS } from './restriction.repository.js';
import { indexBatches, MARK_CLOSE, MARK_OPEN, TOTAL_CAP, type SearchFilters, type SearchIndex, type SearchRow } from './search-index.js';

/** The text search configuration of migrations-pg/002_search.sql (`simple` behind `unaccent`). */
const CONFIG = 'dossierlink';

/** Title weighs A, text B: {D, C, B, A} = {0, 0, 1/3, 1}, a title hit 3x a text hit, as bm25(3, 1) in SQLite. */
const WEIGHTS = '{0, 0, 0.3333, 1}';

/**
 * Lower is better, as bm25: the rank normalised by the document's length, negated. Exactly
 * `-ts_rank(weights, tsv, q, 1)`, bit for bit: ts_rank's unnormalised float divided in double
 * precision by log2(1 + length) and rounded back to a float, as tsrank.c does, with the length
 * read from its stored count (migrations-pg/012) instead of counted over the whole vector for
 * every match. An empty vector (length 0) is left as it is, as ts_rank leaves it.
 */
const RANK = `-CAST(CAST(ts_rank('${WEIGHTS}', s.tsv, to_tsquery('${CONFIG}', $q), 0) AS float8) / (ln(CAST(GREATEST(s.words, 1) + 1 AS float8)) / ln(CAST(2 AS float8))) AS real)`;

/**
 * ts_headline options giving SQLite's snippet(…, 16) shape: one fragment of at most 16 words
 * around the best match, marked with the same private-use characters. Short words count (FTS5 has
 * no notion of them).
 */
const HEADLINE = `StartSel=${MARK_OPEN}, StopSel=${MARK_CLOSE}, MaxWords=16, MinWords=6, ShortWord=0, MaxFragments=1, FragmentDelimiter=" … "`;

/**
 * One page of hits with their snippets: each hit's document row, its headline, and the text just
 * before and after the headline (to mark cut text as SQLite does). The ids are given for both
 * tables, so each is read by its key (else the planner may hash-join a scan of every document).
 * OFFSET 0 keeps the headline a subquery of its own: pulled up, its expression was copied into
 * each of the five places that use it, and ts_headline ran five times per hit (10 -> 2.4 ms for
 * 20 hits at 100k documents).
 */
export const SNIPPETS = `SELECT d.id, d.customer_id, d.type, d.class, d.title, d.doc_date, h.snippet,
       right(substr(t.body, 1, GREATEST(strpos(t.body, h.plain) - 1, 0)), 64) AS before, strpos(t.body, h.plain) AS pos,
       left(substr(t.body, strpos(t.body, h.plain) + length(h.plain)), 64) AS after
  FROM document_search_text t JOIN documents d ON d.id = t.document_id
  CROSS JOIN LATERAL (SELECT ts_headline('${CONFIG}', t.body, to_tsquery('${CONFIG}', $q), $options) AS snippet OFFSET 0) hl
  CROSS JOIN LATERAL (SELECT hl.snippet, replace(replace(hl.snippet, $open, ''), $close, '') AS plain) h
  WHERE t.document_id = ANY(CAST($ids AS TEXT[])) AND d.id = ANY(CAST($ids AS TEXT[]))`;

/** The parameters of SNIPPETS for a compiled query and the page's document ids. */
export const snippetArgs = (tsq: string, ids: string[]) => ({ q: tsq, options: HEADLINE, open: MARK_OPEN, close: MARK_CLOSE, ids });

/** Words as FTS5's unicode61 tokenizer sees them: runs of letters and digits (composed first, so a combining accent stays in its word). */
const WORD = /[\p{L}\p{N}]/u;
const words = (s: string) => s.normalize('NFC').split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/** The text handed to to_tsvector: every run of non-letters one space, so both engines index the same words. */
export function normaliseForIndex(s: string): string {
  return words(s).join(' ');
}

function term(t: SearchTerm): string {
  const ws = words(t.text);
  // Words hold letters and digits only, so quoting cannot be escaped; to_tsquery folds case and
  // accents through the same configuration as the index.
  const parts = ws.map((w, i) => `'${w}'${t.prefix && i === ws.length - 1 ? ':*' : ''}`);
  return parts.length > 1 ? `(${parts.join(' <-> ')})` : (parts[0] ?? "''");
}

/**
 * Compiles a query tree to to_tsquery() syntax: AND of OR groups, phrases as `<->`, prefixes as
 * `:*`, excluded terms as `!`.
 *
 *     toTsquery(parseQuery('offerte OR factuur -verlopen')) // "('offerte' | 'factuur') & !'verlopen'"
 *     toTsquery(parseQuery('"service level" financ*'))      // "('service' <-> 'level') & 'financ':*"
 */
export function toTsquery(query: SearchQuery): string {
  const groups = query.all.map((g) => (g.length > 1 ? `(${g.map(term).join(' | ')})` : term(g[0]!)));
  return [...groups, ...query.none.map((n) => `!${term(n)}`)].join(' & ');
}

function where(f: SearchFilters): { sql: string; args: Record<string, unknown> } {
  const parts = ['d.destroyed_at IS NULL'];
  const args: Record<string, unknown> = {};
  if (f.customerId) (parts.push('d.customer_id = $customer'), (args.customer = f.customerId));
  if (f.type) (parts.push('d.type = $type'), (args.type = f.type));
  if (f.class) (parts.push('d.class = $class'), (args.class = f.class));
  if (f.from) (parts.push('d.doc_date >= $from'), (args.from = f.from));
  if (f.to) (parts.push('d.doc_date <= $to'), (args.to = f.to));
  if (f.hideRestricted) parts.push(notRestricted('d.customer_id'));
  return { sql: parts.join(' AND '), args };
}

const hasFilters = (f: SearchFilters) => Boolean(f.customerId || f.type || f.class || f.from || f.to);

/** Live documents that have page text or an index entry: the ones a full-text rebuild touches. */
const REINDEXABLE = `d.destroyed_at IS NULL
  AND (EXISTS (SELECT 1 FROM document_pages p WHERE p.document_id = d.id) OR EXISTS (SELECT 1 FROM document_search s WHERE s.document_id = d.id))`;

/**
 * PostgreSQL's index (migrations-pg/002_search.sql, narrowed by 004): a tsvector per document with a GIN index,
 * ts_rank for ranking and ts_headline for snippets, answering the same query tree with the same
 * hits, filters, paging and snippet shape as the FTS5 index.
 */
export const postgresSearchIndex: SearchIndex = {
  async index(q, documentId, title, text) {
    // The vector and the text live in two tables (migrations-pg/004): the narrow one is what
    // matching and ranking read, the text only what one page of snippets reads.
    await q.run(
      `INSERT INTO document_search (document_id, tsv)
       SELECT id, document_search_vector($ntitle, $nbody) FROM documents WHERE id = $id
       ON CONFLICT (document_id) DO UPDATE SET tsv = EXCLUDED.tsv`,
      { id: documentId, ntitle: normaliseForIndex(title), nbody: normaliseForIndex(text) },
    );
    await q.run(
      `INSERT INTO document_search_text (document_id, title, body)
       SELECT document_id, $title, $body FROM document_search WHERE document_id = $id
       ON CONFLICT (document_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body`,
      { id: documentId, title, body: text },
    );
  },

  async indexMany(q, docs) {
    // The rows index() writes, up to a thousand documents a statement (the driver's round trips,
    // not the vectors, made a bulk load slow). A document given twice keeps its last entry, as
    // one by one (and one INSERT ... ON CONFLICT cannot touch a row twice).
    for (const batch of indexBatches(docs)) {
      const vectors = JSON.stringify(batch.map((d) => ({ id: d.id, ntitle: normaliseForIndex(d.title), nbody: normaliseForIndex(d.text) })));
      await q.run(
        `INSERT INTO document_search (document_id, tsv)
         SELECT d.id, document_search_vector(x.ntitle, x.nbody)
         FROM jsonb_to_recordset(CAST($docs AS jsonb)) AS x(id TEXT, ntitle TEXT, nbody TEXT) JOIN documents d ON d.id = x.id
         ON CONFLICT (document_id) DO UPDATE SET tsv = EXCLUDED.tsv`,
        { docs: vectors },
      );
      await q.run(
        `INSERT INTO document_search_text (document_id, title, body)
         SELECT s.document_id, x.title, x.body
         FROM jsonb_to_recordset(CAST($docs AS jsonb)) AS x(id TEXT, title TEXT, body TEXT) JOIN document_search s ON s.document_id = x.id
         ON CONFLICT (document_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body`,
        { docs: JSON.stringify(batch.map((d) => ({ id: d.id, title: d.title, body: d.text }))) },
      );
    }
  },

  async remove(q, documentId) {
    await q.run('DELETE FROM document_search WHERE document_id = ?', [documentId]);
  },

  async search(q: Queryable, query: SearchQuery, f: SearchFilters, limit: number, offset: number) {
    const tsq = toTsquery(query);
    const w = where(f);
    const args = { ...w.args, q: tsq };
    // Destroyed documents leave the index when they are destroyed, so without filters the index
    // alone answers (restricted customers are few: their documents one short list to leave out);
    // with filters the documents table narrows the matches.
    const from = hasFilters(f)
      ? `document_search s JOIN documents d ON d.id = s.document_id WHERE s.tsv @@ to_tsquery('${CONFIG}', $q) AND ${w.sql}`
      : `document_search s WHERE s.tsv @@ to_tsquery('${CONFIG}', $q)${
          f.hideRestricted ? ` AND s.document_id NOT IN (${RESTRICTED_DOCUMENT_IDS})` : ''
        }`;
    // Within one dossier hits come newest first (as in SQLite, where ranking a customer's few
    // documents would cost the whole posting list of a common word); elsewhere by rank, the
    // document id breaking ties so pages never overlap. Ranking reads every match anyway, so the
    // same pass counts them (a window count): one walk over the matches instead of two.
    const top = f.customerId
      ? await q.all<{ id: string; score: number; n: number }>(
          `SELECT s.document_id AS id, 0 AS score, COUNT(*) OVER () AS n FROM ${from} ORDER BY COALESCE(d.doc_date, '') DESC, d.rowid DESC LIMIT $limit OFFSET $offset`,
          { ...args, limit, offset },
        )
      : await q.all<{ id: string; score: number; n: number }>(
          // The count's window is ordered by the rank over the whole frame: that makes the planner
          // rank each match below the window, in parallel workers when it uses them, and buffer
          // (id, score) pairs. With a bare COUNT(*) OVER () it ranks above the window, which then
          // buffers every matching vector (to disk past work_mem), and a subquery to prevent that
          // cannot run in parallel: at 100k documents `ka*` (92k matches) 1.6 s -> 0.3 s.
          `SELECT s.document_id AS id, ${RANK} AS score, COUNT(*) OVER (ORDER BY ${RANK} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n
           FROM ${from} ORDER BY score, s.document_id LIMIT $limit OFFSET $offset`,
          { ...args, limit, offset },
        );
    // A page past the last hit has no row to carry the count: count on its own (up to the cap).
    const n = top.length ? top[0]!.n : ((await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${from} LIMIT ${TOTAL_CAP + 1}) m`, args))?.n ?? 0);
    const total = Math.min(n, TOTAL_CAP);
    if (top.length === 0) return { total, totalCapped: n > TOTAL_CAP, rows: [] };
    const rows = await q.all<Omit<SearchRow, 'score'> & { before: string; pos: number; after: string }>(SNIPPETS, snippetArgs(tsq, top.map((t) => t.id)));
    const byId = new Map(rows.map((r) => [r.id, r]));
    return {
      total,
      totalCapped: n > TOTAL_CAP,
      rows: top.flatMap((t) => {
        const r = byId.get(t.id);
        if (!r) return [];
        const { before, pos, after, ...row } = r;
        // SQLite's snippet() marks cut text with '…' at either end; ts_headline does not. Text
        // is cut where words come before or after the fragment (punctuation alone is no cut).
        const cut = (s: string) => pos > 0 && WORD.test(s);
        const snippet = `${cut(before) ? '…' : ''}${row.snippet.trim()}${cut(after) ? '…' : ''}`;
        return [{ ...row, snippet, score: Number(t.score) }];
      }),
    };
  },

  matchText(q, query, f, limit) {
    const where = ['d.destroyed_at IS NULL'];
    const args: Record<string, unknown> = { q: toTsquery(query), limit };
    if (f.customerId) (where.push('d.customer_id = $customer'), (args.customer = f.customerId));
    if (f.type) (where.push('d.type = $type'), (args.type = f.type));
    if (f.from) (where.push('COALESCE(d.doc_date, substr(d.created_at, 1, 10)) >= $from'), (args.from = f.from));
    if (f.to) (where.push('COALESCE(d.doc_date, substr(d.created_at, 1, 10)) <= $to'), (args.to = f.to));
    return q.all<{ id: string }>(
      `SELECT d.id FROM document_search s JOIN documents d ON d.id = s.document_id
       WHERE s.tsv @@ to_tsquery('${CONFIG}', $q) AND ${where.join(' AND ')} ORDER BY d.id LIMIT $limit`,
      args,
    );
  },

  async indexed(q, documentId) {
    return Boolean(await q.get('SELECT 1 AS x FROM document_search WHERE document_id = ?', [documentId]));
  },

  count(q) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM document_search').then((r) => r?.n ?? 0);
  },

  async countReindexable(q) {
    return (await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM documents d WHERE ${REINDEXABLE}`))!.n;
  },

  reindexBatchAfter(q, afterRowid, limit) {
    return q.all<{ rowid: number; id: string; title: string }>(
      `SELECT d.rowid, d.id, d.title FROM documents d WHERE d.rowid > ? AND ${REINDEXABLE} ORDER BY d.rowid LIMIT ?`,
      [afterRowid, limit],
    );
  },

  async removeOrphans(q) {
    return (await q.run('DELETE FROM document_search s WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = s.document_id AND d.destroyed_at IS NULL)')).changes;
  },
};
