// Small DOM helpers. Everything user- or server-supplied goes in as text (textContent),
// never through innerHTML; the one exception is safeSnippet() below, which keeps only <mark>.

/**
 * Builds an element. Attributes starting with "on" become listeners; `class`, `for`, `text`,
 * `dataset` and boolean attributes are handled; children may be nodes, strings or arrays.
 * @example h('button', { class: 'primary', onclick: save }, 'Opslaan')
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    // Through the CSSOM: a style attribute would be inline style, which the CSP refuses.
    else if (k === 'style') el.style.cssText = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Empties a node and puts new children in. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/**
 * Turns a server snippet (HTML-escaped text with <mark> around hits) into nodes, keeping only
 * text and <mark>. Parsed in an inert <template>, so nothing in it can run.
 */
export function safeSnippet(html) {
  const tpl = document.createElement('template');
  tpl.innerHTML = String(html ?? '');
  const out = document.createDocumentFragment();
  const walk = (node, into) => {
    for (const n of node.childNodes) {
      if (n.nodeType === Node.TEXT_NODE) into.append(document.createTextNode(n.textContent));
      else if (n.nodeType === Node.ELEMENT_NODE) {
        if (n.tagName === 'MARK') {
          const m = document.createElement('mark');
          walk(n, m);
          into.append(m);
        } else walk(n, into);
      }
    }
  };
  walk(tpl.content, out);
  return out;
}

/**
 * Text with the given terms wrapped in <mark>, built as nodes (case- and accent-insensitive
 * enough for search terms; words shorter than 2 letters are ignored).
 */
export function highlight(text, terms) {
  const frag = document.createDocumentFragment();
  const words = [...new Set(terms.map((w) => w.replace(/[*"()]/g, '').trim()).filter((w) => w.length >= 2 && !/^(OR|AND|NOT)$/.test(w)))];
  if (!words.length) {
    frag.append(document.createTextNode(text));
    return { frag, count: 0 };
  }
  const re = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'giu');
  let last = 0;
  let count = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) frag.append(document.createTextNode(text.slice(last, m.index)));
    const mark = document.createElement('mark');
    mark.textContent = m[0];
    frag.append(mark);
    last = m.index + m[0].length;
    count++;
  }
  if (last < text.length) frag.append(document.createTextNode(text.slice(last)));
  return { frag, count };
}

/** Search terms of a query: words and phrases, without operators or excluded (-) words. */
export function queryTerms(q) {
  const terms = [];
  for (const m of String(q ?? '').matchAll(/"([^"]+)"|(\S+)/g)) {
    if (m[1]) terms.push(m[1]);
    else if (!m[2].startsWith('-')) terms.push(m[2].replace(/\*$/, ''));
  }
  return terms;
}

/** A labelled form field: <div class="field"><label for>…</label><input id>…</div>. */
let fieldSeq = 0;
export function field(label, control, hint) {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  const hintEl = hint ? h('small', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/** A <select> of [value, label] pairs. */
export function select(options, attrs = {}) {
  const s = h('select', attrs);
  for (const [value, label] of options) s.append(h('option', { value }, label));
  if (attrs.value !== undefined) s.value = attrs.value;
  return s;
}

/** Debounce for search-as-you-type. */
export function debounce(fn, ms = 250) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Opens a blob in a new tab (for printing) and revokes the URL later. */
export function openBlob(blob) {
  const url = URL.createObjectURL(blob);
  window.open(url, '_blank', 'noopener');
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Offers a blob as a download with a file name. */
export function downloadBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
