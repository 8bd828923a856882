// CRM: numbered mailings. Choose customers by a filter (city, postcode, a status they have or
// lack) or by number, create the mailing and preview its letters before printing; the list shows
// replies per mailing.
import { api } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t, tKnown } from '../i18n.js';
import { pdfPreview } from '../widgets.js';
import { announce, errorText, fmtDateTime, header, table } from '../ui.js';

export async function render(main, { navigate }) {
  const name = h('input', { id: 'ml-name', required: true, maxlength: '200', placeholder: t('ml.namePh') });
  const template = h('select', { id: 'ml-template' });
  const mode = select([['filter', t('ml.byFilter')], ['ids', t('ml.byNumber')]], { id: 'ml-mode' });
  const city = h('input', { id: 'ml-city', placeholder: 'Utrecht' });
  const postcode = h('input', { id: 'ml-postcode', placeholder: '35', maxlength: '10' });
  const lacks = h('input', { id: 'ml-lacks', placeholder: 'reply-received' });
  const ids = h('textarea', { id: 'ml-ids', rows: '4', placeholder: 'KL-000123\nKL-000124' });
  const filterBox = h('div', { class: 'row', id: 'ml-filter' }, field(t('ml.city'), city), field(t('ml.postcode'), postcode), field(t('ml.lacks'), lacks, t('ml.lacksHint')));
  const idsBox = h('div', { id: 'ml-idsbox', hidden: true }, field(t('ml.numbers'), ids, t('ml.numbersHint')));
  mode.addEventListener('change', () => {
    filterBox.hidden = mode.value !== 'filter';
    idsBox.hidden = mode.value !== 'ids';
  });
  const msg = h('p', { class: 'error', role: 'alert', id: 'ml-msg' });
  const result = h('div', { id: 'ml-result' });
  const preview = pdfPreview();
  const listEl = h('div', { id: 'ml-list' }, h('p', { class: 'muted' }, t('common.loading')));

  try {
    const r = await api('GET', '/api/mailings/templates');
    replace(template, r.templates.map((tp) => h('option', { value: tp.id }, tp.description || tp.id)));
  } catch {
    replace(template, h('option', { value: 'default' }, 'default'));
  }

  const form = h(
    'form',
    {
      class: 'card',
      id: 'ml-form',
      onsubmit: async (e) => {
        e.preventDefault();
        msg.textContent = '';
        const body = { name: name.value.trim(), template: template.value || undefined };
        if (mode.value === 'ids') {
          body.customerIds = [...new Set(ids.value.split(/[\s,;]+/).map((x) => x.trim().toUpperCase()).filter(Boolean))];
          if (!body.customerIds.length) return (msg.textContent = t('ml.noCustomers'));
        } else {
          const f = {};
          if (city.value.trim()) f.city = city.value.trim();
          if (postcode.value.trim()) f.postcodePrefix = postcode.value.trim().toUpperCase();
          if (lacks.value.trim()) f.lacksStatus = lacks.value.trim();
          if (!Object.keys(f).length) return (msg.textContent = t('ml.noFilter'));
          body.filter = f;
        }
        try {
          const m = await api('POST', '/api/mailings', { json: body });
          announce(t('ml.created', { name: m.name, n: m.letterCount }), 'ok');
          replace(
            result,
            h('div', { class: 'card' }, h('h2', {}, m.name), h('p', { id: 'ml-count' }, t('ml.letters', { n: m.letterCount })), m.excluded?.length ? h('div', { class: 'notice warn', id: 'ml-excluded' }, h('p', {}, t('ml.excluded', { n: m.excluded.length })), h('ul', { class: 'small' }, m.excluded.map((x) => h('li', {}, `${x.customerId}: ${tKnown(`ml.why.${x.reason}`) ?? x.reason}`)))) : null, preview.el),
          );
          await preview.show('GET', `/api/mailings/${m.id}/letters.pdf`, { title: t('ml.previewTitle', { name: m.name }) });
          await loadList();
        } catch (err) {
          msg.textContent = errorText(err);
        }
      },
    },
    h('h2', {}, t('ml.new')),
    h('div', { class: 'row' }, field(t('ml.name'), name), field(t('ml.template'), template), field(t('ml.choose'), mode)),
    filterBox,
    idsBox,
    msg,
    h('button', { type: 'submit', class: 'primary', id: 'ml-create' }, t('ml.create')),
  );

  async function loadList() {
    try {
      const r = await api('GET', '/api/mailings');
      replace(
        listEl,
        table(
          [
            { label: t('ml.name'), cell: (m) => m.name },
            { label: t('ml.lettersCol'), class: 'num', cell: (m) => String(m.letterCount) },
            { label: t('ml.repliesCol'), class: 'num', cell: (m) => String(m.replies.total) },
            { label: t('ml.createdCol'), cell: (m) => fmtDateTime(m.createdAt) },
            { label: t('ml.sentCol'), cell: (m) => (m.sentAt ? fmtDateTime(m.sentAt) : '—') },
            { label: t('ml.withheldCol'), class: 'num', cell: (m) => (m.withheld ? h('span', { title: t('ml.withheld', { n: m.withheld }) }, String(m.withheld)) : '0') },
          ],
          r.mailings,
          { empty: t('ml.none') },
        ),
      );
    } catch (err) {
      replace(listEl, h('p', { class: 'error' }, errorText(err)));
    }
  }

  main.append(header(t('ml.title'), t('ml.intro'), h('button', { type: 'button', onclick: () => navigate('coupons') }, t('nav.coupons'))), h('div', { class: 'split' }, h('div', {}, form, result), h('div', { class: 'card' }, h('h2', {}, t('ml.all')), listEl)));
  await loadList();
}
