// CRM and compliance: full-text search across all dossiers, snippets with the hits marked.
import { api } from '../api.js';
import { field, h, replace, safeSnippet, select } from '../dom.js';
import { t } from '../i18n.js';
import { classBadge, errorText, fmtDate, header, typeName, typeOptions, meta } from '../ui.js';

const PAGE = 20;

export async function render(main, { query, navigate }) {
  const q = h('input', { id: 'search-q', type: 'search', value: query.q ?? '', autocomplete: 'off', placeholder: t('search.placeholder') });
  const type = select(typeOptions(t('search.anyType')), { id: 'search-type', value: query.type ?? '' });
  const cls = select([['', t('search.anyClass')], ['dynamic', t('class.dynamic')], ['static', t('class.static')]], { id: 'search-class', value: query.class ?? '' });
  const from = h('input', { id: 'search-from', type: 'date', value: query.from ?? '' });
  const to = h('input', { id: 'search-to', type: 'date', value: query.to ?? '' });
  const customer = h('input', { id: 'search-customer', value: query.customerId ?? '', placeholder: 'KL-000123', autocomplete: 'off' });
  const out = h('div', { id: 'search-results', 'aria-live': 'polite' });
  const offset = Number(query.offset ?? 0) || 0;

  const params = (extra = {}) => ({ q: q.value.trim(), type: type.value, class: cls.value, from: from.value, to: to.value, customerId: customer.value.trim(), ...extra });
  const form = h(
    'form',
    { role: 'search', onsubmit: (e) => (e.preventDefault(), navigate('search', params())) },
    h('div', { class: 'row' }, h('div', { class: 'field', style: 'flex: 3 1 20rem' }, h('label', { for: 'search-q' }, t('search.query')), q), h('button', { type: 'submit', class: 'primary' }, t('common.search'))),
    h('details', { open: !!(query.type || query.class || query.from || query.to || query.customerId) }, h('summary', {}, t('search.filters')), h('div', { class: 'row' }, field(t('common.type'), type), field(t('dossier.class'), cls), field(t('search.from'), from), field(t('search.to'), to), field(t('common.customer'), customer))),
    h('p', { class: 'hint' }, t('search.syntax')),
  );
  main.append(header(t('search.title'), t('search.intro')), h('div', { class: 'card' }, form), h('div', { class: 'card' }, out));
  q.focus();
  if (!q.value.trim()) {
    replace(out, h('p', { class: 'empty' }, t('search.start')));
    return;
  }
  try {
    const r = await api('GET', '/api/search', { query: { ...params(), limit: PAGE, offset } });
    const link = (hit) => `#/dossier/${encodeURIComponent(hit.customerId ?? '')}?${new URLSearchParams({ doc: hit.documentId, q: q.value.trim() })}`;
    replace(
      out,
      h('h2', { id: 'search-count' }, t(r.totalCapped ? 'search.resultsMore' : 'search.results', { n: r.total })),
      r.hits.length
        ? h(
            'ol',
            { class: 'list', start: String(offset + 1) },
            r.hits.map((hit) =>
              h(
                'li',
                { class: 'hit' },
                h('a', { class: 'title', href: link(hit) }, hit.title || hit.documentId),
                meta('div', hit.customerId ? (hit.customerName ? h('span', { title: hit.customerId }, `${hit.customerName} · ${hit.customerId}`) : hit.customerId) : t('review.noCustomer'), typeName(hit.type), classBadge(hit.class), fmtDate(hit.docDate)),
                hit.snippet ? h('p', { class: 'snippet' }, safeSnippet(hit.snippet)) : null,
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('search.nothing')),
      h(
        'div',
        { class: 'row' },
        offset > 0 ? h('button', { type: 'button', onclick: () => navigate('search', params({ offset: Math.max(0, offset - PAGE) })) }, t('common.previous')) : null,
        offset + PAGE < r.total ? h('button', { type: 'button', onclick: () => navigate('search', params({ offset: offset + PAGE })) }, t('common.next')) : null,
      ),
    );
  } catch (err) {
    replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err)));
  }
}
