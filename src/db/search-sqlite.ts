import type { SearchQuery } from '../domain/search-query.js';
import type { Queryable } from './database.js';
import { RESTRICTED_DOCUMENT_ROWIDS } from './restriction.repository.js';
import { fts5Phrases, requiredPhrases, toFts5Match } from './search-fts5.js';
import { countAndRank, type Matches } from './search-sqlite-slices.js';
import { indexBatches, MARK_CLOSE, MARK_OPEN, TOTAL_CAP, type SearchFilters, type SearchIndex, type SearchRow } from './search-index.js';

/**
 * Documents of restricted customers left out, by rowid (the same set as `notRestricted` on the
 * customer column). By rowid so a filter's covering index (migration 015) stays covering: asking
 * for `customer_id` cost a table lookup per filtered document (18 -> 5 ms for "contract" + sla +
 * date at 100k). While no customer is restricted (the common case) the constant NOT EXISTS,
 * computed once per statement, spares the per-match probe of the unfiltered ranking.
 */
function notRestrictedRowid(column: string): string {
  return `(NOT EXISTS (SELECT 1 FROM customers WHERE restricted <> 0) OR ${column} NOT IN (${RESTRICTED_DOCUMENT_ROWIDS}))`;
}

function where(f: SearchFilters): { sql: string; args: unknown[] } {
  const parts = ['d.destroyed_at IS NULL'];
  const args: unknown[] = [];
  if (f.customerId) (parts.push('d.customer_id = ?'), args.push(f.customerId));
  if (f.type) (parts.push('d.type = ?'), args.push(f.type));
  if (f.class) (parts.push('d.class = ?'), args.push(f.class));
  if (f.from) (parts.push('d.doc_date >= ?'), args.push(f.from));
  if (f.to) (parts.push('d.doc_date <= ?'), args.push(f.to));
  if (f.hideRestricted) parts.push(notRestrictedRowid('d.rowid'));
  return { sql: parts.join(' AND '), args };
}

/**
 * bm25 with the title 3x the text. Where native/dossier_fts.c is loaded, bm25d(): the same
 * scores (the same code, see that file), with each row's length read from the docsize table by
 * this query, in rowid order beside the index, instead of by a statement of bm25's own per row.
 * At 1M documents, ranking "ka*" (920k matches) on one connection: 475 -> 200 ms; "factuur" 85
 * -> 58 ms. LEFT JOIN keeps the index the outer loop (a docsize row missing: bm25d asks FTS5).
 * `hits`: each phrase's matches, counted by countAndRank for all its slices at once.
 */
function ranking(q: Queryable, hits?: string): { from: string; score: string; args: unknown[] } {
  return q.bm25d
    ? { from: 'document_fts LEFT JOIN document_fts_docsize ds ON ds.id = document_fts.rowid', score: 'bm25d(document_fts, ds.sz, ?, 3.0, 1.0)', args: [hits ?? null] }
    : { from: 'document_fts', score: 'bm25(document_fts, 3.0, 1.0)', args: [] };
}

function hasFilters(f: SearchFilters): boolean {
  return Boolean(f.customerId || f.type || f.class || f.from || f.to);
}

/** Live documents that have page text or an index entry: the ones a full-text rebuild touches. */
const REINDEXABLE = `d.destroyed_at IS NULL
  AND (EXISTS (SELECT 1 FROM document_pages p WHERE p.document_id = d.id) OR d.rowid IN (SELECT rowid FROM document_fts))`;

/**
 * The embedded engine's index: an FTS5 table (migration 003, `unicode61 remove_diacritics 2`,
 * 2- and 3-letter prefix indexes) keyed by the document's rowid.
 */
export const sqliteSearchIndex: SearchIndex = {
  async index(q, documentId, title, text) {
    await q.run('DELETE FROM document_fts WHERE rowid = (SELECT rowid FROM documents WHERE id = ?)', [documentId]);
    await q.run('INSERT INTO document_fts (rowid, title, text) SELECT rowid, ?, ? FROM documents WHERE id = ?', [title, text, documentId]);
  },

  async indexMany(q, docs) {
    // The rows index() writes, up to a thousand documents a statement (FTS5 tokenises as fast;
    // the driver is called 1/1000th as often). A document given twice keeps its last entry, as it would one by one.
    for (const entries of indexBatches(docs)) {
      const batch = JSON.stringify(entries.map((d) => [d.id, d.title, d.text]));
      await q.run('DELETE FROM document_fts WHERE rowid IN (SELECT d.rowid FROM json_each(?) j JOIN documents d ON d.id = j.value ->> 0)', [batch]);
      await q.run(
        `INSERT INTO document_fts (rowid, title, text) SELECT d.rowid, j.value ->> 1, j.value ->> 2
         FROM json_each(?) j JOIN documents d ON d.id = j.value ->> 0 ORDER BY j.key`,
        [batch],
      );
    }
  },

  async remove(q, documentId) {
    await q.run('DELETE FROM document_fts WHERE rowid = (SELECT rowid FROM documents WHERE id = ?)', [documentId]);
  },

  /**
   * bm25-ranked hits (title weighs 3x text) with a highlighted snippet, filtered and paged.
   * The ranking runs inside FTS5 on rowids only; documents are joined and snippets built for
   * the one page of hits that is returned, not for every match.
   */
  async search(q: Queryable, query: SearchQuery, f: SearchFilters, limit: number, offset: number) {
    const match = toFts5Match(query);
    const w = where(f);
    let n: number;
    let top: { rowid: number; score: number }[];
    if (f.customerId) {
      // Within one dossier hits come newest first. bm25 would cost a walk of the whole posting
      // list of a common word (its IDF) to rank a customer's few documents: 0.5 s at 100k.
      // The index is asked about the customer's documents only (a seek per rowid), not for every
      // match of a common word: 22 ms -> 1 ms at 100k for "klant".
      const matches = `SELECT d.rowid AS rowid, 0 AS score, COALESCE(d.doc_date, '') AS d8 FROM documents d
        WHERE ${w.sql} AND d.rowid IN (SELECT rowid FROM document_fts WHERE document_fts MATCH ?
          AND rowid IN (SELECT rowid FROM documents WHERE customer_id = ?))`;
      const args = [...w.args, match, f.customerId];
      if (offset + limit <= TOTAL_CAP + 1) {
        // A separate count pass paid the seeks a second time (60 ms of 290 at 1M documents). The
        // matches are ordered by date and rowid (no ties), so the first TOTAL_CAP + 1 of them in
        // order give both the count and the page.
        const all = await q.all<{ rowid: number; score: number }>(`${matches} ORDER BY d8 DESC, rowid DESC LIMIT ${TOTAL_CAP + 1}`, args);
        n = all.length;
        top = all.slice(offset, offset + limit);
      } else {
        n = (await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (${matches} LIMIT ${TOTAL_CAP + 1})`, args))?.n ?? 0;
        top = await q.all<{ rowid: number; score: number }>(`${matches} ORDER BY d8 DESC, rowid DESC LIMIT ? OFFSET ?`, [...args, limit, offset]);
      }
    } else {
      // Destroyed documents leave the index when they are destroyed, so without filters the
      // index alone answers; filters become a set of rowids read from a covering index
      // (migration 015). `+rowid` keeps SQLite from turning the IN into one index seek per rowid
      // (seconds), so the index is scanned in rowid order as without filters (same ties, same
      // order) and bm25 is only computed for matches inside the set. The restriction rides along
      // in that set (w.sql). Without filters: restricted customers are few, their rowids one
      // short list, so hiding them keeps the index-only plan.
      const hide = f.hideRestricted ? ` AND ${notRestrictedRowid('document_fts.rowid')}` : '';
      // A slice (countAndRank) builds only its own range of the filter's set: each slice
      // building all of it cost 8 of 63 ms per slice for "contract" + sla + date at 1M.
      const matches: Matches = (range, rank, hits) => {
        const { from, score, args } = rank ? ranking(q, hits) : { from: 'document_fts', score: '', args: [] };
        const cols = rank ? `document_fts.rowid AS rowid, ${score} AS score` : 'document_fts.rowid AS rowid';
        return hasFilters(f)
          ? {
              sql: `SELECT ${cols} FROM ${from}
                WHERE document_fts MATCH ? AND +document_fts.rowid IN (SELECT d.rowid FROM documents d WHERE ${w.sql}${range ? ' AND d.rowid BETWEEN ? AND ?' : ''})`,
              args: [...args, match, ...w.args, ...(range ?? [])],
            }
          : { sql: `SELECT ${cols} FROM ${from} WHERE document_fts MATCH ?${hide}`, args: [...args, match] };
      };
      // Counted, and past the cap ranked (bm25 for every match), in slices across idle connections.
      ({ n, top } = await countAndRank(q, matches, TOTAL_CAP + 1, limit, offset, q.bm25d ? { each: fts5Phrases(query), required: requiredPhrases(query) } : undefined));
    }
    const total = Math.min(n, TOTAL_CAP);
    if (top.length === 0) return { total, totalCapped: n > TOTAL_CAP, rows: [] };
    // Snippets for the page only. `rowid IN (…)` seeks each hit, and FTS5 sets the MATCH up again
    // per seek: cheap for plain words and the 2-3 letter prefixes it indexes (migration 003), but
    // another prefix is expanded over all its words each time, which costs as much as walking its
    // matches (20 x 0.5 ms for "kalo*" at 100k, 20 x 5 ms at 1M). Such a query, or any prefix
    // query with an uncapped count, is answered by one walk over its matches instead (10 -> 2 ms
    // at 100k); `+rowid` keeps the rowids out of the index.
    const prefixes = [...query.all.flat(), ...query.none].filter((t) => t.prefix);
    const walk = prefixes.length > 0 && (n <= TOTAL_CAP || prefixes.some((t) => ![2, 3].includes([...t.text].length)));
    const rows = await q.all<SearchRow & { rowid: number }>(
      `SELECT d.rowid AS rowid, d.id, d.customer_id, d.type, d.class, d.title, d.doc_date,
              snippet(document_fts, 1, '${MARK_OPEN}', '${MARK_CLOSE}', '…', 16) AS snippet
       FROM document_fts JOIN documents d ON d.rowid = document_fts.rowid
       WHERE document_fts MATCH ? AND ${walk ? '+' : ''}document_fts.rowid IN (${top.map(() => '?').join(',')})`,
      [match, ...top.map((t) => t.rowid)],
    );
    const byRowid = new Map(rows.map((r) => [r.rowid, r]));
    return {
      total,
      totalCapped: n > TOTAL_CAP,
      rows: top.flatMap((t) => {
        const r = byRowid.get(t.rowid);
        return r ? [{ ...r, score: t.score }] : [];
      }),
    };
  },

  matchText(q, query, f, limit) {
    const where = ['d.destroyed_at IS NULL'];
    const args: unknown[] = [toFts5Match(query)];
    if (f.customerId) (where.push('d.customer_id = ?'), args.push(f.customerId));
    if (f.type) (where.push('d.type = ?'), args.push(f.type));
    if (f.from) (where.push('COALESCE(d.doc_date, substr(d.created_at, 1, 10)) >= ?'), args.push(f.from));
    if (f.to) (where.push('COALESCE(d.doc_date, substr(d.created_at, 1, 10)) <= ?'), args.push(f.to));
    return q.all<{ id: string }>(
      // CROSS JOIN keeps the index as the outer loop: with the type/date indexes of migration 015
      // SQLite would otherwise walk documents first and run one MATCH per document (seconds).
      `SELECT d.id FROM document_fts CROSS JOIN documents d ON d.rowid = document_fts.rowid WHERE document_fts MATCH ? AND ${where.join(' AND ')} ORDER BY d.id LIMIT ?`,
      [...args, limit],
    );
  },

  async indexed(q, documentId) {
    return Boolean(await q.get('SELECT 1 AS x FROM document_fts WHERE rowid = (SELECT rowid FROM documents WHERE id = ?)', [documentId]));
  },

  count(q) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM document_fts').then((r) => r?.n ?? 0);
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
    return (await q.run('DELETE FROM document_fts WHERE rowid NOT IN (SELECT rowid FROM documents WHERE destroyed_at IS NULL)')).changes;
  },
};
