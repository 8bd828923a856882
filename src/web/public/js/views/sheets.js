// Mailroom: cover sheets (GET /api/cover-sheet.pdf, nothing stored: the code carries customer and
// type) and numbered separator sheets (POST /api/separator-sheets) to put between scanned papers.
import { h, replace, select, field } from '../dom.js';
import { t } from '../i18n.js';
import { customerPicker, pdfPreview } from '../widgets.js';
import { announce, header, typeOptions } from '../ui.js';

export async function render(main) {
  const cust = customerPicker({ name: 'customerId' });
  cust.input.id = 'sheet-customer';
  const type = select(typeOptions(t('sheets.anyType')), { name: 'type', id: 'sheet-type' });
  const copies = h('input', { name: 'copies', id: 'sheet-copies', type: 'number', min: '1', max: '50', value: '1', inputmode: 'numeric' });
  const msg = h('p', { class: 'error', role: 'alert', id: 'sheet-msg' });
  const preview = pdfPreview();
  preview.el.id = 'sheet-preview';

  /** The form as the API wants it; null (with a message) when the number of copies is not 1-50. */
  function values() {
    msg.textContent = '';
    const n = Number(copies.value || '1');
    if (!Number.isInteger(n) || n < 1 || n > 50) {
      msg.textContent = t('sheets.badCopies');
      return null;
    }
    const v = { copies: n };
    if (cust.input.value.trim()) v.customerId = cust.input.value.trim();
    if (type.value) v.type = type.value;
    return v;
  }

  async function cover(e) {
    e.preventDefault();
    const v = values();
    if (!v) return;
    const r = await preview.show('GET', '/api/cover-sheet.pdf', {
      query: v,
      title: t('sheets.coverTitle'),
      note: (hd) => t('sheets.coverNote', { code: hd.get('x-cover-code') ?? '', n: v.copies }),
    });
    if (r) {
      preview.el.dataset.kind = 'cover';
      announce(t('sheets.coverReady', { n: v.copies }), 'ok');
    }
  }

  async function separator() {
    const v = values();
    if (!v) return;
    const r = await preview.show('POST', '/api/separator-sheets', {
      json: v,
      title: t('sheets.separatorTitle'),
      note: (hd) => t('sheets.separatorNote', { code: hd.get('x-barcode') ?? '', n: v.copies }),
    });
    if (r) {
      preview.el.dataset.kind = 'separator';
      preview.el.dataset.barcode = r.headers.get('x-barcode') ?? '';
      announce(t('sheets.separatorReady', { code: r.headers.get('x-barcode') ?? '' }), 'ok');
    }
  }

  main.append(
    header(t('sheets.title'), t('sheets.intro')),
    h(
      'form',
      { class: 'card', id: 'sheet-form', onsubmit: cover },
      h('div', { class: 'row' }, field(t('common.customer'), cust.input), cust.datalist, field(t('common.type'), type), field(t('sheets.copies'), copies)),
      h('p', { class: 'small muted' }, t('sheets.customerHint')),
      msg,
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'submit', class: 'primary', id: 'print-cover' }, t('sheets.printCover')),
        h('button', { type: 'button', id: 'print-separator', onclick: separator }, t('sheets.printSeparator')),
      ),
      h('details', {}, h('summary', {}, t('sheets.howTitle')), h('ul', {}, ['sheets.how1', 'sheets.how2', 'sheets.how3'].map((k) => h('li', {}, t(k))))),
    ),
    h('section', { class: 'card', 'aria-label': t('sheets.previewLabel') }, preview.el),
  );
  replace(preview.el, h('p', { class: 'muted' }, t('sheets.nothingYet')));
  return () => preview.clear();
}
