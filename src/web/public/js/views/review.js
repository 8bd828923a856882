// Mailroom: documents the pipeline was unsure about. Pick one, see why, confirm or correct.
import { api, fetchBlob } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t } from '../i18n.js';
import { customerPicker } from '../widgets.js';
import { announce, badge, classBadge, DOCUMENT_TYPES, errorText, fmtDateTime, header, reasonTexts, traceText, typeName, typeOptions, meta } from '../ui.js';

export async function render(main, { query }) {
  const listEl = h('ul', { class: 'list', id: 'review-list', 'aria-label': t('review.listLabel') });
  const detail = h('div', { class: 'card', id: 'review-detail' }, h('p', { class: 'empty' }, t('review.pick')));
  const count = h('span', { class: 'badge info', id: 'review-count' });
  let items = [];
  let current = null;
  let previewUrl = null;

  main.append(
    header(t('review.title'), t('review.intro'), h('button', { type: 'button', onclick: () => load() }, t('common.refresh'))),
    h('div', { class: 'split' }, h('div', { class: 'card' }, h('h2', {}, t('review.waiting'), ' ', count), listEl), detail),
  );

  async function load(selectId) {
    try {
      const r = await api('GET', '/api/review', { query: { limit: 200 } });
      items = r.documents;
      count.textContent = String(r.total);
      drawList();
      const next = items.find((d) => d.id === selectId) ?? items[0];
      if (next) open(next);
      else replace(detail, h('p', { class: 'empty' }, t('review.allDone')));
    } catch (err) {
      replace(listEl, h('li', { class: 'error' }, errorText(err)));
    }
  }

  function drawList() {
    if (!items.length) return replace(listEl, h('li', { class: 'empty' }, t('review.none')));
    replace(
      listEl,
      items.map((d) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'item', 'aria-current': String(current?.id === d.id), onclick: () => open(d) },
            h('div', { class: 'item-title' }, d.title || d.original?.name || d.id),
            meta('div', typeName(d.type), d.customerId ?? t('review.noCustomer'), fmtDateTime(d.createdAt)),
            meta('div', reasonTexts(d).map((r) => badge(r, 'warn'))),
          ),
        ),
      ),
    );
  }

  async function open(doc) {
    current = doc;
    drawList();
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    // An unsure type is not set on the document: offer detection's best guess first, or nothing.
    const guess = DOCUMENT_TYPES.includes(doc.type) ? doc.type : (doc.suggestedType ?? '');
    const type = select(typeOptions(t('review.chooseType')), { name: 'type', value: guess });
    const cust = customerPicker({ value: doc.customerId ?? '', name: 'customerId' });
    const title = h('input', { name: 'title', value: doc.title ?? '' });
    const date = h('input', { name: 'docDate', type: 'date', value: doc.docDate ?? '' });
    const number = h('input', { name: 'number', value: doc.fields?.number ?? '' });
    const msg = h('p', { role: 'alert', class: 'error' });
    const preview = h('div', { class: 'preview' });
    const form = h(
      'form',
      {
        onsubmit: async (e) => {
          e.preventDefault();
          if (!type.value) {
            msg.textContent = t('review.typeRequired');
            type.setAttribute('aria-invalid', 'true');
            return type.focus();
          }
          type.removeAttribute('aria-invalid');
          const body = { type: type.value, title: title.value.trim() || undefined, docDate: date.value || null };
          if (cust.input.value.trim()) body.customerId = cust.input.value.trim();
          if (number.value.trim()) body.fields = { ...doc.fields, number: number.value.trim() };
          await resolve(body);
        },
      },
      h('div', { class: 'row' }, field(t('review.type'), type), field(t('review.customer'), cust.input), cust.datalist),
      h('div', { class: 'row' }, field(t('review.docTitle'), title), field(t('review.docDate'), date), field(t('review.number'), number)),
      msg,
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, t('review.confirm'))),
    );
    async function resolve(body) {
      msg.textContent = '';
      try {
        await api('POST', `/api/documents/${doc.id}/review`, { json: body });
        announce(t('review.resolved', { title: doc.title || doc.id }), 'ok');
        const idx = items.findIndex((d) => d.id === doc.id);
        await load(items[idx + 1]?.id);
      } catch (err) {
        msg.textContent = errorText(err);
      }
    }
    const dup = doc.nearDuplicateOf
      ? h(
          'div',
          { class: 'notice' },
          h('p', {}, t('review.nearDuplicate', { id: doc.nearDuplicateOf })),
          h(
            'div',
            { class: 'row' },
            h('button', { type: 'button', class: 'danger', onclick: () => resolve({ duplicate: 'discard' }) }, t('review.discard')),
            h('button', { type: 'button', onclick: () => resolve({ duplicate: 'keep' }) }, t('review.keep')),
          ),
        )
      : null;
    replace(
      detail,
      h('h2', {}, doc.title || doc.original?.name || doc.id),
      meta('p', classBadge(doc.class), typeName(doc.type), doc.original?.name ?? '', doc.pageCount ? t('common.pages', { n: doc.pageCount }) : ''),
      h('h3', {}, t('review.reasons')),
      h('ul', { id: 'review-reasons' }, reasonTexts(doc).map((r) => h('li', {}, r))),
      doc.suggestedType && !DOCUMENT_TYPES.includes(doc.type) ? h('p', { class: 'small muted', id: 'review-guess' }, t('review.guess', { type: typeName(doc.suggestedType) })) : null,
      doc.classification?.trace?.length
        ? h('details', {}, h('summary', {}, t('dossier.trace')), h('ol', { class: 'trace' }, doc.classification.trace.map((s) => h('li', {}, traceText(s)))))
        : null,
      dup,
      form,
      preview,
    );
    type.focus();
    // The mailroom may read the file of a document while it waits here (GET /api/documents/:id/file).
    if (doc.original) {
      replace(preview, h('p', { class: 'muted' }, t('common.loading')));
      try {
        const { blob } = await fetchBlob('GET', `/api/documents/${doc.id}/file`);
        if (current !== doc) return;
        previewUrl = URL.createObjectURL(blob);
        replace(preview, h('h3', {}, t('review.preview')), blob.type.startsWith('image/') ? h('img', { src: previewUrl, class: 'viewer-img', alt: t('review.previewAlt') }) : h('iframe', { src: previewUrl, class: 'viewer-frame', title: t('review.preview') }));
      } catch {
        replace(preview, h('p', { class: 'muted small' }, t('review.noPreview')));
      }
    }
  }

  await load(query.doc);
  return () => previewUrl && URL.revokeObjectURL(previewUrl);
}

