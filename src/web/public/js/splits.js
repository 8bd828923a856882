// Where a split stack's pages went (GET /api/intake/splits/:id), shown in the upload list and on
// the document page for the mailroom. Each part links where it can be opened.
import { api } from './api.js';
import { h } from './dom.js';
import { t, tKnown } from './i18n.js';
import { typeName } from './ui.js';

/** The split record of a document, or null when it was not split (or the role may not see it). */
export async function loadSplit(documentId) {
  try {
    const s = await api('GET', `/api/intake/splits/${encodeURIComponent(documentId)}`);
    return s.split ? s : null;
  } catch {
    return null; // a convenience: the document itself is shown either way
  }
}

const pagesText = (pages) => (pages.length === 1 ? t('split.page', { p: pages[0] }) : t('split.pages', { from: pages[0], to: pages[pages.length - 1], n: pages.length }));

/** A list of the parts, one line each: kind, pages, customer and type, and a link. */
export function splitParts(split, { currentId } = {}) {
  return h(
    'ol',
    { class: 'split-parts', dataset: { documentId: split.documentId } },
    split.parts.map((p) => {
      const id = p.documentId ?? p.duplicateOf;
      const label = tKnown(`split.kind.${p.kind}`) ?? p.kind;
      const target =
        id && id !== currentId
          ? h('a', { href: `#/document/${encodeURIComponent(id)}`, class: 'split-part-link' }, t('split.open'))
          : id
            ? h('span', { class: 'muted' }, t('split.thisDocument'))
            : p.batchId
              ? h('a', { href: '#/coupons', class: 'split-part-link' }, t('split.couponBatch'))
              : null;
      return h(
        'li',
        { class: 'split-part', dataset: { kind: p.kind, documentId: id ?? '' } },
        h('strong', {}, `${label} · ${pagesText(p.pages)}`),
        p.customerId ? ` · ${p.customerId}` : '',
        p.restricted ? [' · ', h('span', { class: 'badge warn' }, t('customers.restricted'))] : '',
        p.type ? ` · ${typeName(p.type)}` : '',
        p.duplicateOf ? ` · ${t('upload.duplicate')}` : '',
        p.note ? h('span', { class: 'muted' }, ` · ${p.note}`) : '',
        target ? [' · ', target] : '',
      );
    }),
  );
}

/** One sentence: the stack of N pages and its sheets went into these parts. */
export function splitSummary(split) {
  return t('split.summary', { pages: split.stack?.pages ?? 0, sheets: split.stack?.sheets ?? 0, n: split.parts.length });
}
