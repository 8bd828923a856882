// API access: how integrations and scripts call Dossierlink with a bearer token, and a field to
// check a token (it used to be the sign-in field; people now sign in with a password or SSO).
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { header } from '../ui.js';

export async function render(main, { me }) {
  const input = h('input', { id: 'api-token', type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'dlt_…' });
  const result = h('p', { id: 'api-token-result', role: 'status' });
  const origin = location.origin;
  main.append(
    header(t('api.title'), t('api.intro')),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, t('api.howTitle')),
      h('p', {}, t('api.how')),
      h('pre', { class: 'code' }, `curl -H "Authorization: Bearer dlt_…" ${origin}/api/customers/KL-000123/dossier`),
      h('p', {}, t(me.roles.includes('admin') ? 'api.adminTokens' : 'api.askAdmin'), ' ', me.roles.includes('admin') ? h('a', { href: '#/tokens' }, t('nav.tokens')) : null),
      h('p', {}, h('a', { href: '/api-docs.html' }, t('nav.apiDocs'))),
    ),
    h(
      'form',
      {
        class: 'card',
        onsubmit: async (e) => {
          e.preventDefault();
          // A plain fetch without the session: only the token speaks here.
          const res = await fetch('/api/me', { headers: { authorization: `Bearer ${input.value.trim()}` }, credentials: 'omit' });
          if (res.ok) {
            const who = await res.json();
            replace(result, t('api.tokenOk', { name: who.name, roles: who.roles.map((r) => t(`role.${r}`)).join(', ') }));
          } else replace(result, t('api.tokenBad'));
        },
      },
      h('h2', {}, t('api.checkTitle')),
      h('div', { class: 'field' }, h('label', { for: 'api-token' }, t('api.token')), input),
      h('button', { type: 'submit' }, t('api.check')),
      result,
    ),
  );
}
