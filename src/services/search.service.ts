import type { Database } from '../db/database.js';
import { MARK_CLOSE, MARK_OPEN, searchRepository, type SearchFilters } from '../db/search.repository.js';
import { compileQuery, QueryError } from '../domain/search-query.js';
import type { Principal } from '../domain/roles.js';
import { Invalid } from '../errors.js';
import type { AuditService } from './audit.service.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Turns snippet markers into <mark> after escaping, so a snippet is safe to show as HTML. */
export function highlight(snippet: string): string {
  return escapeHtml(snippet).split(MARK_OPEN).join('<mark>').split(MARK_CLOSE).join('</mark>');
}

export type SearchHit = {
  documentId: string;
  customerId: string | null;
  type: string;
  class: string;
  title: string;
  docDate: string | null;
  score: number;
  snippet: string;
};

/** Full-text search over every dossier. Searches are audited (what was looked for, by whom). */
export class SearchService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async search(query: string, filters: SearchFilters, page: { limit: number; offset: number }, actor: Principal) {
    let match: string;
    try {
      match = compileQuery(query);
    } catch (err) {
      if (err instanceof QueryError) throw new Invalid(err.message, { query }, 'invalid_query');
      throw err;
    }
    const { total, totalCapped, rows } = await searchRepository.search(this.db, match, filters, page.limit, page.offset);
    await this.audit.recordNow({
      actorId: actor.id,
      action: 'search',
      subjectType: 'search',
      customerId: filters.customerId ?? null,
      details: { query, filters, total },
    });
    const hits: SearchHit[] = rows.map((r) => ({
      documentId: r.id,
      customerId: r.customer_id,
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
