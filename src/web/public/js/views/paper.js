// Mailroom: register static paper (key points + barcode) and print its labels.
import { api } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t } from '../i18n.js';
import { customerPicker, pdfPreview } from '../widgets.js';
import { announce, classBadge, dataText, errorText, fmtDate, header, table, typeName, typeOptions, meta } from '../ui.js';

// Documents registered in this browser tab, for one label sheet at the end of a batch.
const registered = [];

export async function render(main) {
  const cust = customerPicker({ required: true });
  const type = select(typeOptions(), { name: 'type', required: true, value: 'order' });
  const title = h('input', { name: 'title', placeholder: t('paper.titlePlaceholder') });
  const docDate = h('input', { name: 'docDate', type: 'date' });
  const kp = {
    number: h('input', { name: 'number', placeholder: 'ORD-2026-0815' }),
    total: h('input', { name: 'total', inputmode: 'decimal', placeholder: '1250,00' }),
    startsOn: h('input', { name: 'startsOn', type: 'date' }),
    endsOn: h('input', { name: 'endsOn', type: 'date' }),
    validUntil: h('input', { name: 'validUntil', type: 'date' }),
    status: h('input', { name: 'status', placeholder: t('paper.statusPlaceholder') }),
  };
  const barcode = h('input', { name: 'barcode', autocomplete: 'off', placeholder: 'D…', spellcheck: 'false' });
  const msg = h('p', { class: 'error', role: 'alert' });
  const result = h('div', { id: 'paper-result' });
  const layouts = select([['single-62x29', dataText('One 62 x 29 mm label per page for a label printer (Brother DK-11209 size)')]], { name: 'layout' });
  const sheetLayouts = select([['a4-3x7-70x42.3', dataText('A4 sheet, 3 x 7 = 21 labels of 70 x 42.3 mm, edge to edge (Avery Zweckform 3652 size)')]], { name: 'sheetLayout' });
  let preview = pdfPreview();
  const sessionList = h('div', { id: 'paper-session' });

  try {
    const r = await api('GET', '/api/labels/layouts');
    replace(layouts, r.layouts.filter((l) => l.perSheet === 1).map((l) => h('option', { value: l.id, title: dataText(l.description) }, dataText(l.description))));
    replace(sheetLayouts, r.layouts.filter((l) => l.perSheet > 1).map((l) => h('option', { value: l.id, title: dataText(l.description) }, dataText(l.description))));
  } catch {
    /* keep the defaults */
  }

  const form = h(
    'form',
    { class: 'card', id: 'paper-form', onsubmit: submit },
    h('h2', {}, t('paper.register')),
    h('div', { class: 'row' }, field(t('paper.customer'), cust.input), cust.datalist, field(t('paper.type'), type)),
    h('div', { class: 'row' }, field(t('paper.docTitle'), title), field(t('paper.docDate'), docDate)),
    h(
      'fieldset',
      {},
      h('legend', {}, t('paper.keyPoints')),
      h('div', { class: 'row' }, field(t('kp.number'), kp.number), field(t('kp.total'), kp.total), field(t('kp.status'), kp.status)),
      h('div', { class: 'row' }, field(t('kp.startsOn'), kp.startsOn), field(t('kp.endsOn'), kp.endsOn), field(t('kp.validUntil'), kp.validUntil)),
    ),
    field(t('paper.barcode'), barcode, t('paper.barcodeHint')),
    msg,
    h('button', { type: 'submit', class: 'primary' }, t('paper.submit')),
  );

  async function submit(e) {
    e.preventDefault();
    msg.textContent = '';
    // A label still on screen belongs to the previous paper: it goes before anything else happens.
    preview.clear();
    replace(result);
    const fields = {};
    if (kp.number.value.trim()) fields.number = kp.number.value.trim();
    if (kp.total.value.trim()) {
      const n = Number(kp.total.value.trim().replace(/\./g, '').replace(',', '.'));
      if (!Number.isFinite(n)) return (msg.textContent = t('paper.badTotal'));
      fields.total = n;
      fields.currency = 'EUR';
    }
    for (const k of ['startsOn', 'endsOn', 'validUntil']) if (kp[k].value) fields[k] = kp[k].value;
    if (kp.status.value.trim()) fields.status = kp.status.value.trim();
    const body = { customerId: cust.input.value.trim(), type: type.value, fields };
    if (title.value.trim()) body.title = title.value.trim();
    if (docDate.value) body.docDate = docDate.value;
    if (barcode.value.trim()) body.barcode = barcode.value.trim();
    try {
      const doc = await api('POST', '/api/documents/paper', { json: body });
      registered.unshift(doc);
      announce(t('paper.registered', { barcode: doc.barcode }), 'ok');
      showResult(doc);
      drawSession();
      for (const el of [title, docDate, barcode, ...Object.values(kp)]) el.value = '';
    } catch (err) {
      msg.textContent = errorText(err);
    }
  }

  function showResult(doc) {
    // A fresh preview per paper, so nothing of the previous label can be opened from here.
    preview = pdfPreview();
    preview.el.dataset.documentId = doc.id;
    replace(
      result,
      h(
        'div',
        { class: 'card' },
        h('h2', {}, t('paper.done')),
        h('p', { class: 'scan-target', id: 'paper-barcode' }, doc.barcode),
        meta('p', classBadge(doc.class), typeName(doc.type), doc.customerId, doc.title),
        doc.class === 'dynamic' ? h('p', { class: 'notice' }, t('paper.isDynamic')) : null,
        h('div', { class: 'row' }, field(t('paper.layout'), layouts), h('button', { type: 'button', class: 'primary', id: 'print-label', dataset: { barcode: doc.barcode }, onclick: () => label(doc) }, t('paper.printLabelFor', { barcode: doc.barcode }))),
        preview.el,
      ),
    );
  }

  function label(doc) {
    return preview.show('GET', `/api/documents/${doc.id}/label.pdf`, { query: { layout: layouts.value }, title: t('paper.labelFor', { barcode: doc.barcode }), openLabel: t('paper.openLabelFor', { barcode: doc.barcode }) });
  }

  function drawSession() {
    replace(
      sessionList,
      table(
        [
          { label: t('paper.barcode'), cell: (d) => h('code', {}, d.barcode) },
          { label: t('paper.customer'), cell: (d) => d.customerId },
          { label: t('paper.type'), cell: (d) => typeName(d.type) },
          { label: t('paper.docTitle'), cell: (d) => d.title },
          { label: t('paper.docDate'), cell: (d) => fmtDate(d.docDate) },
        ],
        registered,
        { empty: t('paper.noneYet') },
      ),
    );
  }

  const blankCount = h('input', { type: 'number', min: '1', max: '1000', value: '24', name: 'count' });
  const blankLayouts = sheetLayouts.cloneNode(true);
  const sheetPreview = pdfPreview();
  const sheets = h(
    'div',
    { class: 'card' },
    h('h2', {}, t('paper.sheets')),
    h('p', { class: 'muted' }, t('paper.sheetsIntro')),
    sessionList,
    h(
      'div',
      { class: 'row' },
      field(t('paper.sheetLayout'), sheetLayouts),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            if (!registered.length) return announce(t('paper.noneYet'));
            sheetPreview.show('POST', '/api/labels/sheet', { json: { documentIds: registered.map((d) => d.id), layout: sheetLayouts.value }, note: (hd) => t('paper.labelCount', { n: hd.get('X-Label-Count') ?? '?' }) });
          },
        },
        t('paper.printSheet'),
      ),
    ),
    h('h3', {}, t('paper.blank')),
    h(
      'div',
      { class: 'row' },
      field(t('paper.blankCount'), blankCount),
      field(t('paper.sheetLayout'), blankLayouts),
      h(
        'button',
        {
          type: 'button',
          onclick: () =>
            sheetPreview.show('POST', '/api/labels/blank', {
              json: { count: Number(blankCount.value) || 1, layout: blankLayouts.value },
              note: (hd) => t('paper.blankRange', { first: hd.get('X-Barcode-First') ?? '?', last: hd.get('X-Barcode-Last') ?? '?' }),
            }),
        },
        t('paper.printBlank'),
      ),
    ),
    sheetPreview.el,
  );

  drawSession();
  main.append(header(t('paper.title'), t('paper.intro')), h('div', { class: 'grid' }, h('div', {}, form, result), sheets));
  cust.input.focus();
}
