// Reusable controls: customer lookup, keyboard-wedge scan field, authenticated PDF preview.
import { api, fetchBlob } from './api.js';
import { debounce, h, openBlob, replace } from './dom.js';
import { t } from './i18n.js';
import { errorText } from './ui.js';

let pickerSeq = 0;
/** A text input with suggestions from GET /api/customers?q= (number, name, KvK, postcode). */
export function customerPicker({ value = '', name = 'customerId', required = false } = {}) {
  const listId = `customers-${++pickerSeq}`;
  const input = h('input', { name, value, list: listId, autocomplete: 'off', placeholder: 'KL-000123', required, spellcheck: 'false' });
  const datalist = h('datalist', { id: listId });
  const suggest = debounce(async () => {
    const q = input.value.trim();
    if (q.length < 2) return;
    try {
      const r = await api('GET', '/api/customers', { query: { q, limit: 8 } });
      replace(datalist, r.customers.map((c) => h('option', { value: c.id }, `${c.name} · ${c.city ?? ''}`)));
    } catch {
      /* suggestions are a convenience */
    }
  }, 200);
  input.addEventListener('input', suggest);
  return { input, datalist };
}

/**
 * A scan field for a keyboard-wedge barcode scanner: the scanner types the code fast and ends
 * with Enter. Calls onScan(code) per code, clears itself and keeps focus for the next scan.
 * Keys typed fast while focus is elsewhere on the page (not in another field) are caught too,
 * so a scan is never lost because someone clicked a button.
 */
export function scanField({ label, onScan, id, placeholder }) {
  const input = h('input', { id, class: 'scan-input', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters', placeholder: placeholder ?? t('scan.placeholder'), enterkeyhint: 'go' });
  let busy = Promise.resolve();
  const submit = (code) => {
    code = code.trim();
    if (!code) return;
    busy = busy.then(() => onScan(code)).catch(() => undefined);
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const code = input.value;
      input.value = '';
      submit(code);
    }
  });
  // Stray fast typing (a scanner) while nothing editable has focus.
  let buf = '';
  let last = 0;
  const onKey = (e) => {
    const tgt = e.target;
    if (tgt === input || tgt.closest?.('input, textarea, select, [contenteditable]') || e.ctrlKey || e.metaKey || e.altKey) return;
    const now = performance.now();
    if (now - last > 150) buf = ''; // a scanner types far faster than a person
    last = now;
    if (e.key === 'Enter') {
      if (buf.length >= 4) {
        e.preventDefault();
        submit(buf);
        input.focus();
      }
      buf = '';
    } else if (e.key.length === 1) buf += e.key;
  };
  document.addEventListener('keydown', onKey, true);
  const el = h('div', { class: 'field' }, h('label', { for: input.id || (input.id = `scan-${++pickerSeq}`) }, label), input);
  return { el, input, dispose: () => document.removeEventListener('keydown', onKey, true), wait: () => busy };
}

/**
 * Fetches a PDF (with the token) and shows it in an <iframe> through a blob: URL, with an
 * "open to print" button. Returns the element; its object URL is revoked when replaced.
 */
export function pdfPreview() {
  const el = h('div', { class: 'pdf-preview' });
  let url = null;
  return {
    el,
    async show(method, path, opts = {}) {
      replace(el, h('p', { class: 'muted' }, t('common.loading')));
      try {
        const { blob, headers } = await fetchBlob(method, path, opts);
        if (url) URL.revokeObjectURL(url);
        url = URL.createObjectURL(blob);
        replace(
          el,
          h('div', { class: 'row' }, h('button', { type: 'button', class: 'primary open-print', onclick: () => openBlob(blob) }, opts.openLabel ?? t('common.openPrint')), opts.note ? h('span', { class: 'muted' }, opts.note(headers)) : null),
          h('iframe', { src: url, class: 'viewer-frame', title: opts.title ?? 'PDF', style: 'height: 22rem; min-height: 0' }),
        );
        return { blob, headers };
      } catch (err) {
        replace(el, h('p', { class: 'error', role: 'alert' }, errorText(err)));
        return null;
      }
    },
    clear() {
      if (url) URL.revokeObjectURL(url);
      url = null;
      replace(el);
    },
  };
}
