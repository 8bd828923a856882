// Operators: the processing queue with status, attempts, progress and last error; retry failed jobs.
import { api } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t, tKnown } from '../i18n.js';
import { announce, errorSentence, errorText, failureText, fmtDateTime, header, may, poll, statusBadge, table } from '../ui.js';

export async function render(main, { me, query, navigate }) {
  const status = select([['', t('jobs.all')], ...['queued', 'running', 'done', 'failed'].map((s) => [s, t(`status.${s}`)])], { id: 'jobs-status', value: query.status ?? '' });
  // The kinds are filled from the counts once loaded; the one asked for is there from the start.
  const kind = select([['', t('jobs.allKinds')], ...(query.kind ? [[query.kind, kindName(query.kind)]] : [])], { id: 'jobs-kind', value: query.kind ?? '' });
  const filter = () => navigate('jobs', { status: status.value, kind: kind.value });
  status.addEventListener('change', filter);
  kind.addEventListener('change', filter);
  const counts = h('div', { class: 'kpis', id: 'jobs-counts' });
  // After an outage every job on it failed: all of them (of the kind shown) back in one go.
  const retryAll = h('button', { type: 'button', id: 'jobs-retry-all', hidden: true }, '');
  retryAll.addEventListener('click', async () => {
    retryAll.disabled = true;
    try {
      const r = await api('POST', '/api/jobs/retry-failed', { json: kind.value ? { kind: kind.value } : {} });
      announce(t('jobs.retriedAll', { n: r.retried, remaining: r.remaining }), 'ok');
    } catch (err) {
      announce(errorText(err), 'error');
    } finally {
      retryAll.disabled = false;
      load();
    }
  });
  const out = h('div', { id: 'jobs-table' });
  const canRetry = may(me, ['mailroom']);
  const names = new Map();
  // Stacks unfolded by the operator stay unfolded when the list refreshes (every 4 s).
  const openStacks = new Set();
  // The newest PAGE jobs, a PAGE more on request, up to what the API lists at once (MAX); past
  // that the list pages on by MAX (older, newer), so every job of a long queue can be reached.
  const PAGE = 100;
  const MAX = 500;
  let shown = PAGE;
  let offset = 0;
  const more = h('div', { id: 'jobs-more' });
  const moveTo = (at, scroll = true) => {
    offset = Math.max(0, at);
    if (scroll) out.scrollIntoView?.({ block: 'start' });
    return load();
  };

  async function load() {
    try {
      const r = await api('GET', '/api/jobs', { query: { status: status.value, kind: kind.value, limit: shown, offset } });
      // Files by name, not by job or document id.
      const ids = [...new Set(r.jobs.map((j) => j.payload?.documentId).filter((x) => x && !names.has(x)))];
      if (ids.length) {
        try {
          for (const d of (await api('GET', '/api/names', { query: { documents: ids.slice(0, 200).join(',') } })).documents) names.set(d.id, d.file_name || d.title);
        } catch {
          /* ids stay */
        }
      }
      const by = (kind.value ? r.counts?.byKind?.[kind.value] : r.counts?.byStatus) ?? {};
      replace(counts, ['queued', 'running', 'done', 'failed'].map((s) => h('div', { class: 'kpi' }, h('div', { class: 'n' }, String(by[s] ?? 0)), h('div', { class: 'l' }, t(`status.${s}`)))));
      const kinds = Object.keys(r.counts?.byKind ?? {}).sort((a, b) => kindName(a).localeCompare(kindName(b)));
      const chosen = kind.value;
      replace(kind, h('option', { value: '' }, t('jobs.allKinds')), [...new Set([...kinds, ...(chosen ? [chosen] : [])])].map((k) => h('option', { value: k }, kindName(k))));
      kind.value = chosen;
      retryAll.hidden = !(canRetry && by.failed > 0);
      retryAll.textContent = t('jobs.retryAll', { n: by.failed ?? 0 });
      replace(
        out,
        table(
          [
            { label: t('jobs.kind'), cell: (j) => [kindName(j.kind), h('div', { class: 'muted small mono' }, j.id)] },
            { label: t('jobs.status'), cell: (j) => statusBadge(j.status) },
            { label: t('jobs.attempts'), class: 'num', cell: (j) => `${j.attempts}/${j.maxAttempts}` },
            { label: t('jobs.progress'), cell: (j) => (j.progress ? [h('progress', { max: String(j.progress.total || 1), value: String(j.progress.done), 'aria-label': t('jobs.progress') }), h('div', { class: 'small muted job-note' }, [`${j.progress.done}/${j.progress.total}`, noteText(j.progress)].filter(Boolean).join(' · '))] : '—') },
            { label: t('jobs.subject'), cell: (j) => subject(j.payload, names) },
            { label: t('jobs.updated'), cell: (j) => fmtDateTime(j.updatedAt) },
            { label: t('jobs.error'), cell: (j) => errorCell(j, openStacks) },
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
      // How many there are of what is shown: one status of the kind chosen, or all of them.
      const total = status.value ? (by[status.value] ?? 0) : Object.values(by).reduce((a, b) => a + (Number(b) || 0), 0);
      // A page past the end (jobs done and cleared meanwhile): back to the last one there is.
      if (offset > 0 && r.jobs.length === 0 && total > 0) return moveTo(Math.floor((total - 1) / shown) * shown, false);
      const older = total - offset - r.jobs.length;
      const newer = offset > 0 ? h('button', { type: 'button', class: 'small', id: 'jobs-newer', onclick: () => moveTo(offset - shown) }, t('jobs.newer', { n: Math.min(shown, offset) })) : null;
      const next =
        older > 0 && shown < MAX
          ? h('button', { type: 'button', class: 'small', id: 'jobs-show-more', onclick: () => ((shown = Math.min(MAX, shown + PAGE)), load()) }, t('jobs.more', { n: Math.min(PAGE, older, MAX - shown) }))
          : older > 0
            ? h('button', { type: 'button', class: 'small', id: 'jobs-older', onclick: () => moveTo(offset + shown) }, t('jobs.older', { n: Math.min(shown, older) }))
            : null;
      const said = offset === 0 ? t('jobs.showing', { n: r.jobs.length, total }) : t('jobs.showingRange', { from: offset + 1, to: offset + r.jobs.length, total });
      replace(more, newer || next ? h('p', { class: 'small muted' }, [said, newer, next].filter(Boolean).flatMap((x, i) => (i ? [' ', x] : [x]))) : null);
    } catch (err) {
      replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }

  main.append(header(t('jobs.title'), t('jobs.intro')), counts, h('div', { class: 'card' }, h('div', { class: 'row filters' }, field(t('jobs.filter'), status), field(t('jobs.kindFilter'), kind), h('div', { class: 'jobs-actions' }, retryAll)), out, more));
  await load();
  return poll(load, 4000);
}

/** A job kind's name in the user's language, else the kind itself. */
function kindName(k) {
  return tKnown(`jobs.kindName.${k}`) ?? k;
}

/** A progress note in the user's language (jobs.note.<code>), else the server's own note. */
function noteText(p) {
  if (p.noteCode) {
    const params = { ...(p.noteParams ?? {}) };
    if (params.kind !== undefined) params.kindName = tKnown(`jobs.pageKind.${params.kind}`) ?? String(params.kind);
    const text = tKnown(`jobs.note.${p.noteCode}`, params);
    if (text) return text.trim();
  }
  return p.note ?? '';
}

/**
 * Why the job last failed, in the user's language (error.<code>, as documents say it), with the
 * server's own text and stack folded away below it for whoever has to dig further. `open`: the
 * jobs whose stack is unfolded, kept across the screen's refreshes.
 */
function errorCell(j, open) {
  if (!j.lastError && !j.lastErrorCode) return '';
  const said = failureText({ errorCode: j.lastErrorCode, errorDetails: j.lastErrorDetails, error: errorSentence(j.lastError) }, { job: true });
  const stack = j.lastError && !j.restricted ? h('details', { class: 'small', open: open.has(j.id) }, h('summary', {}, t('jobs.technical')), h('pre', { class: 'mono small job-stack' }, j.lastError)) : null;
  stack?.addEventListener('toggle', () => (stack.open ? open.add(j.id) : open.delete(j.id)));
  return h('div', { class: 'job-error' }, h('span', { class: 'error small' }, said), stack);
}

function subject(payload, names) {
  if (!payload || typeof payload !== 'object') return '—';
  const name = payload.documentId ? names.get(payload.documentId) : null;
  if (name) return h('span', { class: 'job-file', title: payload.documentId }, name);
  return h('span', { class: 'mono small' }, payload.documentId ?? payload.batchId ?? '—');
}
