// Compliance: what is due for disposal, legal holds, and disposals from proposal (one officer)
// through approval (a second officer), execution, shredding by scan and the certificate.
import { api, ApiError } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t } from '../i18n.js';
import { holdScope } from '../holds.js';
import { customerPicker, pdfPreview, scanField } from '../widgets.js';
import { announce, badge, dataText, errorText, fmtDate, fmtDateTime, header, isoDay, meta, statusBadge, table, typeName, typeOptions, unavailable } from '../ui.js';

const TABS = ['due', 'holds', 'disposals'];

/** Customers by name, as the officer knows them, filled per list shown (namesOf); emptied each time the screen opens. */
const customerNames = new Map();
/** Looks up the names of customers not known yet; a failure leaves their numbers. */
async function namesOf(ids) {
  const missing = [...new Set(ids.filter((id) => id && !customerNames.has(id)))].slice(0, 200);
  if (!missing.length) return;
  try {
    for (const c of (await api('GET', '/api/names', { query: { customers: missing.join(',') } })).customers) customerNames.set(c.id, c.name);
  } catch {
    /* the customer number is shown instead */
  }
}
/** A customer as "name (number)", or the number alone when the name is not known. */
const customerText = (id) => (customerNames.has(id) ? `${customerNames.get(id)} (${id})` : id);
/** A customer as a table cell: the name, the number under it. */
const customerCell = (id) => (!id ? '—' : customerNames.has(id) ? [customerNames.get(id), h('div', { class: 'small muted' }, id)] : id);

export async function render(main, { query, navigate, me }) {
  customerNames.clear();
  const tab = TABS.includes(query.tab) ? query.tab : 'due';
  const body = h('div', { id: 'retention-body' });
  const disposers = [];
  let shredDispose = null;
  main.append(
    header(t('ret.title'), t('ret.intro')),
    h(
      'div',
      { class: 'tabs', role: 'tablist' },
      TABS.map((k) => h('button', { type: 'button', role: 'tab', id: `rt-${k}`, 'aria-selected': String(k === tab), onclick: () => navigate('retention', { tab: k }) }, t(`ret.tab.${k}`))),
    ),
    body,
  );
  const fail = (el, err) => replace(el, err instanceof ApiError && err.unavailable ? unavailable() : h('p', { class: 'error', role: 'alert' }, errorText(err)));

  // ------------------------------------------------------------ due list
  async function drawDue() {
    const before = h('input', { type: 'date', id: 'due-before', value: query.before ?? isoDay(0) });
    const out = h('div', { id: 'due-list' });
    const reason = h('input', { id: 'disposal-reason', value: t('ret.defaultReason'), required: true, minlength: '3' });
    const msg = h('p', { class: 'error', role: 'alert' });
    replace(
      body,
      h(
        'div',
        { class: 'card' },
        h('form', { class: 'row filters', onsubmit: (e) => (e.preventDefault(), navigate('retention', { tab: 'due', before: before.value })) }, field(t('ret.before'), before), h('button', { type: 'submit' }, t('common.refresh'))),
        out,
      ),
    );
    let r;
    try {
      r = await api('GET', '/api/retention/due', { query: { before: before.value } });
      await namesOf([...(r.documents ?? []), ...(r.held ?? [])].map((d) => d.customerId));
    } catch (err) {
      return fail(out, err);
    }
    const checks = new Map();
    const box = (d) => {
      const proposed = r.details?.[d.id]?.disposalId;
      if (proposed) return badge(t('ret.inDisposal'), 'info');
      const c = h('input', { type: 'checkbox', checked: true, 'aria-label': t('ret.select', { title: d.title }) });
      checks.set(d.id, c);
      return c;
    };
    const cols = (withBox) => [
      ...(withBox ? [{ label: '', cell: box }] : []),
      { label: t('common.document'), cell: (d) => [h('a', { href: `#/dossier/${encodeURIComponent(d.customerId ?? '')}?doc=${d.id}` }, d.title), h('div', { class: 'small muted' }, [typeName(d.type), d.barcode].filter(Boolean).join(' · '))] },
      { label: t('common.customer'), cell: (d) => customerCell(d.customerId) },
      { label: t('ret.medium'), cell: (d) => (d.class === 'static' && !d.original ? t('ret.paper') : t('ret.digital')) },
      { label: t('retention.legalBasis'), cell: (d) => h('span', { class: 'small' }, dataText(d.retention.legalBasis)) },
      { label: t('ret.endedOn'), cell: (d) => fmtDate(r.details?.[d.id]?.effectiveEnd ?? d.retention.endsOn) },
      { label: t('retention.disposition'), cell: (d) => badge(t(`disposition.${d.retention.disposition}`), d.retention.disposition === 'destroy' ? 'bad' : 'warn') },
    ];
    const propose = async () => {
      msg.textContent = '';
      const ids = [...checks].filter(([, c]) => c.checked).map(([id]) => id);
      if (!ids.length) return (msg.textContent = t('ret.nothingSelected'));
      try {
        const d = await api('POST', '/api/disposals', { json: { reason: reason.value.trim(), documentIds: ids } });
        announce(t('ret.proposed', { n: d.counts.total }), 'ok');
        navigate('retention', { tab: 'disposals', id: d.id });
      } catch (err) {
        msg.textContent = errorText(err);
      }
    };
    replace(
      out,
      h('h2', {}, t('ret.dueCount', { n: r.documents.length, date: fmtDate(r.before) })),
      table(cols(true), r.documents, { empty: t('ret.noneDue') }),
      r.documents.length ? h('div', { class: 'row', style: 'margin-top:.8rem' }, field(t('ret.reason'), reason), h('button', { type: 'button', class: 'primary', id: 'propose', onclick: propose }, t('ret.propose'))) : null,
      msg,
      r.held.length ? [h('h3', {}, t('ret.heldApart', { n: r.held.length })), table(cols(false), r.held)] : null,
    );
  }

  // ------------------------------------------------------------ holds
  async function drawHolds() {
    const out = h('div', { id: 'holds-list' });
    const kind = select([['customer', t('ret.hold.customer')], ['query', t('ret.hold.query')]], { id: 'hold-kind' });
    const cust = customerPicker();
    const qType = select(typeOptions(t('search.anyType')), { id: 'hold-type' });
    const qFrom = h('input', { type: 'date', id: 'hold-from' });
    const qTo = h('input', { type: 'date', id: 'hold-to' });
    const qText = h('input', { id: 'hold-text', placeholder: t('ret.hold.textPh') });
    const reason = h('input', { id: 'hold-reason', required: true, minlength: '3', placeholder: t('ret.hold.reasonPh') });
    const msg = h('p', { class: 'error', role: 'alert' });
    const queryFields = h('div', { class: 'row', hidden: true }, field(t('common.type'), qType), field(t('search.from'), qFrom), field(t('search.to'), qTo), field(t('ret.hold.text'), qText));
    kind.addEventListener('change', () => (queryFields.hidden = kind.value !== 'query'));
    const place = async (e) => {
      e.preventDefault();
      msg.textContent = '';
      const c = cust.input.value.trim() || undefined;
      const json = { reason: reason.value.trim() };
      if (kind.value === 'customer') json.customerId = c;
      else json.query = Object.fromEntries(Object.entries({ customerId: c, type: qType.value, from: qFrom.value, to: qTo.value, text: qText.value.trim() }).filter(([, v]) => v));
      try {
        const hold = await api('POST', '/api/holds', { json });
        announce(t('ret.hold.placed', { n: hold.documents }), 'ok');
        drawHolds();
      } catch (err) {
        msg.textContent = errorText(err);
      }
    };
    replace(
      body,
      h('form', { class: 'card', id: 'hold-form', onsubmit: place }, h('h2', {}, t('ret.hold.new')), h('div', { class: 'row' }, field(t('ret.hold.kind'), kind), field(t('common.customer'), cust.input), cust.datalist), queryFields, field(t('ret.reason'), reason), msg, h('button', { type: 'submit', class: 'primary' }, t('ret.hold.place'))),
      h('div', { class: 'card' }, h('h2', {}, t('ret.hold.list')), out),
    );
    try {
      const r = await api('GET', '/api/holds');
      await namesOf(r.holds?.map((x) => x.customerId) ?? []);
      replace(
        out,
        table(
          [
            { label: t('ret.hold.scope'), cell: (x) => [holdScope(x, customerText), h('div', { class: 'small muted' }, x.reason ?? '')] },
            { label: t('ret.hold.docs'), class: 'num', cell: (x) => String(x.documents) },
            { label: t('ret.hold.placedBy'), cell: (x) => [x.placedBy.name, h('div', { class: 'small muted' }, fmtDateTime(x.placedAt))] },
            { label: t('requests.state'), cell: (x) => (x.releasedAt ? [statusBadge('released'), h('div', { class: 'small muted' }, `${x.releasedBy?.name ?? ''}: ${x.releaseReason ?? ''}`)] : statusBadge('active')) },
            {
              label: '',
              cell: (x) =>
                x.releasedAt
                  ? ''
                  : h(
                      'button',
                      {
                        type: 'button',
                        class: 'small',
                        onclick: async () => {
                          const why = prompt(t('ret.hold.releaseWhy'));
                          if (!why || why.trim().length < 3) return;
                          try {
                            await api('POST', `/api/holds/${x.id}/release`, { json: { reason: why.trim() } });
                            announce(t('ret.hold.released'), 'ok');
                            drawHolds();
                          } catch (err) {
                            announce(errorText(err), 'error');
                          }
                        },
                      },
                      t('ret.hold.release'),
                    ),
            },
          ],
          r.holds,
          { empty: t('ret.hold.none') },
        ),
      );
    } catch (err) {
      fail(out, err);
    }
  }

  // ------------------------------------------------------------ disposals
  async function drawDisposals() {
    const list = h('ul', { class: 'list', id: 'disposal-list' });
    const detail = h('div', { class: 'card', id: 'disposal-detail' }, h('p', { class: 'empty' }, t('ret.disp.pick')));
    replace(body, h('div', { class: 'split' }, h('div', { class: 'card' }, h('h2', {}, t('ret.tab.disposals')), list), detail));
    let r;
    try {
      r = await api('GET', '/api/disposals');
    } catch (err) {
      return fail(list, err);
    }
    replace(
      list,
      r.disposals.length
        ? r.disposals.map((d) =>
            h(
              'li',
              {},
              h(
                'button',
                { type: 'button', class: 'item', 'aria-current': String(d.id === query.id), onclick: () => navigate('retention', { tab: 'disposals', id: d.id }) },
                h('div', { class: 'item-title' }, d.reason),
                meta('div', statusBadge(d.status), t(`ret.disp.kind.${d.kind}`), t('ret.disp.items', { n: d.counts.total }), fmtDate(d.proposedAt)),
              ),
            ),
          )
        : h('li', { class: 'empty' }, t('ret.disp.none')),
    );
    const id = query.id ?? r.disposals[0]?.id;
    if (id) await drawDisposal(id, detail);
  }

  async function drawDisposal(id, el) {
    let d;
    try {
      d = await api('GET', `/api/disposals/${id}`);
      await namesOf([d.customerId, ...(d.items ?? []).map((i) => i.customerId)]);
    } catch (err) {
      return fail(el, err);
    }
    const msg = h('p', { class: 'error', role: 'alert', id: 'disposal-msg' });
    const note = h('input', { id: 'disposal-note', placeholder: t('ret.disp.notePh') });
    const pdf = pdfPreview();
    const act = (label, path, json, opts = {}) =>
      h(
        'button',
        {
          type: 'button',
          class: opts.cls ?? '',
          id: opts.id,
          onclick: async () => {
            msg.textContent = '';
            try {
              await api('POST', `/api/disposals/${d.id}/${path}`, { json: typeof json === 'function' ? json() : json });
              announce(t(`ret.disp.done.${path}`), 'ok');
              drawDisposals();
            } catch (err) {
              msg.textContent = err instanceof ApiError && err.code === 'four_eyes' ? t('ret.disp.fourEyes') : errorText(err);
            }
          },
        },
        label,
      );
    const mine = d.proposedBy.id === me.id;
    const actions = [];
    if (d.status === 'proposed') {
      if (!mine) actions.push(field(t('ret.disp.note'), note), act(t('ret.disp.approve'), 'approve', () => ({ note: note.value.trim() || undefined }), { cls: 'primary', id: 'approve' }));
      else actions.push(h('p', { class: 'notice', id: 'four-eyes' }, t('ret.disp.needsSecond')));
    }
    if (d.status === 'approved' || d.status === 'executing') {
      // Executing destroys digital copies at once: it asks first, saying what will happen.
      const confirmBox = h('div', { id: 'execute-confirm-box', class: 'notice warn', hidden: true });
      const digital = d.items.filter((i) => i.status === 'pending' && i.medium !== 'paper').length;
      const paper = d.items.filter((i) => i.status === 'pending' && i.medium === 'paper').length;
      replace(
        confirmBox,
        h('p', {}, h('strong', {}, t('ret.disp.confirmExecute', { digital, paper }))),
        h('div', { class: 'row' }, act(t('ret.disp.executeYes'), 'execute', undefined, { cls: 'danger', id: 'execute-confirm' }), h('button', { type: 'button', onclick: () => (confirmBox.hidden = true) }, t('common.cancel'))),
      );
      actions.push(h('button', { type: 'button', class: 'primary', id: 'execute', onclick: () => ((confirmBox.hidden = false), confirmBox.querySelector('button')?.focus()) }, t('ret.disp.execute')), confirmBox);
    }
    if (['proposed', 'approved', 'executing'].includes(d.status)) {
      actions.push(
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            onclick: async () => {
              const why = prompt(t('ret.disp.cancelWhy'));
              if (!why || why.trim().length < 3) return;
              try {
                await api('POST', `/api/disposals/${d.id}/cancel`, { json: { reason: why.trim() } });
                drawDisposals();
              } catch (err) {
                msg.textContent = errorText(err);
              }
            },
          },
          t('ret.disp.cancel'),
        ),
      );
    }
    if (['executing', 'completed'].includes(d.status)) actions.push(h('button', { type: 'button', id: 'certificate', onclick: () => pdf.show('GET', `/api/disposals/${d.id}/certificate.pdf`, { title: t('ret.disp.certificate') }) }, t('ret.disp.certificate')));
    const shred =
      d.status === 'executing' && d.counts.paperPending
        ? scanField({
            label: t('ret.disp.shredField'),
            id: 'shred-scan',
            onScan: async (code) => {
              try {
                const r = await api('POST', `/api/disposals/${d.id}/shred`, { json: { barcode: code } });
                announce(t('ret.disp.shredded', { code: r.barcode, n: r.paperRemaining }), 'ok');
                // Keep the scan field (and its focus) while paper remains; redraw all when done.
                if (r.completed) await drawDisposals();
                else await refreshParts();
              } catch (err) {
                msg.textContent = `${code}: ${errorText(err)}`;
              }
            },
          })
        : null;
    shredDispose?.();
    shredDispose = shred?.dispose ?? null;
    const countsEl = h('dd', { id: 'disposal-counts' });
    const itemsEl = h('div', { id: 'disposal-items' });
    const drawParts = (cur) => {
      replace(countsEl, t('ret.disp.countsText', cur.counts));
      replace(itemsEl, itemsTable(cur, el));
    };
    const refreshParts = async () => drawParts(await api('GET', `/api/disposals/${d.id}`));
    replace(
      el,
      h('h2', {}, d.reason),
      meta('p', statusBadge(d.status), t(`ret.disp.kind.${d.kind}`), d.customerId ? customerText(d.customerId) : null, d.dueBefore ? t('ret.disp.dueBefore', { date: fmtDate(d.dueBefore) }) : null),
      h(
        'dl',
        { class: 'kv' },
        h('dt', {}, t('ret.disp.proposedBy')), h('dd', {}, `${d.proposedBy.name}, ${fmtDateTime(d.proposedAt)}`),
        h('dt', {}, t('ret.disp.approvedBy')), h('dd', {}, d.approvedBy ? `${d.approvedBy.name}, ${fmtDateTime(d.approvedAt)}` : '—'),
        d.executedBy ? [h('dt', {}, t('ret.disp.executedBy')), h('dd', {}, `${d.executedBy.name}, ${fmtDateTime(d.executedAt)}`)] : null,
        h('dt', {}, t('ret.disp.counts')), countsEl,
      ),
      outWarning(d),
      h('div', { class: 'row' }, actions),
      msg,
      shred ? [shred.el, h('p', {}, h('button', { type: 'button', onclick: () => pdf.show('GET', `/api/disposals/${d.id}/pick-list.pdf`, { title: t('scan.pickPdf') }) }, t('ret.disp.pickPdf')))] : null,
      pdf.el,
      h('h3', {}, t('ret.disp.itemsTitle')),
      itemsEl,
    );
    drawParts(d);
    shred?.input.focus();
  }

  /** Paper that is checked out (or overdue) cannot be shredded now: the second officer sees it before approving. */
  function outWarning(d) {
    const out = d.items.filter((i) => i.status === 'pending' && i.location?.kind === 'person');
    if (!out.length) return null;
    const overdue = out.filter((i) => i.location.dueBackOn && i.location.dueBackOn < isoDay(0));
    return h('p', { class: 'notice warn', id: 'disposal-out', role: 'note' }, t('ret.disp.outWarning', { n: out.length, overdue: overdue.length }));
  }

  function whereCell(i) {
    if (!i.location) return i.medium === 'paper' && i.status === 'pending' ? t('dossier.notFiled') : '—';
    if (i.location.kind !== 'person') return h('span', { class: 'small' }, i.location.path);
    const late = i.location.dueBackOn && i.location.dueBackOn < isoDay(0);
    return [badge(late ? t('ret.disp.overdue') : t('ret.disp.checkedOut'), late ? 'bad' : 'warn'), h('div', { class: 'small' }, t('dossier.withPerson', { name: i.location.name, date: fmtDate(i.location.dueBackOn) }))];
  }

  function itemsTable(d, el) {
    return table(
        [
          {
            label: t('common.document'),
            cell: (i) => [
              i.title ? h('a', { href: `#/document/${encodeURIComponent(i.documentId)}` }, i.title) : typeName(i.type),
              h('div', { class: 'small muted' }, [i.title ? typeName(i.type) : null, i.customerId ? customerText(i.customerId) : null, i.barcode, fmtDate(i.docDate)].filter(Boolean).join(' · ')),
            ],
          },
          { label: t('scan.where'), cell: (i) => whereCell(i) },
          { label: t('ret.medium'), cell: (i) => t(`ret.${i.medium}`) },
          { label: t('retention.disposition'), cell: (i) => t(`disposition.${i.disposition}`) },
          { label: t('ret.endedOn'), cell: (i) => fmtDate(i.retention.endsOn) },
          { label: t('requests.state'), cell: (i) => [badge(t(`ret.item.${i.status}`), i.status === 'destroyed' ? 'ok' : i.status === 'pending' ? 'warn' : 'neutral'), i.method ? h('div', { class: 'small muted' }, methodText(i.method)) : null] },
          { label: t('ret.disp.decision'), cell: (i) => reviewCell(d, i, el) },
        ],
        d.items,
      );
  }

  function reviewCell(d, i, el) {
    if (i.disposition !== 'review') return '—';
    if (i.decision) return `${t(`ret.decision.${i.decision}`)}${i.extendUntil ? ` → ${fmtDate(i.extendUntil)}` : ''}`;
    if (d.status !== 'proposed') return '—';
    const until = h('input', { type: 'date', 'aria-label': t('ret.disp.until'), value: isoDay(365) });
    const decide = async (decision) => {
      const note = prompt(t('ret.disp.decisionWhy'));
      if (!note || note.trim().length < 3) return;
      try {
        await api('POST', `/api/disposals/${d.id}/review`, { json: { documentId: i.documentId, decision, until: decision === 'extend' ? until.value : undefined, note: note.trim() } });
        drawDisposals();
      } catch (err) {
        announce(errorText(err), 'error');
      }
    };
    return h('div', { class: 'row small' }, h('button', { type: 'button', onclick: () => decide('destroy') }, t('ret.decision.destroy')), until, h('button', { type: 'button', onclick: () => decide('extend') }, t('ret.decision.extend')));
  }

  if (tab === 'due') await drawDue();
  else if (tab === 'holds') await drawHolds();
  else await drawDisposals();
  return () => {
    disposers.forEach((f) => f());
    shredDispose?.();
  };
}

/** How an item was handled, in words ("shredded", "digital destruction", "kept until …"). */
function methodText(m) {
  const until = /^kept until (\d{4}-\d{2}-\d{2})$/.exec(m);
  if (until) return t('ret.method.keptUntil', { date: fmtDate(until[1]) });
  const k = `ret.method.${m}`;
  return t(k) === k ? m : t(k);
}
