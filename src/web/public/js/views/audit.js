// Compliance: who saw and did what. Filter the hash-chained audit log by picking a person, a
// customer or an action, read names and titles instead of ids, and verify the chain.
import { api } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t, tKnown } from '../i18n.js';
import { holdScope } from '../holds.js';
import { customerPicker } from '../widgets.js';
import { badge, errorText, fmtDate, fmtDateTime, header, typeName } from '../ui.js';

/** Reads of one document within this many ms by one person are one "view" (metadata, text, file). */
const VIEW_WINDOW_MS = 2 * 60_000;
const READS = new Set(['document.view', 'document.read']);
const ACTIONS = ['dossier.view', 'document.view', 'document.read', 'documents.list', 'search', 'document.upload', 'document.review', 'document.correct', 'document.register-paper', 'document.destroy', 'mail.message-destroy', 'coupon.review-destroy', 'coupon.page-erase', 'coupon.batch-file-redact', 'hold.place', 'hold.release', 'disposal.propose', 'disposal.approve', 'disposal.execute', 'disposal.shred', 'customer.subject-access', 'customer.erase', 'customer.restrict', 'customer.unrestrict', 'request.create', 'scopes.change', 'customer.merge', 'user.create', 'user.update', 'token.create', 'token.revoke', 'session.fail', 'session.lockout'];

export function actionName(a) {
  return tKnown(`audit.act.${a}`) ?? a;
}

/** Groups the reads of one document by one person close in time into one row (newest first in, newest first out). */
export function groupReads(events) {
  const rows = [];
  for (const e of events) {
    const last = rows[rows.length - 1];
    if (
      last &&
      READS.has(e.action) &&
      READS.has(last.action) &&
      last.actorId === e.actorId &&
      last.subjectId === e.subjectId &&
      Math.abs(Date.parse(last.events[last.events.length - 1].at) - Date.parse(e.at)) <= VIEW_WINDOW_MS
    ) {
      last.events.push(e);
      continue;
    }
    rows.push({ ...e, action: READS.has(e.action) ? 'document.view' : e.action, events: [e] });
  }
  return rows;
}

export async function render(main, { query, navigate }) {
  const users = h('select', { id: 'audit-actor' }, h('option', { value: '' }, t('audit.anyone')));
  const cust = customerPicker({ value: query.customerId ?? '', name: 'customerId' });
  cust.input.id = 'audit-customer';
  const action = select([['', t('audit.anyAction')], ...ACTIONS.map((a) => [a, actionName(a)])], { id: 'audit-action', value: query.action ?? '' });
  const from = h('input', { id: 'audit-from', type: 'date', value: query.from ?? '' });
  const to = h('input', { id: 'audit-to', type: 'date', value: query.to ?? '' });
  const verifyOut = h('div', { id: 'verify-result', 'aria-live': 'polite' });
  const out = h('div', { id: 'audit-table' }, h('p', { class: 'muted' }, t('common.loading')));
  const values = () => ({ customerId: cust.input.value.trim(), actorId: users.value, action: action.value, from: from.value, to: to.value });
  const form = h(
    'form',
    { onsubmit: (e) => (e.preventDefault(), navigate('audit', values())) },
    h('div', { class: 'row' }, field(t('audit.actor'), users), field(t('common.customer'), cust.input), cust.datalist, field(t('audit.action'), action), field(t('search.from'), from), field(t('search.to'), to), h('button', { type: 'submit', class: 'primary' }, t('audit.filter'))),
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
  main.append(header(t('audit.title'), t('audit.intro'), h('button', { type: 'button', id: 'verify', class: 'primary', onclick: verify }, t('audit.verify'))), verifyOut, h('div', { class: 'card' }, form, out));

  try {
    const dir = await api('GET', '/api/users/directory');
    replace(users, h('option', { value: '' }, t('audit.anyone')), dir.users.map((u) => h('option', { value: u.id }, u.name)));
    users.value = query.actorId ?? '';
  } catch {
    /* the list of people is a convenience */
  }

  const toParam = to.value ? `${to.value}T23:59:59.999Z` : undefined;
  try {
    const r = await api('GET', '/api/audit', { query: { ...values(), to: toParam, limit: 200, before: query.before } });
    const ids = (pick) => [...new Set(r.events.flatMap(pick).filter(Boolean))].slice(0, 200).join(',');
    let names = { users: [], customers: [], documents: [], mailings: [], locations: [], batches: [], disposals: [], webhooks: [], holds: [], messages: [], reviews: [] };
    try {
      // People as actors and as subjects (a sign-in, a changed account); customers and documents
      // as subjects and where the details name them (a merge's two customers, a batch's documents).
      const people = ids((e) => [e.actorId, e.subjectType === 'user' ? e.subjectId : null]);
      const customers = ids((e) => [e.customerId, ...CUSTOMER_KEYS.flatMap((k) => idsIn(e.details?.[k]))]);
      const documents = ids((e) => [e.subjectType === 'document' ? e.subjectId : null, ...DOCUMENT_KEYS.flatMap((k) => idsIn(e.details?.[k]))]);
      // Mailings, places, coupon stacks, disposals, webhooks, legal holds and e-mails as subjects and in the details.
      const of = (type, keys, also = () => null) => ids((e) => [e.subjectType === type ? e.subjectId : null, ...keys.flatMap((k) => idsIn(e.details?.[k])), also(e)]);
      // A customer status set by a mailing names it as its source: `mailing:<id>`.
      const sourceMailing = (e) => (typeof e.details?.source === 'string' && e.details.source.startsWith('mailing:') ? e.details.source.slice(8) : null);
      const things = { mailings: of('mailing', MAILING_KEYS, sourceMailing), locations: of('location', LOCATION_KEYS), batches: of('coupon-batch', BATCH_KEYS), disposals: of('disposal', DISPOSAL_KEYS), webhooks: of('webhook', WEBHOOK_KEYS), holds: of('legal_hold', []), messages: of('mail-message', []), reviews: of('coupon-review', []) };
      names = await api('GET', '/api/names', { query: { users: people, customers, documents, ...things } });
    } catch {
      /* ids remain readable enough without names */
    }
    const person = new Map(names.users.map((u) => [u.id, u.name]));
    const customer = new Map(names.customers.map((c) => [c.id, c.name]));
    const document = new Map(names.documents.map((d) => [d.id, d]));
    const mailing = new Map((names.mailings ?? []).map((m) => [m.id, m.name]));
    const place = new Map((names.locations ?? []).map((l) => [l.id, l]));
    const batch = new Map((names.batches ?? []).map((b) => [b.id, b]));
    const disposal = new Map((names.disposals ?? []).map((d) => [d.id, d]));
    const webhook = new Map((names.webhooks ?? []).map((w) => [w.id, w.name]));
    const hold = new Map((names.holds ?? []).map((x) => [x.id, x]));
    const message = new Map((names.messages ?? []).map((m) => [m.id, m]));
    // An API token by the name it was made with: every event about one carries it in its details.
    const token = new Map(r.events.filter((e) => e.subjectType === 'token' && typeof e.details?.name === 'string').map((e) => [e.subjectId, e.details.name]));
    // A coupon review item by its pages in its stack. A destroyed one is gone from the server: its
    // stack (and its pages, where the event says them) from the events about it on this page.
    const review = new Map();
    for (const e of r.events) {
      if (e.subjectType !== 'coupon-review' || typeof e.details?.batchId !== 'string') continue;
      const seen = review.get(e.subjectId);
      review.set(e.subjectId, { batchId: e.details.batchId, pages: Array.isArray(e.details.pages) ? e.details.pages : (seen?.pages ?? []), code: e.details.code ?? null });
    }
    for (const x of names.reviews ?? []) review.set(x.id, x);
    // What each kind of thing is called, the id on hover: a place by its name (and kind), a coupon
    // stack by its files and when it came in, a disposal by its kind and when it was proposed (a
    // link to it), a mailing or a webhook by its name.
    const thing = {
      mailing: (id) => mailing.has(id) && h('span', { title: id }, mailing.get(id)),
      location: (id) => place.has(id) && h('span', { title: `${tKnown(`loc.${place.get(id).kind}`) ?? place.get(id).kind} · ${id}` }, place.get(id).name),
      'coupon-batch': (id) => batch.has(id) && h('span', { title: id }, batchName(batch.get(id))),
      disposal: (id) =>
        disposal.has(id) &&
        h('a', { href: `#/retention?tab=disposals&id=${encodeURIComponent(id)}`, title: id }, t('audit.disposalName', { kind: tKnown(`audit.val.kind.${disposal.get(id).kind}`) ?? disposal.get(id).kind, when: fmtDate(disposal.get(id).proposedAt) })),
      webhook: (id) => webhook.has(id) && h('span', { title: id }, webhook.get(id)),
      // A legal hold by what it covers, a link to the holds.
      legal_hold: (id) => hold.has(id) && h('a', { href: '#/retention?tab=holds', title: id }, holdScope(hold.get(id), (c) => customer.get(c) ?? c)),
      // An e-mail by its subject and sender; a destroyed one by when it came (its tombstone keeps no more).
      'mail-message': (id) => message.has(id) && h('span', { title: id }, messageName(message.get(id))),
      token: (id) => token.has(id) && h('span', { title: id }, `“${token.get(id)}”`),
      // A coupon review item by its pages in its stack, a held single scan by its code.
      'coupon-review': (id) => review.has(id) && h('span', { title: id }, reviewName(review.get(id), (b) => (batch.has(b) ? batchName(batch.get(b)) : null))),
    };
    const rows = groupReads(r.events);
    const tone = (a) => (a.includes('destroy') || a.includes('erase') ? 'bad' : a.includes('read') || a.includes('view') || a === 'search' ? 'info' : 'neutral');
    const subject = (e) => {
      if (e.subjectType === 'document' && e.subjectId) {
        const d = document.get(e.subjectId);
        return d ? h('span', {}, h('a', { href: `#/document/${encodeURIComponent(e.subjectId)}` }, d.title), h('div', { class: 'small muted' }, typeName(d.type))) : h('span', { class: 'mono small' }, e.subjectId);
      }
      if (e.subjectType === 'customer' && e.subjectId) return customer.get(e.subjectId) ?? e.subjectId;
      if (e.subjectType === 'user' && e.subjectId && person.has(e.subjectId)) return h('span', { title: e.subjectId }, person.get(e.subjectId));
      const known = e.subjectId && thing[e.subjectType]?.(e.subjectId);
      return e.subjectId ? [tKnown(`audit.type.${e.subjectType}`) ?? e.subjectType, ' ', known || h('span', { class: 'mono small' }, e.subjectId)] : '—';
    };
    const what = (row) => {
      if (row.events.length > 1 || READS.has(row.events[0].action)) {
        const parts = [...new Set(row.events.map((e) => (e.action === 'document.view' ? 'metadata' : (e.details?.what ?? 'file'))))];
        return h('span', { class: 'small' }, parts.map((p) => tKnown(`audit.part.${p}`) ?? p).join(', '));
      }
      // A hold named as the subject says what it covers: its kind and the server's English sentence
      // go. An API token or a coupon review item named as the subject: its name (a review's stack
      // and pages) is not said twice.
      const without = (keys) => Object.fromEntries(Object.entries(row.details ?? {}).filter(([k]) => !keys.includes(k)));
      const nameKeys = { legal_hold: [hold, ['scope', 'kind']], token: [token, ['name']], 'coupon-review': [review, ['batchId', 'pages']] }[row.subjectType];
      const shown = nameKeys && nameKeys[0].has(row.subjectId) ? without(nameKeys[1]) : row.details;
      return details(shown, named, row.action);
    };
    // An id in the details is shown by its name where one is known: a document by its title (a
    // link), a customer by name, the other things as `thing` names them.
    const named = (k, v) => {
      if (DOCUMENT_KEYS.includes(k) && document.has(v)) return h('a', { href: `#/document/${encodeURIComponent(v)}`, title: v }, document.get(v).title);
      if (CUSTOMER_KEYS.includes(k) && customer.has(v)) return h('span', { title: v }, customer.get(v));
      const kind = Object.keys(THING_KEYS).find((type) => THING_KEYS[type].includes(k));
      return (kind && thing[kind](v)) || null;
    };
    replace(
      out,
      rows.length
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              {},
              h('thead', {}, h('tr', {}, [t('common.when'), t('audit.actor'), t('audit.action'), t('audit.subject'), t('common.customer'), t('audit.details')].map((x) => h('th', { scope: 'col' }, x)))),
              h(
                'tbody',
                {},
                rows.map((e) =>
                  h(
                    'tr',
                    { dataset: { seq: String(e.seq), count: String(e.events.length) }, class: 'audit-row' },
                    h('td', {}, fmtDateTime(e.at), h('div', { class: 'small muted' }, `#${e.events.map((x) => x.seq).join(', #')}`)),
                    // The service's own actors (the daily pass, the mailbox, the command line) by what they are.
                    h('td', {}, e.actorId ? (person.get(e.actorId) ?? tKnown(`audit.actor.${e.actorId}`) ?? e.actorId) : t('audit.system')),
                    h('td', {}, badge(actionName(e.action), tone(e.action))),
                    h('td', {}, subject(e)),
                    h('td', {}, e.customerId ? h('a', { href: `#/audit?customerId=${encodeURIComponent(e.customerId)}`, title: e.customerId }, customer.get(e.customerId) ?? e.customerId) : '—'),
                    h('td', {}, what(e)),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('audit.none')),
      r.next ? h('p', {}, h('button', { type: 'button', onclick: () => navigate('audit', { ...values(), before: r.next }) }, t('audit.older'))) : null,
    );
  } catch (err) {
    replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err)));
  }
}

/** Detail keys whose values are document ids, customer ids (a merge names two customers) and mailing ids: shown by name. */
const DOCUMENT_KEYS = ['documentId', 'documentIds'];
const CUSTOMER_KEYS = ['customerId', 'fromId', 'intoId'];
const MAILING_KEYS = ['mailingId'];
const LOCATION_KEYS = ['locationId', 'containerId'];
const BATCH_KEYS = ['batchId'];
const DISPOSAL_KEYS = ['disposalId'];
const WEBHOOK_KEYS = ['webhookId'];
/** The detail keys of each kind of thing named by /api/names beside documents and customers, by the subject type it has as a subject. */
const THING_KEYS = { mailing: MAILING_KEYS, location: LOCATION_KEYS, 'coupon-batch': BATCH_KEYS, disposal: DISPOSAL_KEYS, webhook: WEBHOOK_KEYS };
const NAMED_KEYS = [...DOCUMENT_KEYS, ...CUSTOMER_KEYS, ...Object.values(THING_KEYS).flat()];
/** An e-mail message as a person knows it: its subject and sender, or that it was destroyed. */
const messageName = (m) =>
  m.destroyed
    ? t('audit.messageGone', { when: fmtDateTime(m.receivedAt) })
    : t('audit.messageName', { subject: m.subject || t('audit.noSubject'), sender: m.sender || '?', when: fmtDateTime(m.receivedAt) });
/** A coupon review item: its pages of its stack (`stackName(id)`, else "a stack"), or the code of a held single scan. */
function reviewName(x, stackName) {
  if (!x.batchId) return t('audit.reviewScan', { code: x.code ?? '?' });
  const stack = stackName(x.batchId) ?? t('audit.reviewStack');
  // Its pages as the coupons screen lists them.
  return x.pages?.length ? t('audit.reviewPages', { pages: x.pages.join(', '), stack }) : t('audit.reviewOf', { stack });
}
/** A coupon stack by the files it came in as and when, as the coupons screen names it. */
const batchName = (b) => (b.files.length ? t('audit.batchName', { names: b.files.join(', '), when: fmtDateTime(b.createdAt) }) : fmtDateTime(b.createdAt));
/** The ids a detail value holds: one, or a list of them. */
const idsIn = (v) => (Array.isArray(v) ? v : [v]).filter((x) => typeof x === 'string');

/** How many detail fields an event shows before "more". */
const SHOWN_DETAILS = 6;

/** Details as a short list of readable fields; `named(key, id)` gives an id's name, or null. */
function details(d, named = () => null, action = '') {
  // An empty list or object (a list filtered on nothing) says nothing either.
  const empty = (v) => v === null || v === undefined || v === '' || (typeof v === 'object' && Object.keys(v).length === 0);
  const present = Object.entries(d ?? {}).filter(([, v]) => !empty(v));
  if (!present.length) return '';
  // What is named (documents, customers, mailings, places…) comes first: of a long list the first six fields show.
  const entries = [...present.filter(([k]) => NAMED_KEYS.includes(k)), ...present.filter(([k]) => !NAMED_KEYS.includes(k))];
  const join = (parts, sep) => parts.flatMap((p, i) => (i ? [sep, p] : [p]));
  // A value that is itself a word of the server's (how someone signed in, which field changed) is
  // said in the user's language too: audit.val.<key>.<value>.
  const val = (v, k) => {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'boolean') return t(v ? 'common.yes' : 'common.no');
    if (Array.isArray(v)) {
      const shown = v.slice(0, 5).map((x) => val(x, k));
      const more = v.length > 5 ? ` … (+${v.length - 5})` : null;
      // Named documents and customers one under the other: on one line their titles ran together.
      if (shown.some((x) => x instanceof Node)) return h('span', { class: 'audit-list' }, shown.map((x) => h('span', {}, x)), more);
      return [...join(shown, ', '), more];
    }
    if (typeof v === 'object') return join(Object.entries(v).map(([key, x]) => [`${label(key, x)}: `, val(x, key)]), '; ');
    const name = k && typeof v === 'string' ? named(k, v) : null;
    if (name) return name;
    // Where a customer status came from: `mailing:<id>` is that mailing, by name.
    if (k === 'source' && typeof v === 'string') {
      const colon = v.indexOf(':');
      const from = colon < 0 ? v : v.slice(0, colon);
      const said = tKnown(`statusvar.source.${from}`);
      if (said) return colon < 0 ? said : [said, ' ', named(`${from}Id`, v.slice(colon + 1)) || h('span', { class: 'mono' }, v.slice(colon + 1))];
    }
    // A key point's field (fields.number) by the name the document page gives it.
    const keyPoint = k === 'field' && typeof v === 'string' && v.startsWith('fields.') ? tKnown(`kp.${v.slice(7)}`)?.toLowerCase() : null;
    // A document type or class, and how a status was set, in the words the other screens use.
    const domain =
      k === 'type'
        ? typeName(v)
        : k === 'class'
          ? tKnown(`class.${v}`)
          : k === 'via'
            ? tKnown(`statusvar.via.${v}`)
            : k === 'roles'
              ? tKnown(`role.${v}`)
              : k === 'name' && action === 'status.set'
                ? tKnown(`statusvar.${v}`)
                : null;
    return keyPoint ?? (k && tKnown(`audit.val.${k}.${v}`)) ?? domain ?? String(v);
  };
  const list = (part) => part.map(([k, v]) => [h('dt', {}, label(k, v)), h('dd', {}, val(v, k))]);
  // Six fields at a glance; the rest one click away (an erasure's report has a dozen).
  const rest = entries.slice(SHOWN_DETAILS);
  return h(
    'dl',
    { class: 'kv small audit-details' },
    list(entries.slice(0, SHOWN_DETAILS)),
    rest.length ? h('details', { class: 'audit-more' }, h('summary', {}, t('audit.moreDetails', { n: rest.length })), h('dl', { class: 'kv small' }, list(rest))) : null,
  );
}
/** A detail's name; a count may have a name of its own (`documents` is a list in some events, a number in others). */
function label(k, v) {
  return (typeof v === 'number' && tKnown(`audit.key.${k}.n`)) || (tKnown(`audit.key.${k}`) ?? k);
}
