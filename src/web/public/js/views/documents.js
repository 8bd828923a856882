// Everyone who works with documents: the overview. Thumbnails, filters saved as views, a
// selection with bulk actions (set type or customer, place a hold, request the paper).
import { api, ApiError, fetchBlob } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t } from '../i18n.js';
import { customerPicker } from '../widgets.js';
import { announce, badge, classBadge, errorText, fmtDate, header, may, statusBadge, typeName, typeOptions } from '../ui.js';

const FILTER_KEYS = ['type', 'customerId', 'class', 'status', 'from', 'to', 'q'];
const PAGE = 30;

export async function render(main, { query, me, navigate }) {
  const filter = Object.fromEntries(FILTER_KEYS.filter((k) => query[k]).map((k) => [k, query[k]]));
  const urls = [];
  const selected = new Set();
  let docs = [];
  let cursor = null;

  // ---- filters ----
  const f = {
    q: h('input', { id: 'ov-q', type: 'search', value: filter.q ?? '', placeholder: t('ov.qPlaceholder') }),
    type: select(typeOptions(t('ov.anyType')), { id: 'ov-type', value: filter.type ?? '' }),
    customer: customerPicker({ value: filter.customerId ?? '', name: 'customerId' }),
    class: select([['', t('ov.anyClass')], ['dynamic', t('class.dynamic')], ['static', t('class.static')]], { id: 'ov-class', value: filter.class ?? '' }),
    status: select([['', t('ov.anyStatus')], ...['ready', 'needs_review', 'queued', 'processing', 'failed'].map((s) => [s, t(`status.${s}`)])], { id: 'ov-status', value: filter.status ?? '' }),
    from: h('input', { id: 'ov-from', type: 'date', value: filter.from ?? '' }),
    to: h('input', { id: 'ov-to', type: 'date', value: filter.to ?? '' }),
  };
  const current = () =>
    Object.fromEntries(
      Object.entries({ q: f.q.value.trim(), type: f.type.value, customerId: f.customer.input.value.trim(), class: f.class.value, status: f.status.value, from: f.from.value, to: f.to.value }).filter(([, v]) => v),
    );
  const filterForm = h(
    'form',
    { id: 'ov-filters', role: 'search', onsubmit: (e) => (e.preventDefault(), navigate('documents', current())) },
    h('div', { class: 'row' }, field(t('ov.q'), f.q), field(t('common.type'), f.type), field(t('common.customer'), f.customer.input), f.customer.datalist),
    h('div', { class: 'row' }, field(t('dossier.class'), f.class), field(t('ov.status'), f.status), field(t('search.from'), f.from), field(t('search.to'), f.to), h('button', { type: 'submit', class: 'primary' }, t('ov.apply'))),
  );

  // ---- saved views ----
  const viewSel = h('select', { id: 'ov-views', 'aria-label': t('ov.views') });
  const viewName = h('input', { id: 'ov-view-name', placeholder: t('ov.viewNamePh'), maxlength: '100' });
  let views = [];
  async function loadViews() {
    try {
      views = (await api('GET', '/api/views')).views;
    } catch {
      views = [];
    }
    replace(viewSel, h('option', { value: '' }, t('ov.pickView')), views.map((v) => h('option', { value: v.id }, v.name)));
    const same = views.find((v) => JSON.stringify(v.filter) === JSON.stringify(filter));
    viewSel.value = same?.id ?? '';
  }
  viewSel.addEventListener('change', () => {
    const v = views.find((x) => x.id === viewSel.value);
    if (v) navigate('documents', v.filter);
  });
  const saveView = async (e) => {
    e.preventDefault();
    const name = viewName.value.trim();
    if (!name) return viewName.focus();
    try {
      await api('POST', '/api/views', { json: { name, filter: current() } });
      announce(t('ov.viewSaved', { name }), 'ok');
      viewName.value = '';
      await loadViews();
    } catch (err) {
      announce(errorText(err), 'error');
    }
  };
  const viewsBox = h('form', { class: 'row', id: 'ov-views-form', onsubmit: saveView }, field(t('ov.views'), viewSel), field(t('ov.saveAs'), viewName), h('button', { type: 'submit' }, t('ov.saveView')));

  // ---- bulk actions ----
  const canEdit = may(me, ['crm']);
  const canHold = may(me, ['compliance']);
  const bulkCount = h('span', { id: 'ov-selected', class: 'muted' });
  const bulkType = select(typeOptions(t('ov.setTypeTo')), { id: 'ov-bulk-type' });
  const bulkCust = customerPicker({ name: 'bulkCustomer' });
  bulkCust.input.id = 'ov-bulk-customer';
  bulkCust.input.placeholder = t('ov.setCustomerTo');
  const bulkMsg = h('div', { id: 'ov-bulk-result', role: 'status' });
  const holdReason = h('input', { id: 'ov-hold-reason', minlength: '3', placeholder: t('ov.holdReasonPh') });
  async function bulkSet() {
    const set = {};
    if (bulkType.value) set.type = bulkType.value;
    if (bulkCust.input.value.trim()) set.customerId = bulkCust.input.value.trim();
    if (!selected.size) return replace(bulkMsg, h('p', { class: 'error' }, t('ov.noneSelected')));
    if (!Object.keys(set).length) return replace(bulkMsg, h('p', { class: 'error' }, t('ov.nothingToSet')));
    try {
      const r = await api('POST', '/api/documents/bulk', { json: { ids: [...selected], set } });
      replace(
        bulkMsg,
        h('p', { class: r.failed.length ? 'notice' : 'notice ok' }, t('ov.bulkDone', { n: r.updated }), r.failed.length ? [' ', t('ov.bulkFailed', { n: r.failed.length })] : null),
        r.failed.length ? h('ul', { class: 'small' }, r.failed.map((x) => h('li', {}, titleOf(x.id), ': ', errorText(new ApiError(400, x.error.code, x.error.message))))) : null,
      );
      await reload();
    } catch (err) {
      replace(bulkMsg, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }
  async function bulkHold() {
    if (!selected.size) return replace(bulkMsg, h('p', { class: 'error' }, t('ov.noneSelected')));
    const reason = holdReason.value;
    if (reason.trim().length < 3) {
      replace(bulkMsg, h('p', { class: 'error' }, t('ov.holdReasonFirst')));
      return holdReason.focus();
    }
    try {
      await api('POST', '/api/holds', { json: { reason: reason.trim(), documentIds: [...selected] } });
      replace(bulkMsg, h('p', { class: 'notice ok' }, t('ov.holdPlaced', { n: selected.size })));
      await reload();
    } catch (err) {
      replace(bulkMsg, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }
  async function bulkRequest() {
    const paper = docs.filter((d) => selected.has(d.id) && d.barcode);
    if (!paper.length) return replace(bulkMsg, h('p', { class: 'error' }, t('ov.noPaperSelected')));
    let ok = 0;
    const failed = [];
    for (const d of paper) {
      try {
        await api('POST', `/api/documents/${d.id}/requests`, { json: {} });
        ok++;
      } catch (err) {
        failed.push(`${d.title}: ${errorText(err)}`);
      }
    }
    replace(bulkMsg, h('p', { class: failed.length ? 'notice' : 'notice ok' }, t('ov.requested', { n: ok })), failed.length ? h('ul', { class: 'small' }, failed.map((x) => h('li', {}, x))) : null);
  }
  const bulkBar = h(
    'div',
    { class: 'card bulk-bar', id: 'ov-bulk' },
    h('div', { class: 'row' }, h('strong', {}, t('ov.selection')), bulkCount, h('button', { type: 'button', class: 'ghost', id: 'ov-select-all', onclick: () => (docs.forEach((d) => selected.add(d.id)), drawList()) }, t('ov.selectAll')), h('button', { type: 'button', class: 'ghost', onclick: () => (selected.clear(), drawList()) }, t('ov.selectNone'))),
    canEdit ? h('div', { class: 'row' }, field(t('ov.setType'), bulkType), field(t('ov.setCustomer'), bulkCust.input), bulkCust.datalist, h('button', { type: 'button', class: 'primary', id: 'ov-bulk-apply', onclick: bulkSet }, t('ov.apply'))) : null,
    h('div', { class: 'row' }, canHold ? [field(t('ov.holdReason'), holdReason), h('button', { type: 'button', id: 'ov-bulk-hold', onclick: bulkHold }, t('ov.hold'))] : null, canEdit ? h('button', { type: 'button', id: 'ov-bulk-request', onclick: bulkRequest }, t('ov.requestPaper')) : null),
    bulkMsg,
  );

  // ---- the list ----
  const list = h('ul', { class: 'doc-grid', id: 'ov-list', 'aria-label': t('ov.results') });
  const more = h('button', { type: 'button', id: 'ov-more', hidden: true, onclick: () => load(false) }, t('ov.more'));
  const titleOf = (id) => docs.find((d) => d.id === id)?.title ?? id;
  const thumbs = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      thumbs.unobserve(e.target);
      loadThumb(e.target);
    }
  });
  async function loadThumb(box) {
    try {
      const { blob } = await fetchBlob('GET', `/api/documents/${box.dataset.id}/thumbnail`);
      const url = URL.createObjectURL(blob);
      urls.push(url);
      replace(box, h('img', { src: url, alt: '', loading: 'lazy' }));
      box.dataset.state = 'loaded';
    } catch {
      replace(box, h('span', { class: 'thumb-none' }, box.dataset.paper ? t('ov.paper') : t('ov.noPreview')));
      box.dataset.state = 'none';
    }
  }
  function card(d) {
    const box = h('div', { class: 'thumb', dataset: { id: d.id, paper: d.barcode && !d.original ? '1' : '' } }, h('span', { class: 'thumb-none' }, t('common.loading')));
    const check = h('input', { type: 'checkbox', class: 'ov-check', 'aria-label': t('ov.selectDoc', { title: d.title }), checked: selected.has(d.id) });
    check.addEventListener('change', () => {
      if (check.checked) selected.add(d.id);
      else selected.delete(d.id);
      bulkCount.textContent = t('ov.selectedN', { n: selected.size });
    });
    const li = h(
      'li',
      { class: 'doc-tile', dataset: { id: d.id } },
      h('label', { class: 'tile-check' }, check),
      h('a', { href: `#/document/${encodeURIComponent(d.id)}`, class: 'tile-link' }, box, h('span', { class: 'item-title' }, d.title || typeName(d.type))),
      h('div', { class: 'item-meta' }, h('span', {}, typeName(d.type)), classBadge(d.class), d.status !== 'ready' ? statusBadge(d.status) : null, d.retention?.hold ? badge(t('retention.hold'), 'bad') : null),
      h('div', { class: 'small muted', title: d.customerId ?? '' }, [d.customerName ?? d.customerId ?? t('upload.noCustomer'), fmtDate(d.docDate ?? d.createdAt)].join(' · ')),
    );
    thumbs.observe(box);
    return li;
  }
  function drawList() {
    bulkCount.textContent = t('ov.selectedN', { n: selected.size });
    if (!docs.length) return replace(list, h('li', { class: 'empty' }, t('ov.none')));
    replace(list, docs.map(card));
  }
  async function load(reset) {
    try {
      const r = await api('GET', '/api/documents', { query: { ...filter, limit: PAGE, cursor: reset ? undefined : cursor } });
      docs = reset ? r.documents : [...docs, ...r.documents];
      cursor = r.nextCursor;
      more.hidden = !cursor;
      drawList();
    } catch (err) {
      replace(list, h('li', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }
  const reload = () => load(true);

  main.append(
    header(t('ov.title'), t('ov.intro')),
    h('div', { class: 'card' }, filterForm, viewsBox),
    bulkBar,
    h('div', { class: 'card' }, list, h('div', { class: 'row' }, more)),
  );
  await Promise.all([loadViews(), load(true)]);
  return () => {
    thumbs.disconnect();
    for (const u of urls) URL.revokeObjectURL(u);
  };
}
