// Mailroom: inventory audits. Scan the place to count, then everything found there (a box or
// shelf code inside it says where the next items are); finish for the report of what is missing,
// misplaced or unexpected, and optionally correct the records.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, tKnown } from '../i18n.js';
import { scanField } from '../widgets.js';
import { announce, badge, errorText, fmtDateTime, header, table } from '../ui.js';

const KEY = 'dl-inventory-audit';

export async function render(main, { query, navigate }) {
  const station = h('div', { class: 'card', id: 'inv-station' });
  const report = h('div', { id: 'inv-report' });
  const log = h('ol', { class: 'scan-log', id: 'inv-log', 'aria-live': 'polite' });
  const disposers = [];
  main.append(header(t('inv.title'), t('inv.intro')), h('div', { class: 'split' }, h('div', {}, station, h('div', { class: 'card' }, h('h2', {}, t('scan.log')), log)), report));

  const line = (text, kind = '') => {
    log.prepend(h('li', { class: kind }, h('span', { class: 'muted small' }, new Date().toLocaleTimeString(), ' '), text));
    while (log.children.length > 100) log.lastChild.remove();
  };

  async function drawStart() {
    const field = scanField({
      label: t('inv.placeField'),
      id: 'inv-place',
      onScan: async (code) => {
        try {
          const a = await api('POST', '/api/tracking/audits', { json: { location: code.trim().toUpperCase() } });
          sessionStorage.setItem(KEY, a.id);
          announce(t('inv.started', { name: a.location.name }), 'ok');
          navigate('inventory', { id: a.id });
        } catch (err) {
          line(`${code}: ${errorText(err)}`, 'bad');
          announce(errorText(err), 'error');
        }
      },
    });
    disposers.push(field.dispose);
    replace(station, h('h2', {}, t('inv.start')), h('p', { class: 'muted' }, t('inv.startHelp')), field.el);
    field.input.focus();
  }

  async function drawAudit(id) {
    let a;
    try {
      a = await api('GET', `/api/tracking/audits/${encodeURIComponent(id)}`);
    } catch (err) {
      sessionStorage.removeItem(KEY);
      replace(station, h('p', { class: 'error', role: 'alert' }, errorText(err)));
      return;
    }
    const count = h('strong', { id: 'inv-scanned' }, String(a.scanned));
    const where = h('span', { id: 'inv-where' }, a.location.name);
    if (a.status === 'finished') {
      sessionStorage.removeItem(KEY);
      replace(station, h('h2', {}, a.location.name), h('p', { class: 'muted' }, a.location.path), h('p', {}, badge(t('inv.finished'), 'ok'), ' ', fmtDateTime(a.finishedAt)), h('button', { type: 'button', onclick: () => navigate('inventory', { new: '1' }) }, t('inv.another')));
      drawReport(a);
      return;
    }
    const field = scanField({
      label: t('inv.itemField'),
      id: 'inv-item',
      onScan: async (code) => {
        try {
          const r = await api('POST', `/api/tracking/audits/${a.id}/scans`, { json: { barcodes: [code.trim().toUpperCase()] } });
          count.textContent = String(r.scanned);
          for (const x of r.results) {
            if (x.status === 'place') where.textContent = x.place ?? x.barcode;
            line(x.status === 'rejected' ? `${x.barcode}: ${tKnown(`error.${x.code}`) ?? x.message}` : x.status === 'place' ? t('inv.nowIn', { place: x.place ?? x.barcode }) : t('inv.found', { code: x.barcode }), x.status === 'rejected' ? 'bad' : x.status === 'place' ? 'same' : '');
          }
        } catch (err) {
          line(`${code}: ${errorText(err)}`, 'bad');
        }
      },
    });
    disposers.push(field.dispose);
    const correct = h('input', { type: 'checkbox', id: 'inv-correct' });
    replace(
      station,
      h('h2', {}, t('inv.counting', { name: a.location.name })),
      h('p', { class: 'muted small' }, a.location.path),
      h('p', {}, t('inv.scannedSoFar'), ' ', count, ' · ', t('inv.currentPlace'), ' ', where),
      field.el,
      h('label', { class: 'choice' }, correct, t('inv.correct')),
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          id: 'inv-finish',
          onclick: async () => {
            try {
              const done = await api('POST', `/api/tracking/audits/${a.id}/finish`, { json: { correct: correct.checked } });
              announce(t('inv.done'), 'ok');
              sessionStorage.removeItem(KEY);
              drawReport(done);
              drawAudit(a.id);
            } catch (err) {
              announce(errorText(err), 'error');
            }
          },
        },
        t('inv.finish'),
      ),
    );
    field.input.focus();
  }

  function drawReport(a) {
    const r = a.report;
    if (!r) return replace(report);
    const list = (rows, key) =>
      h('section', { class: 'card', id: `inv-${key}` }, h('h3', {}, t(`inv.${key}`), ' ', badge(String(rows.length), rows.length ? (key === 'missing' ? 'bad' : 'warn') : 'ok')), rows.length ? table([{ label: t('common.barcode'), cell: (i) => h('code', {}, i.barcode) }, { label: t('common.document'), cell: (i) => i.title ?? '—' }, { label: t('inv.foundIn'), cell: (i) => i.foundIn ?? '—' }], rows) : h('p', { class: 'empty' }, t('common.none')));
    replace(report, h('div', { class: 'card' }, h('h2', {}, t('inv.report')), h('p', {}, t('inv.presentN', { n: r.present.length }))), list(r.missing, 'missing'), list(r.misplaced, 'misplaced'), list(r.unexpected, 'unexpected'), list(r.unknown, 'unknown'), r.corrections.length ? h('p', { class: 'notice ok' }, t('inv.corrected', { n: r.corrections.length })) : null);
  }

  const id = query.id ?? (query.new ? null : sessionStorage.getItem(KEY));
  if (id) await drawAudit(id);
  else await drawStart();
  return () => disposers.forEach((d) => d());
}
