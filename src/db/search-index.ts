import type { SearchQuery } from '../domain/search-query.js';
import type { Queryable } from './database.js';

export type SearchFilters = {
  customerId?: string;
  type?: string;
  class?: 'dynamic' | 'static';
  from?: string;
  to?: string;
  /** GDPR art. 18: leave out documents of restricted customers (set from who searches, never from the query string). */
  hideRestricted?: boolean;
};

/** One hit. `score` is lower-is-better (FTS5's bm25 convention; the PostgreSQL index negates its rank to match). */
export type SearchRow = { id: string; customer_id: string | null; type: string; class: string; title: string; doc_date: string | null; score: number; snippet: string };

export type SearchResult = { total: number; totalCapped: boolean; rows: SearchRow[] };

/** Filters of a legal hold placed by query (dates fall back to the upload date). */
export type HoldTextFilters = { customerId: string | null; type: string | null; from: string | null; to: string | null };

// Private-use markers survive snippet()/ts_headline(); the service escapes the text and turns them into <mark>.
export const MARK_OPEN = '\uE000';
export const MARK_CLOSE = '\uE001';

/** Totals are counted up to this; past it the total says "at least". Nobody pages to hit 10,001. */
export const TOTAL_CAP = 10_000;

/** One document's entry in the full-text index. */
export type IndexEntry = { id: string; title: string; text: string };

/**
 * indexMany's statements: the entries (a document given twice only as its last), in batches of
 * at most 1,000 documents and about 8 MB of text, so a batch of long documents (a migration's
 * 100-page scans) is never one statement of hundreds of megabytes.
 */
export function indexBatches(docs: readonly IndexEntry[]): IndexEntry[][] {
  const out: IndexEntry[][] = [];
  let batch: IndexEntry[] = [];
  let chars = 0;
  for (const d of new Map(docs.map((e) => [e.id, e])).values()) {
    if (batch.length && (batch.length >= 1000 || chars + d.text.length > 8_000_000)) (out.push(batch), (batch = []), (chars = 0));
    batch.push(d);
    chars += d.text.length + d.title.length;
  }
  if (batch.length) out.push(batch);
  return out;
}

/**
 * The full-text index port (issue #13): one per database engine, chosen by the connection's
 * dialect, so services, jobs and the CLI never see FTS5 or tsquery. Everything that reads or
 * writes the index goes through it: indexing, searching (with filters, ranking and snippets),
 * legal holds by text and the `reindex` walk.
 */
export interface SearchIndex {
  /** (Re)indexes a document's title and text (replaces what was indexed for it). */
  index(q: Queryable, documentId: string, title: string, text: string): Promise<void>;
  /** index() for many documents at once (a rebuild, a bulk load): the same entries, fewer statements. */
  indexMany(q: Queryable, docs: readonly IndexEntry[]): Promise<void>;
  remove(q: Queryable, documentId: string): Promise<void>;
  /** Ranked hits (title weighs 3x text; newest first within one customer) with a highlighted snippet, filtered and paged. */
  search(q: Queryable, query: SearchQuery, f: SearchFilters, limit: number, offset: number): Promise<SearchResult>;
  /** Live documents matching a query and a hold's filters, by id, for freezing a text hold. */
  matchText(q: Queryable, query: SearchQuery, f: HoldTextFilters, limit: number): Promise<{ id: string }[]>;
  /** Whether a document has an index entry (a destroyed one must not). */
  indexed(q: Queryable, documentId: string): Promise<boolean>;
  /** How many documents are indexed. */
  count(q: Queryable): Promise<number>;
  /** Live documents that have page text or an index entry: the ones a full-text rebuild touches. */
  countReindexable(q: Queryable): Promise<number>;
  /** The next batch of those after a rowid, in rowid order (no OFFSET, so the walk stays cheap on a large table). */
  reindexBatchAfter(q: Queryable, afterRowid: number, limit: number): Promise<{ rowid: number; id: string; title: string }[]>;
  /** Removes index entries of documents that are destroyed or gone; returns how many. */
  removeOrphans(q: Queryable): Promise<number>;
}
