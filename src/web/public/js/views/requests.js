// CRM: my requests for paper, their state and where the paper is; cancel an open one.
import { api, ApiError } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t } from '../i18n.js';
import { announce, errorText, fmtDate, fmtDateTime, header, statusBadge, table, unavailable } from '../ui.js';

export async function render(main, { query, navigate }) {
  const status = select([['', t('requests.all')], ...['open', 'fulfilled', 'cancelled'].map((s) => [s, t(`status.${s}`)])], { id: 'req-status', value: query.status ?? 'open' });
  status.addEventListener('change', () => navigate('requests', { status: status.value }));
  const out = h('div', { id: 'requests-table' });
  main.append(header(t('requests.title'), t('requests.intro')), h('div', { class: 'card' }, h('div', { class: 'row filters' }, field(t('requests.filter'), status)), out));
  async function load() {
    try {
      const r = await api('GET', '/api/requests', { query: { status: status.value } });
      replace(
        out,
        table(
          [
            { label: t('common.document'), cell: (q) => [h('a', { href: `#/dossier/${encodeURIComponent(q.customerId ?? '')}?doc=${q.documentId}` }, q.title), h('div', { class: 'small muted' }, q.barcode ?? '')] },
            { label: t('common.customer'), cell: (q) => q.customerId ?? '—' },
            { label: t('requests.asked'), cell: (q) => fmtDateTime(q.createdAt) },
            { label: t('dossier.neededBy'), cell: (q) => fmtDate(q.neededBy) },
            { label: t('requests.state'), cell: (q) => statusBadge(q.status) },
            { label: t('scan.where'), cell: (q) => (q.location ? (q.location.kind === 'person' ? t('dossier.withPerson', { name: q.location.name, date: fmtDate(q.location.dueBackOn) }) : q.location.path) : '—') },
            {
              label: '',
              cell: (q) =>
                q.status === 'open'
                  ? h('button', { type: 'button', class: 'small', onclick: async () => { try { await api('POST', `/api/requests/${q.id}/cancel`); announce(t('requests.cancelled'), 'ok'); load(); } catch (err) { announce(errorText(err), 'error'); } } }, t('requests.cancel'))
                  : '',
            },
          ],
          r.requests,
          { empty: t('requests.none') },
        ),
      );
    } catch (err) {
      replace(out, err instanceof ApiError && err.unavailable ? unavailable() : h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }
  await load();
}
