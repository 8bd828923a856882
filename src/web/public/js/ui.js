// Shared pieces of every screen: status messages, error text, role checks, navigation.
import { ApiError } from './api.js';
import { $, h } from './dom.js';
import { getLang, t, tKnown } from './i18n.js';
import { DATA_NL } from './i18n-daily.js';

export function may(me, roles) {
  return !!me && (me.roles.includes('admin') || me.roles.some((r) => roles.includes(r)));
}

/** Polite status message for screen readers and sighted users alike. */
export function announce(message, kind = 'info') {
  const el = $('#status');
  el.dataset.kind = kind;
  el.textContent = '';
  // A fresh text node makes screen readers repeat an identical message.
  requestAnimationFrame(() => {
    el.textContent = message;
  });
  clearTimeout(announce.timer);
  if (kind !== 'error') announce.timer = setTimeout(() => (el.textContent = ''), 8000);
}

/** Removes the status message (an error stays until it is solved or the screen changes). */
export function clearStatus() {
  clearTimeout(announce.timer);
  const el = $('#status');
  el.textContent = '';
  delete el.dataset.kind;
}

/** A readable sentence for any error, with "not available" for absent routes. */
export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.unavailable) return t('common.unavailable');
    if (err.status === 0) return t('common.network');
    // The server sends a code with parameters; the browser says it in the user's language.
    const params = { ...(err.details && typeof err.details === 'object' && !Array.isArray(err.details) ? err.details : {}), message: err.message, status: err.status, code: err.code };
    const key = `error.${err.code}`;
    const text = t(key, params);
    if (text !== key && text) return text;
    if (err.status === 403) return t('common.forbidden');
    return getLang() === 'en' ? `${err.message} (${err.status})` : t('error.generic', params);
  }
  return String(err?.message ?? err);
}

/** An error's own sentence from a server's text or stack: its first line, after its class ("Invalid: …", "TypeError: …"). */
export function errorSentence(text) {
  return (text ?? '').split('\n')[0].replace(/^[A-Z][A-Za-z]*: /, '');
}

/**
 * Why a document failed: in the user's language when its code has a text, else as the server
 * said it. A job's failure (`job`: errorCode its lastErrorCode) may have words of its own
 * (error.job.<code>): "not found" says little about a job whose stored file is gone.
 */
export function failureText(d, { job = false } = {}) {
  if (d.errorCode) {
    const params = { ...(d.errorDetails ?? {}), message: d.error ?? '' };
    const text = (job && tKnown(`error.job.${d.errorCode}`, params)) || tKnown(`error.${d.errorCode}`, params);
    if (text) return text;
  }
  return d.error || t('error.processing_failed');
}

/** The box a screen shows when the server does not have its route (yet). */
export function unavailable(what) {
  return h('div', { class: 'notice unavailable', role: 'note' }, h('strong', {}, t('common.unavailableTitle')), ' ', what ?? t('common.unavailable'));
}

export function navigate(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== '')).toString() : '';
  location.hash = `#/${path}${qs ? `?${qs}` : ''}`;
}


/** The heading block of a screen: title and a one-line purpose. */
export function header(title, intro, ...actions) {
  return h('header', { class: 'screen-head' }, h('div', {}, h('h1', {}, title), intro ? h('p', { class: 'intro' }, intro) : null), actions.length ? h('div', { class: 'actions' }, actions) : null);
}

const dateFmt = () => new Intl.DateTimeFormat(document.documentElement.lang === 'en' ? 'en-GB' : 'nl-NL', { day: 'numeric', month: 'short', year: 'numeric' });
const timeFmt = () => new Intl.DateTimeFormat(document.documentElement.lang === 'en' ? 'en-GB' : 'nl-NL', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/** A calendar date (YYYY-MM-DD or ISO time) in the UI language; '—' for none. */
export function fmtDate(s) {
  if (!s) return '—';
  const d = new Date(s.length === 10 ? `${s}T12:00:00` : s);
  return Number.isNaN(d.getTime()) ? s : dateFmt().format(d);
}
export function fmtDateTime(s) {
  if (!s) return '—';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : timeFmt().format(d);
}
export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
export function fmtMoney(n, currency = 'EUR') {
  try {
    return new Intl.NumberFormat(document.documentElement.lang === 'en' ? 'en-GB' : 'nl-NL', { style: 'currency', currency }).format(n);
  } catch {
    return String(n);
  }
}
/** YYYY-MM-DD of today plus some days, in local time. */
export function isoDay(addDays = 0) {
  const d = new Date();
  d.setDate(d.getDate() + addDays);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The document type in words (falls back to the id for types the dictionary does not know). */
export function typeName(type) {
  const k = `type.${type}`;
  const s = t(k);
  return s === k ? type : s;
}

/** A small coloured label; `tone` picks the colour (ok, warn, bad, info, neutral). */
export function badge(text, tone = 'neutral', title) {
  return h('span', { class: `badge ${tone}`, title }, text);
}
const STATUS_TONE = { queued: 'info', processing: 'info', ready: 'ok', needs_review: 'warn', failed: 'bad', running: 'info', done: 'ok', open: 'warn', fulfilled: 'ok', cancelled: 'neutral', resolved: 'ok', discarded: 'neutral' };
export function statusBadge(status) {
  return badge(t(`status.${status}`), STATUS_TONE[status] ?? 'neutral');
}
export function classBadge(cls) {
  return badge(t(`class.${cls}`), cls === 'dynamic' ? 'dyn' : 'stat');
}

/** The six canonical document types as <option> pairs, optionally with an empty first choice. */
export const DOCUMENT_TYPES = ['quote', 'order', 'service-contract', 'sla', 'service-call', 'invoice', 'reply-coupon', 'letter'];
export function typeOptions(empty) {
  const opts = DOCUMENT_TYPES.map((ty) => [ty, typeName(ty)]);
  return empty ? [['', empty], ...opts] : opts;
}

/** A table from column definitions: [{ label, cell: (row) => node|string, class? }]. */
export function table(columns, rows, { caption, empty, rowAttrs } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty ?? t('common.none'));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', rowAttrs?.(r) ?? {}, columns.map((c) => h('td', { class: c.class, 'data-label': c.label }, c.cell(r)))))),
    ),
  );
}

/** Runs `fn` every `ms` until the returned stop() is called; waits for each run to finish. */
export function poll(fn, ms) {
  let stopped = false;
  let timer;
  const tick = async () => {
    if (stopped) return;
    try {
      await fn();
    } finally {
      if (!stopped) timer = setTimeout(tick, ms);
    }
  };
  timer = setTimeout(tick, ms);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** A line of small facts, each in its own span so they are spaced apart. */
export function meta(tag, ...parts) {
  return h(tag, { class: 'item-meta' }, parts.flat().filter((p) => p !== null && p !== undefined && p !== false && p !== '').map((p) => (p instanceof Node ? p : h('span', {}, String(p)))));
}

/** ISO 8601 period (P7Y, P18M) in words. */
export function fmtPeriod(p) {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$/.exec(p ?? '');
  if (!m) return p ?? '—';
  const parts = [];
  if (m[1]) parts.push(t('period.years', { n: Number(m[1]) }));
  if (m[2]) parts.push(t('period.months', { n: Number(m[2]) }));
  if (m[3]) parts.push(t('period.days', { n: Number(m[3]) }));
  return parts.join(' ') || p;
}

/** A text from the rule data (why, legal basis, erasure exception) in the user's language. */
export function dataText(s) {
  if (!s) return s ?? '';
  return getLang() === 'nl' ? (DATA_NL[s] ?? s) : s;
}

/** The state of a document (open, expired, …) in words. */
export function stateName(s) {
  const k = `state.${s}`;
  const v = t(k);
  return v === k ? s : v;
}

const TRACE_RULES = {
  state: 'trace.state',
  default: 'trace.default',
  'no rule': 'trace.noRule',
  'detect type': 'trace.detectType',
  'type given at upload': 'trace.typeGiven',
  'detect customer': 'trace.detectCustomer',
  'match customer': 'trace.matchCustomer',
  'customer given at upload': 'trace.customerGiven',
  review: 'trace.review',
  'digitised on demand': 'trace.digitised',
  'registered as paper': 'trace.registeredPaper',
};
const CLASSES = new Set(['dynamic', 'static']);

/** One step of the "why static or dynamic" trace in the user's language: [rule, evidence, result]. */
export function traceParts(s) {
  let rule = s.rule;
  let m;
  if (TRACE_RULES[rule]) rule = t(TRACE_RULES[rule]);
  else if ((m = /^always: (.+)$/.exec(rule))) rule = `${t('trace.always')}: ${typeName(m[1])}`;
  else if ((m = /^([a-z*-]+)(?: \[(.+)\])?$/.exec(rule))) rule = (m[1] === '*' ? '*' : typeName(m[1])) + (m[2] ? ` (${m[2].split('|').map(stateName).join(', ')})` : '');
  let ev = s.evidence ?? '';
  if (s.rule === 'state' && (m = /^type (.+)$/.exec(ev))) ev = t('trace.typeIs', { type: typeName(m[1]) });
  else if (ev === 'no active scope needs it dynamic') ev = t('trace.defaultWhy');
  else if (ev === 'no keywords') ev = t('trace.noKeywords');
  else if (ev === 'no customer number') ev = t('trace.noCustomerNumber');
  else if (s.rule === 'review' && (m = /^confirmed by (.+?)(?:, corrected (.+))?$/.exec(ev))) ev = m[2] ? t('trace.correctedBy', { name: m[1], fields: m[2] }) : t('trace.confirmedBy', { name: m[1] });
  else if ((m = /^(.*); the rules alone would make it (dynamic|static)$/.exec(ev))) ev = `${m[1]}; ${t('trace.rulesWould', { cls: t(`class.${m[2]}`) })}`;
  else if ((m = /^the rules would make it (dynamic|static); it stays (dynamic|static) until it is digitised$/.exec(ev))) ev = t('trace.rulesWould', { cls: t(`class.${m[1]}`) });
  else ev = dataText(ev);
  let res = s.result ?? '';
  if (CLASSES.has(res)) res = t(`class.${res}`);
  else if (res === 'no opinion') res = t('trace.noOpinion');
  else if (res === 'needs review') res = t('trace.needsReview');
  else if ((m = /^([a-z-]+) \(([\d.]+)\)$/.exec(res))) res = `${typeName(m[1])} (${Math.round(Number(m[2]) * 100)}%)`;
  else if (s.rule === 'state' || s.rule === 'detect type' || s.rule === 'type given at upload' || s.rule === 'review') res = s.rule === 'state' ? stateName(res) : typeName(res);
  return [rule, ev, res];
}

/** A trace step as nodes: scope badge, rule, evidence and result. */
export function traceText(s) {
  const [rule, ev, res] = traceParts(s);
  const scope = s.scope ? (tKnown(`scope.${s.scope}`) ?? s.scope) : '';
  return [s.scope ? badge(scope, 'info') : null, s.scope ? ' ' : '', h('strong', {}, rule), ev ? ` — ${ev}` : '', res ? [' → ', h('em', {}, res)] : ''];
}

/** Why a document waits in review, each reason in the user's language. */
export function reasonTexts(doc) {
  if (!doc.problems) return doc.reasons ?? [];
  return doc.problems.map((p) => {
    if (p.code === 'other') return p.text;
    const params = { ...p, pct: p.confidence !== undefined ? Math.round(p.confidence * 100) : '' };
    if (p.type) params.type = typeName(p.type);
    return t(`reason.${p.code}`, params);
  });
}
