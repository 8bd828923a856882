// The shell: sign-in, navigation by role, a hash router and the status messages.
import { api, ApiError, forgetRoutes, onUnauthorized, session } from './api.js';
import { $, h, replace } from './dom.js';
import { getLang, onLangChange, setLang, t } from './i18n.js';
import { announce, clearStatus, errorText, may, navigate } from './ui.js';
import { refreshBadges } from './badges.js';

/**
 * Every screen: its hash path, the roles that may open it (admin always may), its menu group
 * and the module that draws it. A module exports `render(main, ctx)` and may return a cleanup.
 */
const SCREENS = [
  { path: 'upload', group: 'mailroom', roles: ['mailroom'], load: () => import('./views/upload.js') },
  { path: 'review', group: 'mailroom', roles: ['mailroom'], load: () => import('./views/review.js') },
  { path: 'paper', group: 'mailroom', roles: ['mailroom'], load: () => import('./views/paper.js') },
  { path: 'tracker', group: 'mailroom', roles: ['mailroom'], load: () => import('./views/tracker.js') },
  { path: 'coupons', group: 'mailroom', roles: ['mailroom', 'compliance'], load: () => import('./views/coupons.js') },
  { path: 'jobs', group: 'mailroom', roles: ['mailroom', 'compliance'], load: () => import('./views/jobs.js') },
  { path: 'customers', group: 'crm', roles: ['crm', 'compliance'], load: () => import('./views/customers.js') },
  { path: 'dossier', group: 'crm', roles: ['crm', 'compliance'], hidden: true, load: () => import('./views/dossier.js') },
  { path: 'search', group: 'crm', roles: ['crm', 'compliance'], load: () => import('./views/search.js') },
  { path: 'requests', group: 'crm', roles: ['crm'], load: () => import('./views/requests.js') },
  { path: 'retention', group: 'compliance', roles: ['compliance'], load: () => import('./views/retention.js') },
  { path: 'audit', group: 'compliance', roles: ['compliance'], load: () => import('./views/audit.js') },
  { path: 'subject', group: 'compliance', roles: ['compliance'], load: () => import('./views/subject.js') },
  { path: 'report', group: 'compliance', roles: ['compliance'], load: () => import('./views/report.js') },
  // Accounts (issue #16): admin screens, and the API access help for everyone.
  { path: 'users', group: 'admin', roles: ['admin'], load: () => import('./views/users.js') },
  { path: 'tokens', group: 'admin', roles: ['admin'], load: () => import('./views/tokens.js') },
  { path: 'api', group: 'help', roles: ['mailroom', 'crm', 'compliance'], load: () => import('./views/api-access.js') },
  { path: 'inventory', group: 'mailroom', roles: ['mailroom'], load: () => import('./views/inventory.js') },
  { path: 'mailings', group: 'crm', roles: ['crm'], load: () => import('./views/mailings.js') },
  { path: 'imports', group: 'admin', roles: ['crm'], load: () => import('./views/imports.js') },
  { path: 'webhooks', group: 'admin', roles: [], load: () => import('./views/webhooks.js') },
  { path: 'documents', group: 'crm', roles: ['crm', 'compliance', 'mailroom'], load: () => import('./views/documents.js') },
  { path: 'document', group: 'crm', roles: ['crm', 'compliance', 'mailroom'], hidden: true, load: () => import('./views/document.js') },
  // Intake (issue 18): cover and separator sheets to print, and the e-mail intake's status.
  { path: 'sheets', group: 'mailroom', roles: ['mailroom'], load: () => import('./views/sheets.js') },
  { path: 'mail-intake', group: 'mailroom', roles: ['mailroom'], load: () => import('./views/mail-intake.js') },
];
const GROUPS = ['mailroom', 'crm', 'compliance', 'admin'];
const HOME = { mailroom: 'upload', crm: 'customers', compliance: 'retention', admin: 'upload' };

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = raw.split('?');
  const [path, ...rest] = pathPart.split('/').map(decodeURIComponent);
  return { path, args: rest, query: Object.fromEntries(new URLSearchParams(queryPart)) };
}

let cleanup = null;
let renderSeq = 0;

async function route() {
  const me = session.me;
  if (!me) return showSignIn();
  const { path, args, query } = parseHash();
  const screen = SCREENS.find((s) => s.path === path && may(me, s.roles));
  if (!screen) {
    const home = me.roles.map((r) => HOME[r]).find(Boolean) ?? 'customers';
    return navigate(home);
  }
  cleanup?.();
  cleanup = null;
  markNav(screen.path === 'dossier' ? 'customers' : screen.path === 'document' ? 'documents' : screen.path);
  // An error or a saved message belongs to the screen it was about: a new screen starts clean.
  clearStatus();
  refreshBadges();
  const main = $('#main');
  const seq = ++renderSeq;
  delete main.dataset.ready; // set again when the screen has drawn (tests and tools wait for it)
  // The loading line stays until the screen has its data: never a blank page while it loads.
  const loading = h('p', { class: 'muted loading', role: 'status', id: 'screen-loading' }, t('common.loading'));
  replace(main, loading);
  try {
    const mod = await screen.load();
    if (seq !== renderSeq) return;
    document.title = `${t(`nav.${screen.path}`)} · Dossierlink`;
    const done = await mod.render(main, { args, query, me, navigate, announce });
    loading.remove();
    cleanup = typeof done === 'function' ? done : null;
    main.dataset.ready = screen.path;
  } catch (err) {
    if (seq !== renderSeq) return;
    replace(main, h('div', { class: 'notice error', role: 'alert' }, errorText(err)));
  }
  // Move focus to the screen's heading so keyboard and screen-reader users land in the content.
  const h1 = main.querySelector('h1');
  if (h1 && !main.contains(document.activeElement)) {
    h1.tabIndex = -1;
    h1.focus({ preventScroll: true });
  }
}

function markNav(path) {
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.path === path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function drawChrome() {
  const me = session.me;
  document.documentElement.lang = getLang();
  $('#brand-sub').textContent = t('app.tagline');
  $('#skip').textContent = t('app.skip');
  const lang = $('#lang');
  lang.setAttribute('aria-label', t('app.language'));
  lang.value = getLang();
  const user = $('#user');
  const nav = $('#nav');
  if (!me) {
    replace(user);
    replace(nav);
    nav.hidden = true;
    $('#menu-toggle').hidden = true;
    return;
  }
  nav.hidden = false;
  $('#menu-toggle').hidden = false;
  $('#menu-toggle').textContent = t('app.menu');
  nav.setAttribute('aria-label', t('app.navigation'));
  replace(
    user,
    h('span', { class: 'who' }, h('span', { class: 'name' }, me.name), ' ', h('span', { class: 'roles' }, me.roles.map((r) => t(`role.${r}`)).join(', '))),
    h('button', { type: 'button', class: 'ghost', id: 'signout', onclick: signOut }, t('app.signOut')),
  );
  const groups = GROUPS.map((g) => {
    const items = SCREENS.filter((s) => s.group === g && !s.hidden && may(me, s.roles));
    if (!items.length) return null;
    return h(
      'div',
      { class: 'nav-group' },
      h('h2', { id: `nav-${g}` }, t(`group.${g}`)),
      h('ul', { 'aria-labelledby': `nav-${g}` }, items.map((s) => h('li', {}, h('a', { href: `#/${s.path}`, dataset: { path: s.path } }, t(`nav.${s.path}`))))),
    );
  });
  const help = SCREENS.filter((s) => s.group === 'help' && may(me, s.roles)).map((s) => h('li', {}, h('a', { href: `#/${s.path}`, dataset: { path: s.path } }, t(`nav.${s.path}`))));
  replace(nav, groups, h('div', { class: 'nav-group' }, h('ul', {}, help, h('li', {}, h('a', { href: '/api-docs.html', class: 'ext' }, t('nav.apiDocs'))))));
}

let authConfig = null;
const SSO_ERRORS = ['no_role', 'disabled', 'sso_state', 'sso_denied', 'sso_failed', 'sso_unavailable'];

async function showSignIn(message) {
  cleanup?.();
  cleanup = null;
  drawChrome();
  document.title = `${t('signin.title')} · Dossierlink`;
  const username = h('input', { id: 'signin-username', name: 'username', type: 'text', autocomplete: 'username', spellcheck: 'false', autocapitalize: 'none', required: true });
  const password = h('input', { id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const err = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, message ?? '');
  const sso = h('div', { id: 'signin-sso-box' });
  const form = h(
    'form',
    {
      class: 'card signin',
      onsubmit: async (e) => {
        e.preventDefault();
        err.textContent = '';
        await signIn(username.value.trim(), password.value, err);
      },
    },
    h('h1', {}, t('signin.title')),
    h('p', {}, t('signin.introPassword')),
    h('div', { class: 'field' }, h('label', { for: 'signin-username' }, t('signin.username')), username),
    h('div', { class: 'field' }, h('label', { for: 'signin-password' }, t('signin.password')), password),
    err,
    h('button', { type: 'submit', class: 'primary', id: 'signin-submit' }, t('signin.submit')),
    sso,
    h('p', { class: 'small muted' }, t('signin.apiHint'), ' ', h('a', { href: '/api-docs.html' }, t('nav.apiDocs'))),
  );
  replace($('#main'), form);
  username.focus();
  try {
    authConfig ??= await api('GET', '/api/auth/config');
  } catch {
    authConfig = { sso: null };
  }
  if (authConfig.sso) {
    replace(sso, h('p', { class: 'muted' }, t('signin.or')), h('a', { class: 'button', id: 'signin-sso', href: authConfig.sso.url }, t('signin.sso', { name: authConfig.sso.label })));
  }
}

async function signIn(username, password, errEl) {
  try {
    const r = await api('POST', '/api/session', { json: { username, password } });
    session.csrf = r.csrfToken;
    session.me = r.user;
    forgetRoutes();
    drawChrome();
    announce(t('signin.welcome', { name: session.me.name }));
    route();
  } catch (e) {
    session.csrf = '';
    session.me = null;
    const msg = e instanceof ApiError && e.status === 401 ? t('signin.unknown') : e instanceof ApiError && e.status === 429 ? t('signin.tooMany') : errorText(e);
    if (errEl) errEl.textContent = msg;
    else showSignIn(msg);
  }
}

/** Picks up a session the browser already has (the HttpOnly cookie, after a reload or single sign-on). */
async function resume() {
  try {
    const me = await api('GET', '/api/me');
    session.me = { id: me.id, name: me.name, roles: me.roles };
    session.csrf = me.csrfToken ?? '';
    forgetRoutes();
    drawChrome();
    route();
    return true;
  } catch {
    return false;
  }
}

async function signOut() {
  try {
    await api('DELETE', '/api/session');
  } catch {
    /* already ended on the server: signed out either way */
  }
  session.csrf = '';
  session.me = null;
  forgetRoutes();
  location.hash = '';
  showSignIn();
  announce(t('signin.signedOut'));
}

async function start() {
  $('#lang').addEventListener('change', (e) => setLang(e.target.value));
  onLangChange(() => {
    drawChrome();
    if (session.me) route();
    else showSignIn();
  });
  $('#menu-toggle').addEventListener('click', () => {
    const open = document.body.classList.toggle('nav-open');
    $('#menu-toggle').setAttribute('aria-expanded', String(open));
  });
  $('#nav').addEventListener('click', (e) => {
    if (e.target.closest('a')) document.body.classList.remove('nav-open');
  });
  onUnauthorized(() => {
    if (!session.me) return;
    session.csrf = '';
    session.me = null;
    showSignIn(t('signin.expired'));
  });
  window.addEventListener('hashchange', () => session.me && route());
  drawChrome();
  // Single sign-on that failed comes back with ?sso_error=code; say why, then tidy the address.
  const ssoError = new URLSearchParams(location.search).get('sso_error');
  if (ssoError) history.replaceState(null, '', location.pathname + location.hash);
  const ssoMessage = ssoError && (SSO_ERRORS.includes(ssoError) ? t(`signin.ssoError.${ssoError}`) : t('signin.ssoError.other'));
  if (!(await resume())) showSignIn(ssoMessage || undefined);
}

start();
