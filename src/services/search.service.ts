import { customersRepository } from '../db/customers.repository.js';
import { QueryInterrupted, type Database } from '../db/database.js';
import { MARK_CLOSE, MARK_OPEN, searchRepository, type SearchFilters } from '../db/search.repository.js';
import { parseQuery, QueryError, type SearchQuery } from '../domain/search-query.js';
import type { Principal } from '../domain/roles.js';
import { seesRestricted } from '../domain/restriction.js';
import { Invalid, SearchTimeout } from '../errors.js';
import type { AuditService } from './audit.service.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Turns snippet markers into <mark> after escaping, so a snippet is safe to show as HTML. */
export function highlight(snippet: string): string {
  return escapeHtml(snippet).split(MARK_OPEN).join('<mark>').split(MARK_CLOSE).join('</mark>');
}

export type SearchHit = {
  documentId: string;
  customerId: string | null;
  customerName: string | null;
  type: string;
  class: string;
  title: string;
  docDate: string | null;
  score: number;
  snippet: string;
};

/**
 * Full-text search over every dossier. Searches are audited (what was looked for, by whom).
 * Each runs on a search connection of its own with a time budget (`timeoutMs`), so one costly
 * query never holds up the rest of the API; `signal` stops it when the client goes away.
 */
export class SearchService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    /** Mutable so an operator tool (or a test) can tighten the budget on a running instance. */
    public limits: { timeoutMs: number } = { timeoutMs: 3000 },
  ) {}

  async search(query: string, filters: SearchFilters, page: { limit: number; offset: number }, actor: Principal, signal?: AbortSignal) {
    let match: SearchQuery;
    try {
      match = parseQuery(query);
    } catch (err) {
      if (err instanceof QueryError) throw new Invalid(err.message, { query }, err.code);
      throw err;
    }
    let result: Awaited<ReturnType<typeof searchRepository.search>>;
    try {
      const visible = { ...filters, hideRestricted: !seesRestricted(actor) };
      result = await this.db.interruptible((q) => searchRepository.search(q, match, visible, page.limit, page.offset), { timeoutMs: this.limits.timeoutMs, signal });
    } catch (err) {
      if (!(err instanceof QueryInterrupted)) throw err;
      // Nobody reads the answer to a cancelled search; a timed-out one is worth an audit line.
      await this.audit.recordNow({ actorId: actor.id, action: 'search', subjectType: 'search', customerId: filters.customerId ?? null, details: { query, filters, interrupted: err.reason } });
      throw new SearchTimeout(`The search took longer than ${this.limits.timeoutMs} ms and was stopped; use longer words, fewer * prefixes or a filter (customer, type, dates)`, {
        timeoutMs: this.limits.timeoutMs,
        reason: err.reason,
      });
    }
    const { total, totalCapped, rows } = result;
    await this.audit.recordNow({
      actorId: actor.id,
      action: 'search',
      subjectType: 'search',
      customerId: filters.customerId ?? null,
      details: { query, filters, total },
    });
    // Whose documents they are, by name: a page's customers in one lookup.
    const names = await customersRepository.namesOf(this.db, rows.flatMap((r) => (r.customer_id ? [r.customer_id] : [])));
    const hits: SearchHit[] = rows.map((r) => ({
      documentId: r.id,
      customerId: r.customer_id,
      customerName: (r.customer_id && names.get(r.customer_id)) || null,
      type: r.type,
      class: r.class,
      title: r.title,
      docDate: r.doc_date,
      // bm25 is lower-is-better and negative; flip it so a higher score is a better hit.
      score: Math.round(-r.score * 1000) / 1000,
      snippet: highlight(r.snippet),
    }));
    return { total, totalCapped, limit: page.limit, offset: page.offset, hits };
  }
}
