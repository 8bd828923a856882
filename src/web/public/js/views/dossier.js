// CRM: one customer's dossier. Digital and paper in one timeline; read dynamic documents and
// their text (search hits marked), see where static paper is and request it; status variables.
import { api, ApiError, fetchBlob } from '../api.js';
import { field, h, highlight, queryTerms, replace, safeSnippet, select } from '../dom.js';
import { t, tKnown } from '../i18n.js';
import { announce, badge, classBadge, dataText, errorText, failureText, traceText, fmtDate, fmtDateTime, fmtMoney, fmtPeriod, header, isoDay, may, statusBadge, table, typeName, meta } from '../ui.js';

export async function render(main, { args, query, me }) {
  const customerId = args[0] ?? '';
  let docs = [];
  let selected = null;
  let objectUrl = null;
  const myRequests = new Map(); // documentId -> open request of this user
  const state = { cls: query.class ?? '', type: query.type ?? '', q: query.q ?? '' };

  const timeline = h('ol', { class: 'timeline', id: 'timeline', 'aria-label': t('dossier.timeline') });
  const panel = h('section', { class: 'card', id: 'doc-panel', 'aria-live': 'polite', 'aria-label': t('dossier.document') }, h('p', { class: 'empty' }, t('dossier.pickDoc')));
  const hitsEl = h('div', { id: 'dossier-hits' });
  const statusesEl = h('div', { id: 'status-vars' });

  if (!customerId) {
    // A document without a customer (or opened from elsewhere): show the document alone.
    main.append(header(t('dossier.documentOnly')), panel);
    if (query.doc) await openDoc(await api('GET', `/api/documents/${encodeURIComponent(query.doc)}`));
    return () => objectUrl && URL.revokeObjectURL(objectUrl);
  }

  let dossier;
  try {
    dossier = await api('GET', `/api/customers/${encodeURIComponent(customerId)}/dossier`);
  } catch (err) {
    main.append(header(t('dossier.title')), h('div', { class: 'notice error', role: 'alert' }, errorText(err)), h('p', {}, h('a', { href: '#/customers' }, t('dossier.back'))));
    return;
  }
  docs = dossier.documents;
  const c = dossier.customer;
  if (may(me, ['crm'])) {
    try {
      for (const r of (await api('GET', '/api/requests', { query: { status: 'open' } })).requests) myRequests.set(r.documentId, r);
    } catch {
      /* the tracker's requests may not be there */
    }
  }

  // ---- filters and search in this dossier ----
  const clsSel = select([['', t('dossier.allClasses')], ['dynamic', t('class.dynamic')], ['static', t('class.static')]], { id: 'f-class', value: state.cls });
  const typeSel = select([['', t('dossier.allTypes')], ...[...new Set(docs.map((d) => d.type))].map((ty) => [ty, typeName(ty)])], { id: 'f-type', value: state.type });
  const qIn = h('input', { id: 'dossier-q', type: 'search', value: state.q, placeholder: t('dossier.searchPlaceholder') });
  clsSel.addEventListener('change', () => ((state.cls = clsSel.value), drawTimeline()));
  typeSel.addEventListener('change', () => ((state.type = typeSel.value), drawTimeline()));
  const searchForm = h(
    'form',
    { role: 'search', class: 'row', onsubmit: (e) => (e.preventDefault(), (state.q = qIn.value.trim()), searchHere()) },
    field(t('dossier.searchHere'), qIn),
    h('button', { type: 'submit' }, t('common.search')),
  );

  async function searchHere() {
    if (!state.q) return replace(hitsEl);
    try {
      const r = await api('GET', '/api/search', { query: { q: state.q, customerId } });
      replace(
        hitsEl,
        h('h3', {}, t('search.results', { n: r.total })),
        h(
          'ul',
          { class: 'list' },
          r.hits.map((hit) =>
            h(
              'li',
              {},
              h(
                'button',
                { type: 'button', class: 'item', onclick: () => openDoc(docs.find((d) => d.id === hit.documentId) ?? { id: hit.documentId }) },
                h('div', { class: 'item-title' }, hit.title),
                h('p', { class: 'snippet small' }, safeSnippet(hit.snippet)),
              ),
            ),
          ),
        ),
      );
      if (selected) openDoc(selected, { focus: false });
    } catch (err) {
      replace(hitsEl, h('p', { class: 'error' }, errorText(err)));
    }
  }

  function drawTimeline() {
    const shown = docs.filter((d) => (!state.cls || d.class === state.cls) && (!state.type || d.type === state.type));
    if (!shown.length) return replace(timeline, h('li', { class: 'empty' }, t('dossier.noDocs')));
    replace(
      timeline,
      shown.map((d) =>
        h(
          'li',
          { class: d.class },
          h(
            'button',
            { type: 'button', class: 'doc-card', 'aria-current': String(selected?.id === d.id), dataset: { id: d.id }, onclick: () => openDoc(d) },
            h('div', { class: 'item-title' }, d.title || typeName(d.type)),
            meta('div', fmtDate(d.docDate ?? d.createdAt), typeName(d.type), classBadge(d.class), d.status !== 'ready' ? statusBadge(d.status) : null, d.retention?.hold ? badge(t('retention.hold'), 'bad') : null),
            d.class === 'static' ? h('div', { class: 'where' }, whereText(d), myRequests.has(d.id) ? [' · ', t('dossier.requested')] : '') : d.pageCount ? meta('div', t('common.pages', { n: d.pageCount })) : null,
          ),
        ),
      ),
    );
  }

  // ---- the selected document ----
  async function openDoc(d, { focus = true } = {}) {
    if (!d.retention) d = await api('GET', `/api/documents/${d.id}`);
    selected = d;
    drawTimeline();
    history.replaceState(null, '', `#/dossier/${encodeURIComponent(customerId)}?${new URLSearchParams({ doc: d.id, ...(state.q ? { q: state.q } : {}) })}`);
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = null;
    const tabs = d.class === 'dynamic' && d.original ? ['view', 'text', 'details'] : ['details'];
    let tab = state.q && tabs.includes('text') ? 'text' : tabs[0];
    const body = h('div', { id: 'doc-body' });
    const tabBar = h(
      'div',
      { class: 'tabs', role: 'tablist', 'aria-label': t('dossier.document') },
      tabs.map((k) => h('button', { type: 'button', role: 'tab', id: `tab-${k}`, 'aria-selected': String(k === tab), 'aria-controls': 'doc-body', onclick: () => show(k) }, t(`dossier.tab.${k}`))),
    );
    tabBar.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const i = (tabs.indexOf(tab) + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length;
      show(tabs[i]);
      tabBar.querySelector(`#tab-${tabs[i]}`).focus();
    });
    replace(
      panel,
      h('h2', { id: 'doc-title' }, d.title || typeName(d.type)),
      meta('p', classBadge(d.class), typeName(d.type), fmtDate(d.docDate), d.barcode ? h('code', {}, d.barcode) : null, d.status !== 'ready' ? statusBadge(d.status) : null),
      d.status === 'failed' ? h('p', { class: 'notice error', role: 'alert', id: 'doc-failure' }, failureText(d)) : null,
      d.class === 'static' ? paperBox(d) : null,
      tabBar,
      body,
    );
    body.setAttribute('role', 'tabpanel');
    if (focus) {
      // On a tablet the panel sits below the whole timeline, on a laptop its top may be scrolled
      // away: bring the document into view and give it keyboard focus (not the page body).
      const title = panel.querySelector('#doc-title');
      title.tabIndex = -1;
      panel.scrollIntoView({ block: 'start' });
      title.focus({ preventScroll: true });
    }
    async function show(k) {
      tab = k;
      for (const b of tabBar.children) b.setAttribute('aria-selected', String(b.id === `tab-${k}`));
      body.setAttribute('aria-labelledby', `tab-${k}`);
      if (k === 'view') await showFile(d, body);
      else if (k === 'text') await showText(d, body);
      else showDetails(d, body);
    }
    await show(tab);
  }

  async function showFile(d, body) {
    replace(body, h('p', { class: 'muted' }, t('common.loading')));
    try {
      const variant = d.hasArchive ? 'archive' : 'original';
      const { blob } = await fetchBlob('GET', `/api/documents/${d.id}/file`, { query: { variant } });
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(blob);
      const isImage = blob.type.startsWith('image/') && blob.type !== 'image/tiff';
      replace(
        body,
        isImage ? h('img', { src: objectUrl, class: 'viewer-img', alt: d.title }) : h('iframe', { src: objectUrl, class: 'viewer-frame', id: 'doc-frame', title: t('dossier.viewerTitle', { title: d.title }) }),
        h('p', { class: 'small' }, h('a', { href: objectUrl, download: d.original?.name ?? `${d.id}.pdf` }, t('dossier.download')), ' · ', h('span', { class: 'muted' }, t(`dossier.variant.${variant}`))),
      );
    } catch (err) {
      replace(body, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }

  async function showText(d, body) {
    replace(body, h('p', { class: 'muted' }, t('common.loading')));
    try {
      const text = await api('GET', `/api/documents/${d.id}/text`);
      const pre = h('pre', { class: 'ocr-text', id: 'doc-text', tabindex: '0', 'aria-label': t('dossier.tab.text') });
      const { frag, count } = highlight(text || '', queryTerms(state.q));
      pre.append(frag);
      replace(body, state.q ? h('p', { class: 'small muted', id: 'hit-count' }, t('dossier.hitCount', { n: count, q: state.q })) : null, text ? pre : h('p', { class: 'empty' }, t('dossier.noText')));
      pre.querySelector('mark')?.scrollIntoView({ block: 'center' });
    } catch (err) {
      replace(body, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }

  function showDetails(d, body) {
    const kp = Object.entries(d.fields ?? {});
    const r = d.retention;
    replace(
      body,
      h('h3', {}, t('dossier.keyPoints')),
      kp.length ? h('dl', { class: 'kv' }, kp.map(([k, v]) => [h('dt', {}, tKnown(`kp.${k}`) ?? k), h('dd', {}, k === 'total' && typeof v === 'number' ? fmtMoney(v, d.fields.currency) : String(v))])) : h('p', { class: 'empty' }, t('common.none')),
      h('h3', {}, t('dossier.trace')),
      h('p', { class: 'small muted' }, t('dossier.traceIntro', { cls: t(`class.${d.class}`), by: t(`dossier.by.${d.classification.by}`), conf: Math.round(d.classification.confidence * 100) })),
      h(
        'ol',
        { class: 'trace', id: 'trace' },
        d.classification.trace.map((s) => h('li', {}, traceText(s))),
      ),
      h('h3', {}, t('dossier.retention')),
      h(
        'dl',
        { class: 'kv', id: 'retention' },
        h('dt', {}, t('retention.legalBasis')), h('dd', {}, dataText(r.legalBasis)),
        h('dt', {}, t('retention.trigger')), h('dd', {}, `${tKnown(`trigger.${r.trigger}`) ?? r.trigger} (${fmtDate(r.startsOn)})`),
        h('dt', {}, t('retention.period')), h('dd', {}, fmtPeriod(r.period)),
        h('dt', {}, t('retention.endsOn')), h('dd', {}, fmtDate(r.endsOn)),
        h('dt', {}, t('retention.disposition')), h('dd', {}, t(`disposition.${r.disposition}`)),
        h('dt', {}, t('retention.hold')), h('dd', {}, r.hold ? badge(t('retention.onHold'), 'bad') : t('common.no')),
      ),
      d.original ? h('p', { class: 'small muted' }, t('dossier.original', { name: d.original.name ?? '—', mime: d.original.mime, added: fmtDateTime(d.createdAt), source: d.source })) : null,
    );
  }

  // Static paper: where it is, whether it can be had, and the request button.
  function paperBox(d) {
    const box = h('div', { class: 'notice', id: 'paper-box' });
    const out = d.location?.kind === 'person';
    const open = myRequests.get(d.id);
    const note = h('input', { id: 'req-note', placeholder: t('dossier.requestNotePh') });
    const needed = h('input', { id: 'req-needed', type: 'date', min: isoDay(0) });
    const reqMsg = h('p', { role: 'status', class: 'small' });
    const canRequest = may(me, ['crm']);
    const history = h('div', {});
    replace(
      box,
      h('p', {}, h('strong', {}, t('dossier.paperAt')), ' ', whereText(d)),
      h('p', {}, out ? badge(t('dossier.checkedOut', { date: fmtDate(d.location.dueBackOn) }), 'warn') : d.location ? badge(t('dossier.available'), 'ok') : badge(t('dossier.notFiled'), 'neutral')),
      open
        ? h('p', { id: 'req-state' }, badge(t('dossier.requestOpen', { date: fmtDate(open.createdAt) }), 'info'))
        : canRequest
          ? h(
              'form',
              {
                class: 'row',
                id: 'request-form',
                onsubmit: async (e) => {
                  e.preventDefault();
                  try {
                    const r = await api('POST', `/api/documents/${d.id}/requests`, { json: { note: note.value.trim() || undefined, neededBy: needed.value || undefined } });
                    myRequests.set(d.id, r);
                    announce(t('dossier.requestDone', { title: d.title }), 'ok');
                    openDoc(d, { focus: false });
                  } catch (err) {
                    reqMsg.textContent = errorText(err);
                    if (err instanceof ApiError && err.unavailable) reqMsg.textContent = t('dossier.requestUnavailable');
                  }
                },
              },
              field(t('dossier.requestNote'), note),
              field(t('dossier.neededBy'), needed),
              h('button', { type: 'submit', class: 'primary', id: 'request-paper' }, t('dossier.request')),
            )
          : null,
      reqMsg,
      history,
    );
    if (d.barcode) {
      api('GET', `/api/tracking/items/${d.barcode}`)
        .then((r) =>
          replace(
            history,
            h(
              'details',
              {},
              h('summary', {}, t('dossier.movements', { n: r.history.length })),
              table(
                [
                  { label: t('common.when'), cell: (m) => fmtDateTime(m.at) },
                  { label: t('scan.what'), cell: (m) => t(`scan.hkind.${m.kind}`) },
                  { label: t('scan.to'), cell: (m) => m.to?.path ?? '—' },
                  { label: t('common.by'), cell: (m) => m.actor.name },
                ],
                [...r.history].reverse(),
              ),
            ),
          ),
        )
        .catch(() => undefined);
    }
    return box;
  }

  function whereText(d) {
    if (!d.location) return t('dossier.notFiled');
    if (d.location.kind === 'person') return t('dossier.withPerson', { name: d.location.name, date: fmtDate(d.location.dueBackOn) });
    return d.location.path;
  }

  // ---- status variables ----
  function drawStatuses() {
    replace(
      statusesEl,
      dossier.statuses.length
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'status-vars' },
              h('thead', {}, h('tr', {}, [t('dossier.statusName'), t('dossier.statusValue'), t('dossier.statusSince'), t('dossier.statusHistory')].map((x) => h('th', { scope: 'col' }, x)))),
              h(
                'tbody',
                {},
                dossier.statuses.map((s) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, tKnown(`statusvar.${s.name}`) ?? s.name),
                    h('td', {}, statusValue(s), statusDetail(s.detail)),
                    h('td', {}, fmtDateTime(s.setAt), s.source ? h('div', { class: 'small muted' }, sourceText(s.source)) : null),
                    h('td', {}, s.history.length > 1 ? h('details', {}, h('summary', {}, t('dossier.changes', { n: s.history.length })), h('ol', { class: 'small' }, s.history.map((x) => h('li', {}, `${fmtDateTime(x.setAt)}: ${x.value}`)))) : '—'),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('dossier.noStatuses')),
    );
  }

  const counts = { dynamic: docs.filter((d) => d.class === 'dynamic').length, static: docs.filter((d) => d.class === 'static').length };
  main.append(
    header(
      `${c.name}`,
      null,
      h('a', { class: 'button', href: '#/customers' }, t('dossier.back')),
    ),
    h(
      'div',
      { class: 'card customer-head', id: 'customer-card' },
      h('dl', { class: 'kv' }, h('dt', {}, t('customers.number')), h('dd', {}, h('strong', {}, c.id)), h('dt', {}, 'KvK'), h('dd', {}, c.kvk ?? '—')),
      h('dl', { class: 'kv' }, h('dt', {}, t('customers.address')), h('dd', {}, [c.address, [c.postcode, c.city].filter(Boolean).join(' ')].filter(Boolean).join(', ') || '—'), h('dt', {}, t('customers.email')), h('dd', {}, c.email ?? '—')),
      h('dl', { class: 'kv' }, h('dt', {}, t('class.dynamic')), h('dd', {}, String(counts.dynamic)), h('dt', {}, t('class.static')), h('dd', {}, String(counts.static))),
      c.restricted ? badge(t('customers.restricted'), 'warn') : null,
    ),
    h(
      'div',
      { class: 'split', style: 'margin-top:1rem' },
      h('div', { class: 'card' }, searchForm, hitsEl, h('div', { class: 'row' }, field(t('dossier.class'), clsSel), field(t('dossier.type'), typeSel)), h('h2', {}, t('dossier.timeline')), timeline),
      panel,
    ),
    h('div', { class: 'card' }, h('h2', {}, t('dossier.statuses')), statusesEl),
  );
  drawTimeline();
  drawStatuses();
  if (state.q) searchHere();
  const first = docs.find((d) => d.id === query.doc);
  if (first) await openDoc(first);
  else if (query.doc) {
    try {
      await openDoc(await api('GET', `/api/documents/${encodeURIComponent(query.doc)}`));
    } catch (err) {
      announce(errorText(err), 'error');
    }
  }
  return () => objectUrl && URL.revokeObjectURL(objectUrl);
}

/** A status variable's value: a date as a date, a reply with its answer's label where the letter gave one. */
function statusValue(s) {
  const value = /^\d{4}-\d{2}-\d{2}$/.test(s.value) ? fmtDate(s.value) : s.value;
  return s.detail?.answerLabel ? `${value} — ${s.detail.answerLabel}` : value;
}

/**
 * A status variable's detail as a CRM user reads it: known fields by their names in the user's
 * language, dates as dates, the coupon as a link to its document; ids only the service needs
 * (the mailing's, the answer's code shown beside the value) left out.
 */
function statusDetail(detail) {
  const shown = Object.entries(detail ?? {}).filter(([k, v]) => v !== null && v !== undefined && v !== '' && !['answer', 'answerLabel', 'mailingId', 'documentId'].includes(k));
  const value = (k, v) => {
    if (typeof v === 'object') return JSON.stringify(v);
    if (k === 'date' || k === 'at') return fmtDate(v);
    return tKnown(`statusvar.${k}.${v}`) ?? String(v);
  };
  const parts = shown.map(([k, v]) => `${tKnown(`statusvar.key.${k}`) ?? k}: ${value(k, v)}`).join(' · ');
  const doc = detail?.documentId ? h('a', { href: `#/document/${encodeURIComponent(detail.documentId)}` }, t('statusvar.openDocument')) : null;
  return parts || doc ? h('div', { class: 'small muted status-detail' }, parts, parts && doc ? ' · ' : '', doc) : null;
}

/** Where a status variable was set from ('coupon-batch:cpb_…', 'mailing:mlg_…'), in words. */
function sourceText(source) {
  return tKnown(`statusvar.source.${source.split(':')[0]}`) ?? source;
}
