// Admin: webhooks to neighbouring systems. Register one (the secret is shown once), see
// deliveries per webhook, remove it, and replay dead letters.
import { api } from '../api.js';
import { field, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { announce, errorText, fmtDateTime, header, table } from '../ui.js';

export async function render(main) {
  const url = h('input', { id: 'wh-url', type: 'url', required: true, placeholder: 'https://crm.example/hooks/dossierlink' });
  const events = h('input', { id: 'wh-events', placeholder: 'document.*, status.set' });
  const description = h('input', { id: 'wh-description', maxlength: '500' });
  const created = h('div', { id: 'wh-created', 'aria-live': 'polite' });
  const listEl = h('div', { id: 'wh-list' }, h('p', { class: 'muted' }, t('common.loading')));
  const deadEl = h('div', { id: 'wh-dead' });

  async function load() {
    try {
      const [w, d] = await Promise.all([api('GET', '/api/webhooks'), api('GET', '/api/webhooks/dead-letters', { query: { limit: 50 } })]);
      replace(
        listEl,
        table(
          [
            { label: t('wh.url'), cell: (x) => [h('code', { class: 'small' }, x.url), x.description ? h('div', { class: 'small muted' }, x.description) : null] },
            { label: t('wh.events'), cell: (x) => (x.events.length ? x.events.join(', ') : t('wh.allEvents')) },
            { label: t('wh.deliveries'), cell: (x) => t('wh.deliveryCounts', x.deliveries) },
            { label: t('common.when'), cell: (x) => fmtDateTime(x.createdAt) },
            {
              label: '',
              cell: (x) => {
                const confirmBtn = h('button', { type: 'button', class: 'danger', hidden: true, onclick: () => remove(x.id) }, t('wh.removeYes'));
                return [h('button', { type: 'button', class: 'ghost', onclick: () => (confirmBtn.hidden = false) }, t('wh.remove')), ' ', confirmBtn];
              },
            },
          ],
          w.webhooks,
          { empty: t('wh.none'), rowAttrs: (x) => ({ dataset: { id: x.id } }) },
        ),
      );
      replace(
        deadEl,
        table(
          [
            { label: t('wh.event'), cell: (x) => [x.event?.type ?? '—', h('div', { class: 'small muted' }, x.url)] },
            { label: t('wh.lastError'), cell: (x) => [x.lastStatus ? `HTTP ${x.lastStatus}` : '', x.lastError ? h('div', { class: 'small' }, x.lastError) : null] },
            { label: t('wh.attempts'), class: 'num', cell: (x) => String(x.attempts) },
            { label: t('wh.deadAt'), cell: (x) => fmtDateTime(x.deadAt) },
            { label: '', cell: (x) => (x.webhookActive ? h('button', { type: 'button', onclick: () => replay(x.id) }, t('wh.replay')) : h('span', { class: 'muted small' }, t('wh.removed'))) },
          ],
          d.deadLetters,
          { empty: t('wh.noDead') },
        ),
      );
    } catch (err) {
      replace(listEl, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }
  async function remove(id) {
    try {
      await api('DELETE', `/api/webhooks/${id}`);
      announce(t('wh.removed'), 'ok');
      await load();
    } catch (err) {
      announce(errorText(err), 'error');
    }
  }
  async function replay(id) {
    try {
      await api('POST', `/api/webhooks/dead-letters/${id}/replay`);
      announce(t('wh.replayed'), 'ok');
      await load();
    } catch (err) {
      announce(errorText(err), 'error');
    }
  }

  const msg = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'card',
      id: 'wh-form',
      onsubmit: async (e) => {
        e.preventDefault();
        msg.textContent = '';
        const body = { url: url.value.trim() };
        const ev = events.value.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
        if (ev.length) body.events = ev;
        if (description.value.trim()) body.description = description.value.trim();
        try {
          const w = await api('POST', '/api/webhooks', { json: body });
          replace(created, h('div', { class: 'notice ok' }, h('p', {}, t('wh.created')), h('p', {}, t('wh.secretOnce'), ' ', h('code', { id: 'wh-secret' }, w.secret))));
          url.value = '';
          events.value = '';
          description.value = '';
          await load();
        } catch (err) {
          msg.textContent = errorText(err);
        }
      },
    },
    h('h2', {}, t('wh.new')),
    field(t('wh.url'), url),
    field(t('wh.events'), events, t('wh.eventsHint')),
    field(t('wh.description'), description),
    msg,
    h('button', { type: 'submit', class: 'primary', id: 'wh-submit' }, t('wh.create')),
  );

  main.append(header(t('wh.title'), t('wh.intro')), h('div', { class: 'split' }, h('div', {}, form, created), h('div', { class: 'stack' }, h('div', { class: 'card' }, h('h2', {}, t('wh.registered')), listEl), h('div', { class: 'card' }, h('h2', {}, t('wh.dead')), deadEl))));
  await load();
}
