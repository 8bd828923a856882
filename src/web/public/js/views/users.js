// Admin: people who sign in. Create one with a username and password, change roles, reset a
// password, disable or enable, sign out everywhere (issue #16).
import { api } from '../api.js';
import { field, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { announce, badge, errorText, fmtDateTime, header, table } from '../ui.js';

const ROLES = ['mailroom', 'crm', 'compliance', 'admin'];

/** Checkboxes for the four roles, with the ones given ticked. */
function roleBoxes(prefix, checked = []) {
  const boxes = ROLES.map((r) => h('input', { type: 'checkbox', id: `${prefix}-${r}`, value: r, checked: checked.includes(r) }));
  const el = h('fieldset', { class: 'roles' }, h('legend', {}, t('users.roles')), ROLES.map((r, i) => h('label', { class: 'check' }, boxes[i], ' ', t(`role.${r}`))));
  return { el, value: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

export async function render(main) {
  const name = h('input', { id: 'user-name', required: true, maxlength: 200 });
  const username = h('input', { id: 'user-username', required: true, autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z0-9._@\\-]{2,64}' });
  const password = h('input', { id: 'user-password', type: 'password', required: true, minlength: 10, autocomplete: 'new-password' });
  const roles = roleBoxes('new-role', ['crm']);
  const out = h('div', { id: 'users-table' });
  const form = h(
    'form',
    {
      class: 'card',
      id: 'user-form',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const u = await api('POST', '/api/users', { json: { name: name.value.trim(), username: username.value.trim(), password: password.value, roles: roles.value() } });
          announce(t('users.created', { name: u.name, username: u.username }), 'ok');
          form.reset();
          await load();
        } catch (err) {
          announce(errorText(err), 'error');
        }
      },
    },
    h('h2', {}, t('users.new')),
    h('div', { class: 'row' }, field(t('users.name'), name), field(t('signin.username'), username), field(t('signin.password'), password, t('users.passwordHint'))),
    roles.el,
    h('button', { type: 'submit', class: 'primary' }, t('users.create')),
  );
  main.append(header(t('users.title'), t('users.intro')), form, h('div', { class: 'card' }, out));

  const act = async (fn, ok) => {
    try {
      await fn();
      announce(ok, 'ok');
      await load();
    } catch (err) {
      announce(errorText(err), 'error');
    }
  };

  function editor(u) {
    const box = roleBoxes(`roles-${u.id}`, u.roles);
    const pw = h('input', { type: 'password', minlength: 10, autocomplete: 'new-password', id: `pw-${u.id}`, 'aria-label': t('users.newPassword', { name: u.name }), placeholder: t('users.newPasswordPlaceholder') });
    return h(
      'div',
      { class: 'user-actions', dataset: { user: u.username ?? u.id } },
      box.el,
      h('button', { type: 'button', class: 'small', onclick: () => act(() => api('PATCH', `/api/users/${u.id}`, { json: { roles: box.value() } }), t('users.saved')) }, t('users.saveRoles')),
      u.username
        ? h('span', { class: 'row' }, pw, h('button', { type: 'button', class: 'small', onclick: () => act(() => api('PATCH', `/api/users/${u.id}`, { json: { password: pw.value } }), t('users.reset')) }, t('users.resetPassword')))
        : null,
      h(
        'button',
        { type: 'button', class: 'small', onclick: () => act(() => api('PATCH', `/api/users/${u.id}`, { json: { disabled: !u.disabled } }), u.disabled ? t('users.enabled') : t('users.disabledNow')) },
        u.disabled ? t('users.enable') : t('users.disable'),
      ),
      h('button', { type: 'button', class: 'small', onclick: () => act(() => api('DELETE', `/api/users/${u.id}/sessions`), t('users.signedOut')) }, t('users.signOutEverywhere')),
    );
  }

  async function load() {
    try {
      const r = await api('GET', '/api/users');
      replace(
        out,
        table(
          [
            { label: t('users.name'), cell: (u) => [u.name, u.disabled ? [' ', badge(t('users.disabled'), 'warn')] : ''] },
            { label: t('signin.username'), cell: (u) => u.username ?? (u.sso ? t('users.sso') : t('users.tokenOnly')) },
            { label: t('users.roles'), cell: (u) => u.roles.map((x) => t(`role.${x}`)).join(', ') },
            { label: t('users.since'), cell: (u) => fmtDateTime(u.createdAt) },
            { label: '', cell: (u) => editor(u) },
          ],
          r.users,
        ),
      );
    } catch (err) {
      replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }
  await load();
}
