// One document on its own: the preview beside its fields. CRM users correct type, title,
// customer and class afterwards (PATCH /api/documents/:id, audited); others read.
import { api, fetchBlob } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t } from '../i18n.js';
import { customerPicker } from '../widgets.js';
import { loadSplit, splitParts, splitSummary } from '../splits.js';
import { announce, classBadge, dataText, errorText, failureText, fmtDate, fmtPeriod, header, may, meta, statusBadge, traceText, typeName, typeOptions } from '../ui.js';

export async function render(main, { args, me }) {
  const id = args[0] ?? '';
  let objectUrl = null;
  const d = await api('GET', `/api/documents/${encodeURIComponent(id)}`);
  const canEdit = may(me, ['crm']);
  const canReadFile = may(me, ['crm', 'compliance']);

  const preview = h('section', { class: 'card doc-preview', id: 'doc-preview', 'aria-label': t('review.preview') }, h('p', { class: 'muted' }, t('common.loading')));
  const msg = h('p', { class: 'error', role: 'alert', id: 'doc-edit-msg' });
  const type = select(typeOptions(), { name: 'type', id: 'doc-type', value: d.type });
  const title = h('input', { name: 'title', id: 'doc-title-input', value: d.title ?? '', maxlength: '300' });
  const cust = customerPicker({ value: d.customerId ?? '', name: 'customerId' });
  cust.input.id = 'doc-customer';
  const cls = select([['', t('doc.classByRules')], ['dynamic', t('class.dynamic')], ['static', t('class.static')]], { name: 'class', id: 'doc-class' });
  const facts = h('div', { id: 'doc-facts' });

  function drawFacts(doc) {
    const r = doc.retention;
    replace(
      facts,
      meta('p', classBadge(doc.class), typeName(doc.type), doc.status !== 'ready' ? statusBadge(doc.status) : null, doc.barcode ? h('code', {}, doc.barcode) : null),
      doc.status === 'failed' ? h('p', { class: 'notice error', role: 'alert', id: 'doc-failure' }, failureText(doc)) : null,
      h(
        'dl',
        { class: 'kv' },
        h('dt', {}, t('common.customer')), h('dd', {}, doc.customerId ? (may(me, ['crm', 'compliance']) ? h('a', { href: `#/dossier/${encodeURIComponent(doc.customerId)}?doc=${doc.id}` }, doc.customerId) : doc.customerId) : t('upload.noCustomer')),
        h('dt', {}, t('paper.docDate')), h('dd', {}, fmtDate(doc.docDate)),
        h('dt', {}, t('retention.legalBasis')), h('dd', {}, dataText(r.legalBasis)),
        h('dt', {}, t('retention.period')), h('dd', {}, `${fmtPeriod(r.period)} · ${fmtDate(r.endsOn)}`),
      ),
      h('details', {}, h('summary', {}, t('dossier.trace')), h('ol', { class: 'trace', id: 'trace' }, doc.classification.trace.map((s) => h('li', {}, traceText(s))))),
    );
  }

  const form = canEdit
    ? h(
        'form',
        {
          id: 'doc-edit',
          class: 'card',
          onsubmit: async (e) => {
            e.preventDefault();
            msg.textContent = '';
            const body = {};
            if (type.value !== d.type) body.type = type.value;
            if (title.value.trim() && title.value.trim() !== d.title) body.title = title.value.trim();
            if (cust.input.value.trim() && cust.input.value.trim() !== d.customerId) body.customerId = cust.input.value.trim();
            if (cls.value && cls.value !== d.class) body.class = cls.value;
            if (!Object.keys(body).length) return (msg.textContent = t('doc.nothingChanged'));
            try {
              const fresh = await api('PATCH', `/api/documents/${d.id}`, { json: body });
              Object.assign(d, fresh);
              drawFacts(fresh);
              announce(t('doc.saved'), 'ok');
            } catch (err) {
              msg.textContent = errorText(err);
            }
          },
        },
        h('h2', {}, t('doc.correct')),
        h('p', { class: 'small muted' }, t('doc.correctIntro')),
        field(t('common.type'), type),
        field(t('paper.docTitle'), title),
        field(t('common.customer'), cust.input),
        cust.datalist,
        field(t('dossier.class'), cls, t('doc.classHint')),
        msg,
        h('button', { type: 'submit', class: 'primary', id: 'doc-save' }, t('doc.save')),
      )
    : null;

  main.append(
    header(d.title || typeName(d.type), null, h('a', { class: 'button', href: '#/documents' }, t('doc.back'))),
    h('div', { class: 'doc-detail' }, preview, h('div', { class: 'stack' }, h('div', { class: 'card' }, facts), form)),
  );
  drawFacts(d);
  // A stack split by barcodes: the mailroom sees where its other pages went.
  const split = may(me, ['mailroom']) ? await loadSplit(d.id) : null;
  if (split) main.querySelector('.doc-detail .stack')?.append(h('section', { class: 'card', id: 'doc-split' }, h('h2', {}, t('split.title')), h('p', { class: 'small muted' }, splitSummary(split)), splitParts(split, { currentId: d.id })));

  // The preview: the file for roles that may read it, else the first-page thumbnail.
  try {
    const path = canReadFile && d.original ? `/api/documents/${d.id}/file` : `/api/documents/${d.id}/thumbnail`;
    const { blob } = await fetchBlob('GET', path, canReadFile && d.original ? { query: { variant: d.hasArchive ? 'archive' : 'original' } } : {});
    objectUrl = URL.createObjectURL(blob);
    const isImage = blob.type.startsWith('image/') && blob.type !== 'image/tiff';
    replace(preview, isImage ? h('img', { src: objectUrl, class: 'viewer-img', alt: t('review.previewAlt') }) : h('iframe', { src: objectUrl, class: 'viewer-frame', id: 'doc-frame', title: t('dossier.viewerTitle', { title: d.title }) }));
  } catch {
    replace(preview, h('p', { class: 'empty' }, d.barcode && !d.original ? t('ov.paper') : t('ov.noPreview')));
  }
  return () => objectUrl && URL.revokeObjectURL(objectUrl);
}
