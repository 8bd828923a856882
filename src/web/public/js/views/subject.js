// Compliance: a data subject's rights. Access export (art. 15), erasure with the legal reasons
// to keep (art. 17), and restriction of processing (art. 18).
import { api, ApiError, fetchBlob } from '../api.js';
import { downloadBlob, field, h, replace } from '../dom.js';
import { t, tKnown } from '../i18n.js';
import { customerPicker } from '../widgets.js';
import { announce, badge, dataText, errorText, fmtDate, fmtPeriod, header, table, typeName, unavailable } from '../ui.js';

export async function render(main, { query }) {
  const cust = customerPicker({ value: query.customerId ?? '', required: true });
  const reason = h('input', { id: 'subject-reason', required: true, minlength: '3', placeholder: t('subject.reasonPh') });
  const out = h('div', { id: 'subject-out', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('subject.reasonHint')));
  const who = h('div', { id: 'subject-who' });
  const id = () => cust.input.value.trim();
  const need = () => {
    if (!id()) {
      announce(t('subject.customerFirst'), 'error');
      cust.input.focus();
      return false;
    }
    return true;
  };
  const needReason = () => {
    if (reason.value.trim().length < 3) {
      announce(t('subject.reasonFirst'), 'error');
      reason.focus();
      return false;
    }
    return true;
  };
  const fail = (err) => replace(out, err instanceof ApiError && err.unavailable ? unavailable() : h('p', { class: 'error', role: 'alert' }, errorText(err)));

  async function showCustomer() {
    if (!id()) return replace(who);
    try {
      const c = await api('GET', `/api/customers/${encodeURIComponent(id())}`);
      replace(who, h('p', {}, h('strong', {}, c.name), ` · ${c.id}`, c.restricted ? [' ', badge(t('customers.restricted'), 'warn')] : ''));
      return c;
    } catch (err) {
      replace(who, h('p', { class: 'error' }, errorText(err)));
      return null;
    }
  }
  cust.input.addEventListener('change', showCustomer);

  async function exportZip() {
    if (!need()) return;
    replace(out, h('p', { class: 'muted' }, t('subject.exporting')));
    try {
      const { blob } = await fetchBlob('GET', `/api/customers/${encodeURIComponent(id())}/subject-access.zip`);
      downloadBlob(blob, `inzage-${id()}.zip`);
      replace(out, h('p', { class: 'notice ok' }, t('subject.exported', { size: Math.round(blob.size / 1024) })));
    } catch (err) {
      fail(err);
    }
  }

  async function erasure(dryRun) {
    if (!need() || !needReason()) return;
    try {
      const r = await api('POST', `/api/customers/${encodeURIComponent(id())}/erasure`, { json: { dryRun, reason: reason.value.trim() } });
      replace(
        out,
        h('h2', {}, dryRun ? t('subject.plan') : t('subject.proposed')),
        h('p', { id: 'erasure-summary' }, r.summary),
        table(
          [
            { label: t('common.document'), cell: (d) => [d.title, h('div', { class: 'small muted' }, [typeName(d.type), d.barcode, fmtDate(d.docDate)].filter(Boolean).join(' · '))] },
            { label: t('ret.medium'), cell: (d) => t(`ret.${d.medium}`) },
            { label: t('subject.action'), cell: (d) => (d.action === 'remove' ? badge(t('subject.remove'), 'bad') : badge(t('subject.keep'), 'ok')) },
            { label: t('subject.until'), cell: (d) => fmtDate(d.until) },
            { label: t('subject.why'), cell: (d) => [erasureWhy(d), d.basis ? h('div', { class: 'small muted' }, dataText(d.basis)) : null] },
          ],
          r.documents,
        ),
        r.other?.length ? [h('h3', {}, t('subject.other')), table([{ label: t('subject.what'), cell: (o) => coded('erasure.what', o.code, o.what) }, { label: '#', class: 'num', cell: (o) => String(o.count ?? '—') }, { label: t('subject.action'), cell: (o) => (o.action === 'remove' ? badge(t('subject.remove'), 'bad') : badge(t('subject.keep'), 'ok')) }, { label: t('subject.why'), cell: (o) => [coded('erasure.otherWhy', o.code, o.why, { n: o.count ?? '' }), o.basis ? h('div', { class: 'small muted' }, dataText(o.basis)) : null] }], r.other)] : null,
        dryRun
          ? h('p', {}, h('button', { type: 'button', class: 'danger', id: 'erasure-propose', onclick: () => erasure(false) }, t('subject.propose')))
          : r.disposal
            ? h('p', { class: 'notice ok' }, t('subject.disposalMade'), ' ', h('a', { href: `#/retention?tab=disposals&id=${r.disposal.id}` }, t('subject.toDisposal')))
            : null,
      );
    } catch (err) {
      fail(err);
    }
  }

  async function restrict(restricted) {
    if (!need() || !needReason()) return;
    try {
      await api('POST', `/api/customers/${encodeURIComponent(id())}/restriction`, { json: { restricted, reason: reason.value.trim() } });
      announce(t(restricted ? 'subject.restricted' : 'subject.unrestricted'), 'ok');
      showCustomer();
    } catch (err) {
      fail(err);
    }
  }

  main.append(
    header(t('subject.title'), t('subject.intro')),
    h(
      'div',
      { class: 'card' },
      h('div', { class: 'row' }, field(t('common.customer'), cust.input), cust.datalist, field(t('subject.reason'), reason)),
      who,
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'button', class: 'primary', id: 'subject-export', onclick: exportZip }, t('subject.export')),
        h('button', { type: 'button', id: 'erasure-plan', onclick: () => erasure(true) }, t('subject.erasurePlan')),
        h('button', { type: 'button', onclick: () => restrict(true) }, t('subject.restrict')),
        h('button', { type: 'button', class: 'ghost', onclick: () => restrict(false) }, t('subject.unrestrict')),
      ),
    ),
    h('div', { class: 'card' }, out),
  );
  if (id()) await showCustomer();
  cust.input.focus();
}


/** A text by code in the user's language, or the server's own words for a code this screen does not know. */
function coded(prefix, code, fallback, params = {}) {
  if (!code) return fallback;
  const k = `${prefix}.${code}`;
  const v = t(k, params);
  return v === k ? fallback : v;
}

/** Why a document is erased or kept, from the reason code the server sends. */
function erasureWhy(d) {
  const r = d.reason;
  if (!r) return d.why;
  const params = { ...r, holds: (r.holds ?? []).join(', '), until: fmtDate(r.until), endedOn: fmtDate(r.endedOn), period: fmtPeriod(r.period), trigger: tKnown(`trigger.${r.trigger}`) ?? r.trigger };
  const text = coded('erasure.why', r.code, d.why, params);
  return r.inDisposal ? `${text}; ${t('erasure.inDisposal')}` : text;
}
