// Compliance: who saw and did what. Filter the hash-chained audit log and verify the chain.
import { api } from '../api.js';
import { field, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { badge, errorText, fmtDateTime, header, table } from '../ui.js';

export async function render(main, { query, navigate }) {
  const f = {
    customerId: h('input', { id: 'audit-customer', value: query.customerId ?? '', placeholder: 'KL-000123' }),
    actorId: h('input', { id: 'audit-actor', value: query.actorId ?? '', placeholder: 'usr_…' }),
    action: h('input', { id: 'audit-action', value: query.action ?? '', placeholder: 'document.read' }),
    from: h('input', { id: 'audit-from', type: 'date', value: query.from ?? '' }),
    to: h('input', { id: 'audit-to', type: 'date', value: query.to ?? '' }),
  };
  const verifyOut = h('div', { id: 'verify-result', 'aria-live': 'polite' });
  const out = h('div', { id: 'audit-table' });
  const values = () => Object.fromEntries(Object.entries(f).map(([k, el]) => [k, el.value.trim()]));
  const form = h(
    'form',
    { onsubmit: (e) => (e.preventDefault(), navigate('audit', values())) },
    h('div', { class: 'row' }, field(t('common.customer'), f.customerId), field(t('audit.actor'), f.actorId), field(t('audit.action'), f.action), field(t('search.from'), f.from), field(t('search.to'), f.to), h('button', { type: 'submit', class: 'primary' }, t('audit.filter'))),
  );
  const verify = async () => {
    replace(verifyOut, h('p', { class: 'muted' }, t('audit.verifying')));
    try {
      const r = await api('GET', '/api/audit/verify');
      replace(
        verifyOut,
        r.ok
          ? h('p', { class: 'notice ok' }, t('audit.intact', { n: r.checked }))
          : h('p', { class: 'notice error', role: 'alert' }, t('audit.broken', { n: r.checked, seq: r.firstBadEvent?.seq ?? '?', reason: r.firstBadEvent?.reason ?? '' })),
      );
    } catch (err) {
      replace(verifyOut, h('p', { class: 'error' }, errorText(err)));
    }
  };
  main.append(
    header(t('audit.title'), t('audit.intro'), h('button', { type: 'button', id: 'verify', class: 'primary', onclick: verify }, t('audit.verify'))),
    verifyOut,
    h('div', { class: 'card' }, form, out),
  );
  const to = f.to.value ? `${f.to.value}T23:59:59.999Z` : undefined;
  try {
    const r = await api('GET', '/api/audit', { query: { ...values(), to, limit: 100, before: query.before } });
    replace(
      out,
      table(
        [
          { label: '#', class: 'num', cell: (e) => String(e.seq) },
          { label: t('common.when'), cell: (e) => fmtDateTime(e.at) },
          { label: t('audit.actor'), cell: (e) => h('span', { class: 'mono small' }, e.actorId ?? '—') },
          { label: t('audit.action'), cell: (e) => badge(e.action, e.action.includes('destroy') || e.action.includes('erase') ? 'bad' : e.action.includes('read') || e.action.includes('view') ? 'info' : 'neutral') },
          { label: t('audit.subject'), cell: (e) => [e.subjectType, e.subjectId ? h('div', { class: 'mono small' }, e.subjectId) : null] },
          { label: t('common.customer'), cell: (e) => (e.customerId ? h('a', { href: `#/audit?customerId=${encodeURIComponent(e.customerId)}` }, e.customerId) : '—') },
          { label: t('audit.details'), cell: (e) => h('span', { class: 'small mono' }, summarise(e.details)) },
        ],
        r.events,
        { empty: t('audit.none') },
      ),
      r.next ? h('p', {}, h('button', { type: 'button', onclick: () => navigate('audit', { ...values(), before: r.next }) }, t('audit.older'))) : null,
    );
  } catch (err) {
    replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err)));
  }
}

function summarise(details) {
  const s = Object.entries(details ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' ');
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}
