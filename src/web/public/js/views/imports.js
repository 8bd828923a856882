// Customer imports (CRM master data as CSV or NDJSON): try a file first (dry run), read the
// report per row, then import it; recent imports with their totals.
import { api, upload } from '../api.js';
import { field, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { errorText, fmtDateTime, header, poll, statusBadge, table } from '../ui.js';

export async function render(main) {
  const file = h('input', { type: 'file', id: 'imp-file', accept: '.csv,.txt,.ndjson,.jsonl,.json,text/csv,application/x-ndjson' });
  const dry = h('input', { type: 'checkbox', id: 'imp-dry', checked: true });
  const out = h('div', { id: 'imp-report', 'aria-live': 'polite' });
  const listEl = h('div', { id: 'imp-list' }, h('p', { class: 'muted' }, t('common.loading')));
  const disposers = [];

  function drawReport(r) {
    replace(
      out,
      h(
        'div',
        { class: 'card' },
        h('h2', {}, r.file?.name ?? t('imp.file'), ' ', statusBadge(r.status), r.dryRun ? [' ', h('span', { class: 'badge info', id: 'imp-dry-badge' }, t('imp.dryRunBadge'))] : null),
        r.status === 'queued' || r.status === 'running' ? h('progress', { max: String(r.progress.total || 1), value: String(r.progress.done), 'aria-label': t('jobs.progress') }) : null,
        h(
          'dl',
          { class: 'kv', id: 'imp-totals' },
          ['rows', 'created', 'updated', 'unchanged', 'failed'].map((k) => [h('dt', {}, t(`imp.total.${k}`)), h('dd', {}, String(r.totals[k]))]),
        ),
        r.error ? h('p', { class: 'error' }, r.error) : null,
        r.errors?.length
          ? [h('h3', {}, t('imp.rowErrors')), table([{ label: t('imp.row'), class: 'num', cell: (e) => String(e.row) }, { label: t('imp.field'), cell: (e) => e.field ?? '—' }, { label: t('imp.customer'), cell: (e) => e.customerId ?? '—' }, { label: t('imp.problem'), cell: (e) => e.message }], r.errors)]
          : null,
        r.dryRun && r.status === 'done' && !r.totals.failed ? h('p', { class: 'notice ok' }, t('imp.dryOk')) : null,
      ),
    );
  }

  async function loadList() {
    try {
      const r = await api('GET', '/api/imports', { query: { limit: 20 } });
      replace(
        listEl,
        table(
          [
            { label: t('imp.file'), cell: (i) => [i.file.name ?? '—', i.dryRun ? [' ', h('span', { class: 'badge info' }, t('imp.dryRunBadge'))] : null] },
            { label: t('jobs.status'), cell: (i) => statusBadge(i.status) },
            { label: t('imp.total.rows'), class: 'num', cell: (i) => String(i.totals.rows) },
            { label: t('imp.total.failed'), class: 'num', cell: (i) => String(i.totals.failed) },
            { label: t('common.when'), cell: (i) => fmtDateTime(i.createdAt) },
          ],
          r.imports,
          { empty: t('imp.none') },
        ),
      );
    } catch (err) {
      replace(listEl, h('p', { class: 'error' }, errorText(err)));
    }
  }

  const form = h(
    'form',
    {
      class: 'card',
      id: 'imp-form',
      onsubmit: async (e) => {
        e.preventDefault();
        const f = file.files?.[0];
        if (!f) return replace(out, h('p', { class: 'error', role: 'alert' }, t('imp.chooseFile')));
        const fd = new FormData();
        fd.append('file', f, f.name);
        replace(out, h('p', { class: 'muted' }, t('common.loading')));
        try {
          const { status, body } = await upload(`/api/imports/customers${dry.checked ? '?dryRun=true' : ''}`, fd);
          drawReport(body);
          if (status === 202) {
            const stop = poll(async () => {
              const cur = await api('GET', `/api/imports/${body.id}`);
              drawReport(cur);
              if (cur.status === 'done' || cur.status === 'failed') (stop(), loadList());
            }, 1500);
            disposers.push(stop);
          } else await loadList();
        } catch (err) {
          replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err)));
        }
      },
    },
    h('h2', {}, t('imp.new')),
    h('p', { class: 'muted small' }, t('imp.help')),
    field(t('imp.file'), file),
    h('label', { class: 'choice' }, dry, t('imp.dryRun')),
    h('button', { type: 'submit', class: 'primary', id: 'imp-submit' }, t('imp.submit')),
  );

  main.append(header(t('imp.title'), t('imp.intro')), h('div', { class: 'split' }, h('div', {}, form, out), h('div', { class: 'card' }, h('h2', {}, t('imp.recent')), listEl)));
  await loadList();
  return () => disposers.forEach((d) => d());
}
