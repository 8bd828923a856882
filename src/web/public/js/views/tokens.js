// Admin: API tokens for integrations, named, with roles and an optional expiry; shown once at
// creation, listed with their last use, revoked at once (issue #16).
import { api } from '../api.js';
import { field, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { announce, errorText, fmtDateTime, header, statusBadge, table } from '../ui.js';

const ROLES = ['mailroom', 'crm', 'compliance', 'admin'];

export async function render(main) {
  const name = h('input', { id: 'token-name', required: true, maxlength: 200 });
  const days = h('input', { id: 'token-days', type: 'number', min: 1, max: 3650, inputmode: 'numeric' });
  const boxes = ROLES.map((r) => h('input', { type: 'checkbox', id: `token-role-${r}`, value: r, checked: r === 'crm' }));
  const shown = h('div', { id: 'token-shown', 'aria-live': 'polite' });
  const out = h('div', { id: 'tokens-table' });
  const form = h(
    'form',
    {
      class: 'card',
      id: 'token-form',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const json = { name: name.value.trim(), roles: boxes.filter((b) => b.checked).map((b) => b.value) };
          if (days.value) json.expiresInDays = Number(days.value);
          const tok = await api('POST', '/api/tokens', { json });
          replace(shown, h('div', { class: 'notice ok' }, h('p', {}, t('tokens.once', { name: tok.name })), h('code', { id: 'token-value', class: 'token' }, tok.token)));
          form.reset();
          await load();
        } catch (err) {
          announce(errorText(err), 'error');
        }
      },
    },
    h('h2', {}, t('tokens.new')),
    h('div', { class: 'row' }, field(t('tokens.name'), name), field(t('tokens.days'), days, t('tokens.daysHint'))),
    h('fieldset', { class: 'roles' }, h('legend', {}, t('users.roles')), ROLES.map((r, i) => h('label', { class: 'check' }, boxes[i], ' ', t(`role.${r}`)))),
    h('button', { type: 'submit', class: 'primary' }, t('tokens.create')),
    shown,
  );
  main.append(header(t('tokens.title'), t('tokens.intro')), form, h('div', { class: 'card' }, out));

  async function load() {
    try {
      const r = await api('GET', '/api/tokens');
      replace(
        out,
        table(
          [
            { label: t('tokens.name'), cell: (x) => x.name },
            { label: t('users.roles'), cell: (x) => x.roles.map((r) => t(`role.${r}`)).join(', ') },
            { label: t('tokens.status'), cell: (x) => statusBadge(x.status) },
            { label: t('tokens.lastUsed'), cell: (x) => (x.lastUsedAt ? fmtDateTime(x.lastUsedAt) : t('tokens.never')) },
            { label: t('tokens.expires'), cell: (x) => (x.expiresAt ? fmtDateTime(x.expiresAt) : '—') },
            {
              label: '',
              cell: (x) =>
                x.status === 'active'
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'small',
                        dataset: { token: x.name },
                        onclick: async () => {
                          try {
                            await api('DELETE', `/api/tokens/${x.id}`);
                            announce(t('tokens.revoked', { name: x.name }), 'ok');
                            await load();
                          } catch (err) {
                            announce(errorText(err), 'error');
                          }
                        },
                      },
                      t('tokens.revoke'),
                    )
                  : '',
            },
          ],
          r.tokens,
          { empty: t('tokens.none') },
        ),
      );
    } catch (err) {
      replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }
  await load();
}
