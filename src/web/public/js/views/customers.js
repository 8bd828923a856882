// CRM: find a customer by number, name, KvK or postcode and open the dossier.
import { api } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { errorText, header, table } from '../ui.js';

export async function render(main, { query, navigate }) {
  const q = h('input', { id: 'customer-q', type: 'search', value: query.q ?? '', autocomplete: 'off', placeholder: t('customers.placeholder') });
  const out = h('div', { id: 'customer-results', 'aria-live': 'polite' });
  let seq = 0;
  const load = async () => {
    const my = ++seq;
    try {
      const r = await api('GET', '/api/customers', { query: { q: q.value.trim(), limit: 50 } });
      if (my !== seq) return;
      replace(
        out,
        table(
          [
            { label: t('customers.number'), cell: (c) => h('a', { href: `#/dossier/${encodeURIComponent(c.id)}` }, c.id) },
            { label: t('customers.name'), cell: (c) => [c.name, c.restricted ? h('span', { class: 'badge warn' }, t('customers.restricted')) : null] },
            { label: t('customers.city'), cell: (c) => [c.postcode, c.city].filter(Boolean).join(' ') || '—' },
            { label: 'KvK', cell: (c) => c.kvk ?? '—' },
          ],
          r.customers,
          { empty: t('customers.none'), caption: t('customers.found', { n: r.customers.length }) },
        ),
      );
    } catch (err) {
      replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  };
  q.addEventListener('input', debounce(load, 200));
  const form = h(
    'form',
    {
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        const first = out.querySelector('tbody a');
        // Enter on an exact customer number opens the dossier straight away.
        if (first && first.textContent.toUpperCase() === q.value.trim().toUpperCase()) navigate(`dossier/${encodeURIComponent(first.textContent)}`);
        else load();
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'customer-q' }, t('customers.search')), q),
  );
  main.append(header(t('customers.title'), t('customers.intro')), h('div', { class: 'card' }, form, out));
  q.focus();
  await load();
}
