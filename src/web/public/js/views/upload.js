// Mailroom: drop scans, watch each one upload (XHR progress) and go through OCR (polling).
import { api, session, upload } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t } from '../i18n.js';
import { loadSplit, splitParts } from '../splits.js';
import { announce, badge, classBadge, errorText, failureText, fmtBytes, header, may, statusBadge, typeName, typeOptions } from '../ui.js';

const ACCEPT = '.pdf,.png,.jpg,.jpeg,.tif,.tiff,application/pdf,image/png,image/jpeg,image/tiff,.xml,application/xml,text/xml';
const FINAL = new Set(['ready', 'needs_review', 'failed']);
const PARALLEL = 2;

// The batch lives as long as the browser tab, not the screen: leaving to open a result and
// coming back shows the same rows, and uploads and polling go on in the meantime.
const batch = { queue: [], rows: [], active: 0, list: null, summary: null, timers: new Set(), form: { customer: '', type: '' } };

export function render(main, { navigate }) {
  if (batch.userId !== session.me?.id) {
    // Another person signed in on this tab: their batch starts empty.
    Object.assign(batch, { queue: [], rows: [], list: null, summary: null, userId: session.me?.id });
  }
  const customer = h('input', { name: 'customerId', placeholder: 'KL-000123', autocomplete: 'off', pattern: '[A-Za-z0-9][A-Za-z0-9_-]*' });
  const type = select(typeOptions(t('upload.detect')), { name: 'type' });
  const input = h('input', { type: 'file', multiple: true, accept: ACCEPT, id: 'upload-files', class: 'visually-hidden' });
  const list = (batch.list ??= h('div', { class: 'uploads', 'aria-live': 'off' }));
  const summary = (batch.summary ??= h('p', { class: 'muted', id: 'upload-summary', 'aria-live': 'polite' }));
  customer.value = batch.form.customer;
  type.value = batch.form.type;
  customer.addEventListener('input', () => (batch.form.customer = customer.value));
  type.addEventListener('change', () => (batch.form.type = type.value));
  const drop = h(
    'div',
    { class: 'dropzone', id: 'dropzone' },
    h('p', { class: 'item-title' }, t('upload.dropHere')),
    h('p', { class: 'muted' }, t('upload.formats')),
    h('p', {}, h('label', { for: 'upload-files', class: 'button primary', tabindex: '0', id: 'choose-files' }, t('upload.choose'))),
    input,
  );
  const { queue, rows, timers } = batch;

  const pick = (files) => {
    const batch = [...files];
    if (!batch.length) return;
    for (const file of batch) {
      const row = makeRow(file);
      rows.push(row);
      list.prepend(row.el);
      queue.push(row);
    }
    announce(t('upload.queued', { n: batch.length }));
    pump();
  };

  function makeRow(file) {
    const bar = h('progress', { max: '1', value: '0', 'aria-label': t('upload.progressOf', { name: file.name }) });
    const state = h('span', {}, badge(t('upload.waiting'), 'neutral'));
    const detail = h('div', { class: 'detail' }, fmtBytes(file.size));
    const el = h('div', { class: 'upload-row', dataset: { state: 'waiting' } }, h('span', { class: 'name', title: file.name }, file.name), bar, state, detail);
    return { file, el, bar, state, detail, doc: null, status: 'waiting', customerId: customer.value.trim(), type: type.value };
  }

  function setState(row, status, extra) {
    row.status = status;
    row.el.dataset.state = status;
    const b = ['uploading', 'waiting'].includes(status) ? badge(t(`upload.${status}`), 'info') : status === 'rejected' ? badge(t('upload.rejected'), 'bad') : statusBadge(status);
    replace(row.state, b);
    if (extra !== undefined) replace(row.detail, extra);
    updateSummary();
  }

  function updateSummary() {
    const count = (s) => rows.filter((r) => r.status === s).length;
    summary.textContent = rows.length
      ? t('upload.summary', { total: rows.length, ready: count('ready'), review: count('needs_review'), failed: count('failed') + count('rejected'), busy: rows.length - count('ready') - count('needs_review') - count('failed') - count('rejected') })
      : '';
  }

  async function pump() {
    while (batch.active < PARALLEL && queue.length) {
      const row = queue.shift();
      batch.active++;
      send(row).finally(() => {
        batch.active--;
        pump();
      });
    }
  }

  async function send(row) {
    const form = new FormData();
    form.append('file', row.file, row.file.name);
    if (row.customerId) form.append('customerId', row.customerId);
    if (row.type) form.append('type', row.type);
    setState(row, 'uploading');
    try {
      const { status, body } = await upload('/api/documents', form, { onProgress: (p) => (row.bar.value = p) });
      row.bar.value = 1;
      row.doc = body;
      showDoc(row, status === 200 ? t('upload.duplicate') : '');
      if (!FINAL.has(body.status)) watch(row);
    } catch (err) {
      setState(row, 'rejected', h('span', { class: 'error' }, errorText(err)));
    }
  }

  function showDoc(row, note, progress) {
    const d = row.doc;
    const me = session.me;
    // Only links the role may open: the dossier is for CRM and compliance, the review queue for the mailroom.
    const canDossier = may(me, ['crm', 'compliance']);
    const name = d.title || d.original?.name || row.file.name;
    if (!FINAL.has(d.status)) {
      // Not final yet: type, customer and class are not decided, so they are not shown as if they were.
      const parts = [h('span', { class: 'stage' }, t(`upload.stage.${d.status}`))];
      if (progress?.total) parts.push(' · ', h('span', { class: 'page-progress' }, t('upload.pageProgress', { done: progress.done, total: progress.total })));
      parts.push(h('div', { class: 'muted progress-note' }, t('upload.stageNote')));
      setState(row, d.status, h('span', {}, parts));
      return;
    }
    // Everyone here may open the document page; only CRM and compliance the dossier.
    const title = canDossier && d.customerId ? h('a', { href: `#/dossier/${encodeURIComponent(d.customerId)}?doc=${d.id}` }, name) : h('a', { href: `#/document/${encodeURIComponent(d.id)}` }, name);
    const parts = [title, ' · ', typeName(d.type), ' · ', classBadge(d.class), d.customerId ? ` · ${d.customerId}` : ` · ${t('upload.noCustomer')}`, note ? ` · ${note}` : ''];
    if (d.status === 'needs_review' && may(me, ['mailroom'])) parts.push(' · ', h('a', { href: `#/review?doc=${d.id}` }, t('upload.toReview')));
    if (d.status === 'failed') parts.push(' · ', h('span', { class: 'error' }, failureText(d)));
    setState(row, d.status, h('span', {}, parts));
    if (may(me, ['mailroom'])) showSplit(row);
  }

  /** A stack split by barcodes: where its pages went, under its row (the mailroom may ask). */
  async function showSplit(row, removed = false) {
    const split = await loadSplit(row.doc.id);
    if (!split) return false;
    if (removed) setState(row, 'ready', h('span', {}, t('split.parts', { n: split.parts.length })));
    else row.detail.append(h('span', {}, ' · ', t('split.parts', { n: split.parts.length })));
    row.detail.append(splitParts(split, { currentId: removed ? null : row.doc.id }));
    row.el.dataset.split = String(split.parts.length);
    return true;
  }

  function watch(row) {
    let delay = 800;
    const tick = async () => {
      timers.delete(timer);
      try {
        row.doc = await api('GET', `/api/documents/${row.doc.id}`);
        showDoc(row, '', row.doc.status === 'processing' ? await pageProgress(row.doc.id) : null);
        if (FINAL.has(row.doc.status)) {
          announce(t('upload.done', { name: row.file.name, status: t(`status.${row.doc.status}`) }), row.doc.status === 'failed' ? 'error' : 'ok');
          return;
        }
      } catch (err) {
        // Every page of a stack went to other documents: the stack's own record is gone, its split says where.
        if (err.status === 404 && may(session.me, ['mailroom']) && (await showSplit(row, true))) return;
        replace(row.detail, h('span', { class: 'error' }, errorText(err)));
      }
      delay = Math.min(delay * 1.4, 5000);
      timer = setTimeout(tick, delay);
      timers.add(timer);
    };
    let timer = setTimeout(tick, delay);
    timers.add(timer);
  }

  input.addEventListener('change', () => {
    pick(input.files);
    input.value = '';
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    pick(e.dataTransfer.files);
  });
  drop.querySelector('label').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });

  main.append(
    header(t('upload.title'), t('upload.intro'), h('button', { type: 'button', onclick: () => navigate('jobs') }, t('nav.jobs'))),
    h(
      'div',
      { class: 'card' },
      h('div', { class: 'row' }, field(t('upload.customer'), customer, t('upload.customerHint')), field(t('upload.type'), type, t('upload.typeHint'))),
      drop,
      summary,
      list,
    ),
  );
  updateSummary();
}

/** Pages done of the running ingest job of a document, from the processing queue (null if unknown). */
async function pageProgress(documentId) {
  try {
    const r = await api('GET', '/api/jobs', { query: { status: 'running', kind: 'ingest', limit: 50 } });
    return r.jobs.find((j) => j.payload?.documentId === documentId)?.progress ?? null;
  } catch {
    return null;
  }
}
