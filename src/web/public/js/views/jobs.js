// Operators: the processing queue with status, attempts, progress and last error; retry failed jobs.
import { api } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t } from '../i18n.js';
import { announce, errorText, fmtDateTime, header, may, poll, statusBadge, table } from '../ui.js';

export async function render(main, { me, query, navigate }) {
  const status = select([['', t('jobs.all')], ...['queued', 'running', 'done', 'failed'].map((s) => [s, t(`status.${s}`)])], { id: 'jobs-status', value: query.status ?? '' });
  status.addEventListener('change', () => navigate('jobs', { status: status.value }));
  const counts = h('div', { class: 'kpis', id: 'jobs-counts' });
  const out = h('div', { id: 'jobs-table' });
  const canRetry = may(me, ['mailroom']);
  const names = new Map();

  async function load() {
    try {
      const r = await api('GET', '/api/jobs', { query: { status: status.value, limit: 100 } });
      // Files by name, not by job or document id.
      const ids = [...new Set(r.jobs.map((j) => j.payload?.documentId).filter((x) => x && !names.has(x)))];
      if (ids.length) {
        try {
          for (const d of (await api('GET', '/api/names', { query: { documents: ids.slice(0, 200).join(',') } })).documents) names.set(d.id, d.file_name || d.title);
        } catch {
          /* ids stay */
        }
      }
      const by = r.counts?.byStatus ?? {};
      replace(counts, ['queued', 'running', 'done', 'failed'].map((s) => h('div', { class: 'kpi' }, h('div', { class: 'n' }, String(by[s] ?? 0)), h('div', { class: 'l' }, t(`status.${s}`)))));
      replace(
        out,
        table(
          [
            { label: t('jobs.kind'), cell: (j) => [t(`jobs.kindName.${j.kind}`) === `jobs.kindName.${j.kind}` ? j.kind : t(`jobs.kindName.${j.kind}`), h('div', { class: 'muted small mono' }, j.id)] },
            { label: t('jobs.status'), cell: (j) => statusBadge(j.status) },
            { label: t('jobs.attempts'), class: 'num', cell: (j) => `${j.attempts}/${j.maxAttempts}` },
            { label: t('jobs.progress'), cell: (j) => (j.progress ? [h('progress', { max: String(j.progress.total || 1), value: String(j.progress.done), 'aria-label': t('jobs.progress') }), h('div', { class: 'small muted' }, `${j.progress.done}/${j.progress.total}${j.progress.note ? ` · ${j.progress.note}` : ''}`)] : '—') },
            { label: t('jobs.subject'), cell: (j) => subject(j.payload, names) },
            { label: t('jobs.updated'), cell: (j) => fmtDateTime(j.updatedAt) },
            { label: t('jobs.error'), cell: (j) => (j.lastError ? h('span', { class: 'error small' }, j.lastError) : '') },
            {
              label: '',
              cell: (j) =>
                j.status === 'failed' && canRetry
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'small',
                        onclick: async () => {
                          try {
                            await api('POST', `/api/jobs/${j.id}/retry`);
                            announce(t('jobs.retried', { id: j.id }), 'ok');
                            load();
                          } catch (err) {
                            announce(errorText(err), 'error');
                          }
                        },
                      },
                      t('jobs.retry'),
                    )
                  : '',
            },
          ],
          r.jobs,
          { empty: t('jobs.none') },
        ),
      );
    } catch (err) {
      replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }

  main.append(header(t('jobs.title'), t('jobs.intro')), counts, h('div', { class: 'card' }, h('div', { class: 'row filters' }, field(t('jobs.filter'), status)), out));
  await load();
  return poll(load, 4000);
}

function subject(payload, names) {
  if (!payload || typeof payload !== 'object') return '—';
  const name = payload.documentId ? names.get(payload.documentId) : null;
  if (name) return h('span', { class: 'job-file', title: payload.documentId }, name);
  return h('span', { class: 'mono small' }, payload.documentId ?? payload.batchId ?? '—');
}
