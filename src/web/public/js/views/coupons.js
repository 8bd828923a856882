// Mailroom: returned reply coupons. Scan one by one (wedge), or upload a scanned stack and
// work through the pages the reader could not settle, with the page image beside the choices.
import { api, ApiError, fetchBlob, upload } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t, tKnown } from '../i18n.js';
import { customerPicker, scanField } from '../widgets.js';
import { announce, badge, errorText, fmtDateTime, header, poll, statusBadge, table, unavailable, meta } from '../ui.js';

export async function render(main, { me } = {}) {
  // Compliance opens this screen for the coupons held for it (GDPR art. 18); scanning and uploading are the mailroom's.
  const scans = !me || me.roles.includes('mailroom') || me.roles.includes('admin');
  const disposers = [];
  let answers = [];
  try {
    const r = await api('GET', '/api/mailings/templates');
    const seen = new Map();
    for (const tpl of r.templates) for (const a of tpl.coupon?.answers ?? []) if (!seen.has(a.id)) seen.set(a.id, a.label);
    answers = [...seen];
  } catch {
    /* answers are optional */
  }
  const answerSelect = (id) => select([['', t('coupons.answerNone')], ...answers.map(([k, label]) => [k, `${k} — ${label}`])], { id });

  // ---- single scans ----
  const scanAnswer = answerSelect('coupon-answer');
  const scanLog = h('ol', { class: 'scan-log', 'aria-live': 'polite' });
  const scan = scanField({
    label: t('coupons.scanField'),
    id: 'coupon-scan',
    onScan: async (code) => {
      try {
        const r = await api('POST', '/api/coupons/scan', { json: { barcode: code, answer: scanAnswer.value || undefined } });
        if (r.held) {
          // A restricted customer's coupon: nothing recorded, and nothing here names the customer.
          const text = t('coupons.held', { code: r.barcode });
          scanLog.prepend(h('li', { class: 'held' }, text));
          announce(text, 'warn');
          return;
        }
        const text = t('coupons.scanned', { code: r.barcode, customer: r.customerId, answer: r.answer ?? '—' });
        scanLog.prepend(h('li', {}, text));
        announce(text, 'ok');
      } catch (err) {
        scanLog.prepend(h('li', { class: 'bad' }, `${code}: ${errorText(err)}`));
        announce(`${code}: ${errorText(err)}`, 'error');
      }
    },
  });
  disposers.push(scan.dispose);

  // ---- batch upload ----
  const files = h('input', { type: 'file', id: 'coupon-files', multiple: true, accept: '.pdf,.tif,.tiff,.png,.jpg,.jpeg' });
  const bar = h('progress', { max: '1', value: '0', hidden: true, 'aria-label': t('coupons.uploadProgress') });
  const batchOut = h('div', { id: 'coupon-batch', 'aria-live': 'polite' });
  const sendBatch = async () => {
    if (!files.files.length) return announce(t('coupons.chooseFirst'));
    const form = new FormData();
    const list = [...files.files];
    if (list.length === 1) form.append('file', list[0], list[0].name);
    else for (const f of list) form.append('files', f, f.name);
    bar.hidden = false;
    try {
      const { body } = await upload('/api/coupons/batches', form, { onProgress: (p) => (bar.value = p) });
      files.value = '';
      watchBatch(body);
    } catch (err) {
      replace(batchOut, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    } finally {
      bar.hidden = true;
    }
  };
  function drawBatch(b) {
    const pct = b.progress?.total ? Math.round((100 * b.progress.done) / b.progress.total) : b.status === 'done' ? 100 : 0;
    replace(
      batchOut,
      // A stack is named by its files and time, not its id.
      h('p', { id: 'coupon-batch-title' }, t('coupons.batchNamed', { names: (b.files ?? []).map((f) => f.name).filter(Boolean).join(', ') || '—', when: fmtDateTime(b.createdAt) }), ' ', statusBadge(b.status), ' ', t('coupons.pages', { n: b.pageCount })),
      b.status === 'processing' || b.status === 'queued' ? h('progress', { max: '100', value: String(pct), 'aria-label': t('coupons.readProgress') }) : null,
      Object.keys(b.summary ?? {}).length ? h('dl', { class: 'kv' }, Object.entries(b.summary).map(([k, v]) => [h('dt', {}, tKnown(`coupons.sum.${k}`) ?? t('coupons.sum.other')), h('dd', {}, String(v))])) : null,
    );
  }
  function watchBatch(b) {
    drawBatch(b);
    const stop = poll(async () => {
      const cur = await api('GET', `/api/coupons/batches/${b.id}`);
      drawBatch(cur);
      if (cur.status === 'done' || cur.status === 'failed') {
        stop();
        announce(t('coupons.batchDoneNamed', { names: (cur.files ?? []).map((f) => f.name).join(', ') }), cur.status === 'done' ? 'ok' : 'error');
        loadReview();
      }
    }, 1500);
    disposers.push(stop);
  }

  // ---- review queue ----
  const reviewList = h('ul', { class: 'list', id: 'coupon-review-list' });
  const reviewDetail = h('div', { id: 'coupon-review-detail' }, h('p', { class: 'empty' }, t('coupons.pick')));
  let imgUrl = null;
  disposers.push(() => imgUrl && URL.revokeObjectURL(imgUrl));
  let items = [];
  async function loadReview(selectId) {
    try {
      items = (await api('GET', '/api/coupons/review', { query: { status: 'open' } })).items;
      replace(
        reviewList,
        items.length
          ? items.map((it) =>
              h(
                'li',
                {},
                h(
                  'button',
                  { type: 'button', class: 'item', onclick: () => openItem(it) },
                  h('div', { class: 'item-title' }, t(`coupons.reason.${it.reason}`), ' ', it.code ? h('code', {}, it.code) : null),
                  meta('div', it.pages.length ? t('coupons.pagesList', { pages: it.pages.join(', ') }) : null, fmtDateTime(it.createdAt)),
                ),
              ),
            )
          : h('li', { class: 'empty' }, t('coupons.reviewEmpty')),
      );
      const next = items.find((i) => i.id === selectId) ?? items[0];
      if (next) openItem(next);
      else replace(reviewDetail);
    } catch (err) {
      replace(reviewList, err instanceof ApiError && err.unavailable ? unavailable() : h('li', { class: 'error' }, errorText(err)));
    }
  }
  async function openItem(it) {
    const img = h('div', { class: 'coupon-image' }, h('p', { class: 'muted' }, t('common.loading')));
    const msg = h('p', { class: 'error', role: 'alert' });
    const code = h('input', { id: 'cr-code', value: it.code ?? '', autocomplete: 'off', spellcheck: 'false' });
    const ans1 = answerSelect('cr-answer-1');
    ans1.value = it.answer ?? '';
    const cust = customerPicker({ value: it.hintCustomerId ?? '' });
    const mailing = h('input', { id: 'cr-mailing', autocomplete: 'off', placeholder: 'mai_…' });
    const ans2 = answerSelect('cr-answer-2');
    ans2.value = it.answer ?? '';
    const note = h('input', { id: 'cr-note' });
    const resolve = async (body) => {
      msg.textContent = '';
      try {
        await api('POST', `/api/coupons/review/${it.id}`, { json: body });
        announce(t('coupons.resolved'), 'ok');
        const idx = items.findIndex((i) => i.id === it.id);
        await loadReview(items[idx + 1]?.id);
      } catch (err) {
        msg.textContent = errorText(err);
      }
    };
    const opt = (v) => v || undefined;
    replace(
      reviewDetail,
      h(
        'div',
        { class: 'coupon-review' },
        img,
        h(
          'div',
          {},
          h('h3', {}, t(`coupons.reason.${it.reason}`)),
          h('p', { class: 'muted small' }, t(`coupons.reasonHelp.${it.reason}`)),
          h(
            'form',
            { onsubmit: (e) => (e.preventDefault(), resolve({ action: 'code', barcode: code.value.trim(), answer: opt(ans1.value) })) },
            h('fieldset', {}, h('legend', {}, t('coupons.byCode')), field(t('coupons.code'), code), field(t('coupons.answer'), ans1), h('button', { type: 'submit', class: 'primary' }, t('coupons.saveCode'))),
          ),
          h(
            'form',
            { onsubmit: (e) => (e.preventDefault(), resolve({ action: 'customer', customerId: cust.input.value.trim(), mailingId: opt(mailing.value.trim()), answer: opt(ans2.value) })) },
            h('fieldset', {}, h('legend', {}, t('coupons.byCustomer')), field(t('common.customer'), cust.input), cust.datalist, field(t('coupons.mailing'), mailing), field(t('coupons.answer'), ans2), h('button', { type: 'submit' }, t('coupons.saveCustomer'))),
          ),
          h(
            'form',
            { onsubmit: (e) => (e.preventDefault(), resolve({ action: 'discard', note: opt(note.value.trim()) })) },
            h('fieldset', {}, h('legend', {}, t('coupons.discard')), field(t('coupons.note'), note), h('button', { type: 'submit', class: 'danger' }, t('coupons.discard'))),
          ),
          msg,
        ),
      ),
    );
    code.focus();
    // A coupon held from a single scan has no page image: its paper is with the mailroom.
    if (!it.batchId) return replace(img, h('p', { class: 'muted', id: 'coupon-no-image' }, t('coupons.noImage')));
    try {
      const { blob } = await fetchBlob('GET', `/api/coupons/review/${it.id}/image`);
      if (imgUrl) URL.revokeObjectURL(imgUrl);
      imgUrl = URL.createObjectURL(blob);
      // The unreadable code must be read by a person: the page image zooms in on click (and with the button).
      const pic = h('img', { src: imgUrl, class: 'coupon-img', id: 'coupon-img', alt: t('coupons.imageAlt', { pages: it.pages.join(', ') }) });
      const zoom = h('button', { type: 'button', id: 'coupon-zoom', 'aria-pressed': 'false' }, t('coupons.zoomIn'));
      const toggle = () => {
        const on = img.classList.toggle('zoomed');
        zoom.setAttribute('aria-pressed', String(on));
        zoom.textContent = on ? t('coupons.zoomOut') : t('coupons.zoomIn');
      };
      zoom.addEventListener('click', toggle);
      pic.addEventListener('click', toggle);
      replace(img, h('div', { class: 'row' }, zoom), h('div', { class: 'coupon-img-wrap' }, pic));
    } catch (err) {
      replace(img, h('p', { class: 'error' }, errorText(err)));
    }
  }

  // ---- mailings ----
  const mailingsOut = h('div', {});
  async function loadMailings() {
    try {
      const r = await api('GET', '/api/mailings', { query: { limit: 20 } });
      replace(
        mailingsOut,
        table(
          [
            { label: t('coupons.mailing'), cell: (m) => [m.name, h('div', { class: 'muted small' }, m.id)] },
            { label: t('coupons.letters'), class: 'num', cell: (m) => String(m.letterCount) },
            { label: t('coupons.sent'), cell: (m) => (m.sentAt ? fmtDateTime(m.sentAt) : badge(t('coupons.notSent'), 'neutral')) },
            { label: t('coupons.withheld'), class: 'num', cell: (m) => String(m.withheld ?? 0) },
            { label: t('coupons.replies'), class: 'num', cell: (m) => String(m.replies.total) },
            // Each answer by the words on the coupon (its code on hover), one per line.
            {
              label: t('coupons.byAnswer'),
              cell: (m) => {
                const label = new Map(answers);
                const rows = Object.entries(m.replies.byAnswer).map(([k, v]) => h('div', { class: 'answer-count', title: k }, `${v} × ${label.get(k) ?? k}`));
                return rows.length ? rows : '—';
              },
            },
          ],
          r.mailings,
          { empty: t('coupons.noMailings') },
        ),
      );
    } catch (err) {
      replace(mailingsOut, err instanceof ApiError && err.unavailable ? unavailable() : h('p', { class: 'error' }, errorText(err)));
    }
  }

  main.append(
    header(t('coupons.title'), t('coupons.intro')),
    h(
      'div',
      { class: 'grid' },
      scans ? h('div', { class: 'card' }, h('h2', {}, t('coupons.single')), field(t('coupons.answer'), scanAnswer, t('coupons.answerHint')), scan.el, scanLog) : null,
      scans ? h('div', { class: 'card' }, h('h2', {}, t('coupons.upload')), h('p', { class: 'muted' }, t('coupons.uploadHelp')), field(t('coupons.files'), files), h('button', { type: 'button', class: 'primary', id: 'coupon-send', onclick: sendBatch }, t('coupons.send')), bar, batchOut) : null,
    ),
    h('div', { class: 'card', id: 'coupon-review' }, h('h2', {}, t('coupons.review')), h('div', { class: 'split' }, reviewList, reviewDetail)),
    h('div', { class: 'card' }, h('h2', {}, t('coupons.mailings')), mailingsOut),
  );
  if (scans) scan.input.focus();
  loadReview();
  loadMailings();
  return () => disposers.forEach((d) => d());
}
