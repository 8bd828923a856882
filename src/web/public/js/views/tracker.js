// Mailroom: the file tracker's scan station. A keyboard-wedge scanner types each code + Enter.
// Move/file/check in (place first, then items), check out to a person, work the pick list, look up.
import { api, ApiError } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { t } from '../i18n.js';
import { pdfPreview, scanField } from '../widgets.js';
import { announce, badge, errorText, fmtDate, fmtDateTime, header, isoDay, table, unavailable } from '../ui.js';

const MODES = ['move', 'checkout', 'picklist', 'lookup'];

export async function render(main, { query, navigate }) {
  let mode = MODES.includes(query.mode) ? query.mode : 'move';
  const station = h('div', { class: 'card', id: 'scan-station' });
  const side = h('div', { class: 'stack' });
  const log = h('ol', { class: 'scan-log', id: 'scan-log', 'aria-live': 'polite', 'aria-label': t('scan.log') });
  const disposers = [];
  // People look at the paper, not the screen: every scan gives a large green or red signal and a beep.
  const signal = h('div', { class: 'scan-signal', id: 'scan-signal', role: 'status', 'aria-live': 'assertive', hidden: true });
  let lastMove = null;
  const undoBtn = h('button', { type: 'button', id: 'scan-undo', disabled: true, onclick: () => undo() }, t('scan.undo'));
  const switcher = h(
    'div',
    { class: 'mode-switch', role: 'group', 'aria-label': t('scan.mode') },
    MODES.map((m) => h('button', { type: 'button', 'aria-pressed': String(m === mode), dataset: { mode: m }, onclick: () => navigate('tracker', { mode: m }) }, t(`scan.mode.${m}`))),
  );
  main.append(header(t('tracker.title'), t('tracker.intro')), switcher, signal, h('div', { class: mode === 'picklist' || mode === 'lookup' ? 'split wide' : 'split' }, h('div', {}, station, h('div', { class: 'card' }, h('h2', {}, t('scan.log')), log)), side));

  function flash(ok, text) {
    signal.hidden = false;
    signal.dataset.state = ok ? 'ok' : 'bad';
    replace(signal, h('strong', {}, ok ? t('scan.okSignal') : t('scan.badSignal')), ' ', h('span', {}, text));
    // Tests and people with the sound off can see whether a beep was played.
    signal.dataset.sound = beep(ok) ? (ok ? 'ok' : 'bad') : 'off';
  }

  /** One line in the scan log, newest first. */
  function logLine(text, kind = 'ok') {
    log.prepend(h('li', { class: kind === 'ok' ? '' : kind }, h('span', { class: 'muted small' }, new Date().toLocaleTimeString(), ' '), text));
    while (log.children.length > 50) log.lastChild.remove();
  }

  async function move(barcode, to, extra = {}) {
    try {
      const { undo: _undo, ...options } = extra;
      const r = await api('POST', '/api/tracking/scan', { json: { barcode, to, ...options } });
      const where = r.location?.kind === 'person' ? r.location.name : (r.location?.path ?? to);
      const text = r.moved
        ? t(`scan.kind.${r.kind ?? 'move'}`, { code: r.barcode, where }) + (r.carried ? ` ${t('scan.carried', { n: r.carried })}` : '') + (r.fulfilledRequests?.length ? ` ${t('scan.fulfilled', { n: r.fulfilledRequests.length })}` : '')
        : t('scan.already', { code: r.barcode, where });
      logLine(text, r.moved ? 'ok' : 'same');
      announce(text, 'ok');
      flash(true, text);
      if (r.moved && !extra.undo) {
        lastMove = { barcode: r.barcode, from: r.movement?.from ?? null };
        undoBtn.disabled = false;
      }
      return r;
    } catch (err) {
      const text = `${barcode}: ${errorText(err)}`;
      logLine(text, 'bad');
      announce(text, 'error');
      flash(false, text);
      if (err instanceof ApiError && err.unavailable) throw err;
      return null;
    }
  }

  /** Puts the last moved item back where it was before that scan. */
  async function undo() {
    if (!lastMove) return flash(false, t('scan.undoNothing'));
    const { barcode, from } = lastMove;
    if (!from) return flash(false, t('scan.undoCannot', { code: barcode }));
    let to;
    if (from.kind === 'person') to = `user:${from.id}`;
    else {
      const find = (nodes) => {
        for (const n of nodes) {
          if (n.id === from.id) return n.barcode;
          const f = find(n.children ?? []);
          if (f) return f;
        }
        return null;
      };
      try {
        to = find((await api('GET', '/api/locations')).locations);
      } catch (err) {
        return flash(false, errorText(err));
      }
      if (!to) return flash(false, t('scan.undoCannot', { code: barcode }));
    }
    const r = await move(barcode, to, { undo: true, ...(from.kind === 'person' ? { transfer: true } : {}) });
    if (r) {
      lastMove = null;
      undoBtn.disabled = true;
      const text = t('scan.undone', { code: barcode, where: from.path });
      logLine(text, 'same');
      flash(true, text);
    }
  }

  // ---- move / file / check in ----
  function drawMove() {
    let dest = null; // { barcode, name, path, kind }
    const destShow = h('div', { class: 'scan-state', id: 'scan-dest' });
    const showDest = () =>
      replace(
        destShow,
        dest
          ? [h('div', {}, t('scan.destination'), ': ', h('strong', { class: 'dest-name' }, t('scan.destIs', { name: dest.name, kind: t(`loc.${dest.kind}`) })), ' ', h('code', {}, dest.barcode)), h('div', { class: 'muted small dest-path' }, dest.path)]
          : h('span', { class: 'muted' }, t('scan.noDestination')),
      );
    // Only a location, box or folder can take paper: a document code is refused before it is used.
    const setDest = async (code) => {
      const c = code.trim().toUpperCase();
      if (!/^[LC]/.test(c)) {
        const text = t('scan.destNotPlace', { code: c });
        logLine(text, 'bad');
        announce(text, 'error');
        flash(false, text);
        return item.input.focus();
      }
      try {
        const loc = await api('GET', `/api/locations/${encodeURIComponent(c)}`);
        dest = { barcode: loc.barcode, name: loc.name, path: loc.path, kind: loc.kind };
      } catch (err) {
        const text = err instanceof ApiError && err.status === 404 ? t('scan.destUnknown', { code: c }) : `${c}: ${errorText(err)}`;
        logLine(text, 'bad');
        announce(text, 'error');
        flash(false, text);
        return item.input.focus();
      }
      sessionStorage.setItem('dl-scan-dest', dest.barcode);
      showDest();
      const text = t('scan.destSet', { code: `${dest.name} (${dest.barcode})` });
      logLine(text, 'same');
      flash(true, text);
      item.input.focus();
    };
    const destField = scanField({ label: t('scan.destField'), id: 'scan-dest-input', onScan: setDest });
    const item = scanField({
      label: t('scan.itemField'),
      id: 'scan-item',
      onScan: async (code) => {
        const c = code.trim().toUpperCase();
        // Fixed places (L codes) are never carried around: scanning one picks the destination.
        if (c.startsWith('L') || !dest) return setDest(c);
        await move(c, dest.barcode);
      },
    });
    destField.dispose(); // only the item field listens for stray scanner input
    disposers.push(item.dispose);
    showDest();
    replace(station, h('h2', {}, t('scan.mode.move')), h('p', { class: 'muted' }, t('scan.moveHelp')), destField.el, destShow, item.el, h('div', { class: 'row' }, undoBtn));
    const saved = sessionStorage.getItem('dl-scan-dest');
    if (saved) setDest(saved);
    else destField.input.focus();
  }

  // ---- check out to a person ----
  async function drawCheckout() {
    const people = new Map();
    try {
      const r = await api('GET', '/api/requests', { query: { status: 'open' } });
      for (const q of r.requests) people.set(q.requestedBy.id, q.requestedBy.name);
    } catch {
      /* requests are optional here */
    }
    try {
      const r = await api('GET', '/api/users/directory');
      for (const u of r.users) people.set(u.id, u.name);
    } catch {
      /* the directory is optional: an id can be typed */
    }
    const who = h('input', { id: 'checkout-user', list: 'checkout-users', autocomplete: 'off', placeholder: 'usr_…', spellcheck: 'false' });
    const dl = h('datalist', { id: 'checkout-users' }, [...people].map(([id, name]) => h('option', { value: id }, name)));
    const due = h('input', { type: 'date', id: 'checkout-due', value: isoDay(14), min: isoDay(0) });
    const transfer = h('input', { type: 'checkbox', id: 'checkout-transfer' });
    const item = scanField({
      label: t('scan.itemField'),
      id: 'scan-item',
      onScan: async (code) => {
        const u = who.value.trim();
        if (!u) {
          logLine(t('scan.noPerson'), 'bad');
          return who.focus();
        }
        await move(code, `user:${u}`, { dueBackOn: due.value || undefined, transfer: transfer.checked || undefined });
      },
    });
    disposers.push(item.dispose);
    replace(
      station,
      h('h2', {}, t('scan.mode.checkout')),
      h('p', { class: 'muted' }, t('scan.checkoutHelp')),
      h('div', { class: 'row' }, field(t('scan.person'), who, t('scan.personHint')), dl, field(t('scan.dueBack'), due)),
      h('label', { class: 'choice' }, transfer, t('scan.transfer')),
      item.el,
    );
    who.focus();
  }

  // ---- pick list ----
  async function drawPicklist() {
    const pdf = pdfPreview();
    let list;
    try {
      list = await api('GET', '/api/requests/pick-list');
    } catch (err) {
      return replace(station, h('h2', {}, t('scan.mode.picklist')), err instanceof ApiError && err.unavailable ? unavailable() : h('p', { class: 'error' }, errorText(err)));
    }
    const done = new Set();
    const body = h('div', {});
    const draw = () =>
      replace(
        body,
        table(
          [
            { label: '✓', cell: (i) => (done.has(i.barcode) ? badge(t('scan.picked'), 'ok') : '') },
            { label: t('common.barcode'), cell: (i) => h('code', {}, i.barcode) },
            { label: t('common.document'), cell: (i) => [i.title, h('div', { class: 'muted small' }, [i.customerName, i.customerId].filter(Boolean).join(' · '))] },
            { label: t('scan.where'), cell: (i) => (!i.location ? t('scan.notFiled') : i.location.kind === 'person' ? t('dossier.withPerson', { name: i.location.name, date: fmtDate(i.location.dueBackOn) }) : i.location.path) },
            { label: t('scan.for'), cell: (i) => [i.requestedBy.name, i.neededBy ? h('div', { class: 'muted small' }, t('scan.neededBy', { date: fmtDate(i.neededBy) })) : null] },
            { label: t('scan.available'), cell: (i) => (i.available ? badge(t('common.yes'), 'ok') : badge(t('scan.out'), 'warn')) },
          ],
          list.items,
          { empty: t('scan.pickEmpty'), rowAttrs: (i) => ({ class: done.has(i.barcode) ? 'pick-done' : '', dataset: { barcode: i.barcode } }) },
        ),
      );
    const item = scanField({
      label: t('scan.pickField'),
      id: 'scan-item',
      onScan: async (code) => {
        const c = code.trim().toUpperCase();
        const row = list.items.find((i) => i.barcode === c);
        if (!row) return logLine(t('scan.notOnList', { code: c }), 'bad');
        const r = await move(c, `user:${row.requestedBy.id}`);
        if (r) {
          done.add(c);
          draw();
        }
      },
    });
    disposers.push(item.dispose);
    draw();
    replace(
      station,
      h('h2', {}, t('scan.mode.picklist'), ' ', badge(String(list.count), 'info')),
      h('p', { class: 'muted' }, t('scan.pickHelp')),
      item.el,
      body,
      h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => pdf.show('GET', '/api/requests/pick-list.pdf', { title: t('scan.pickPdf') }) }, t('scan.pickPdf'))),
      pdf.el,
    );
    item.input.focus();
  }

  // ---- look up ----
  function drawLookup() {
    const out = h('div', { id: 'lookup-result' });
    const item = scanField({
      label: t('scan.lookupField'),
      id: 'scan-item',
      onScan: async (code) => {
        try {
          const r = await api('GET', `/api/tracking/items/${encodeURIComponent(code.trim())}`);
          replace(
            out,
            h('h3', {}, h('code', {}, r.barcode), ' ', r.title),
            h('dl', { class: 'kv' }, h('dt', {}, t('scan.where')), h('dd', {}, r.location ? r.location.path : t('scan.notFiled')), r.location?.dueBackOn ? [h('dt', {}, t('scan.dueBack')), h('dd', {}, fmtDate(r.location.dueBackOn))] : null, h('dt', {}, t('common.customer')), h('dd', {}, r.restricted ? badge(t('customers.restricted'), 'warn') : (r.customerId ?? '—'))),
            h('h3', {}, t('scan.history')),
            table(
              [
                { label: t('common.when'), cell: (m) => fmtDateTime(m.at) },
                { label: t('scan.what'), cell: (m) => t(`scan.hkind.${m.kind}`) },
                { label: t('scan.from'), cell: (m) => m.from?.path ?? '—' },
                { label: t('scan.to'), cell: (m) => m.to?.path ?? '—' },
                { label: t('common.by'), cell: (m) => m.actor.name },
              ],
              [...r.history].reverse(),
            ),
          );
        } catch (err) {
          replace(out, h('p', { class: 'error', role: 'alert' }, `${code}: ${errorText(err)}`));
        }
      },
    });
    disposers.push(item.dispose);
    replace(station, h('h2', {}, t('scan.mode.lookup')), item.el, out);
    item.input.focus();
  }

  // ---- side: places and overdue paper ----
  async function drawSide() {
    const pdf = pdfPreview();
    const tree = h('div', {});
    const overdue = h('div', {});
    replace(side, h('div', { class: 'card' }, h('h2', {}, t('tracker.places')), tree, pdf.el), h('div', { class: 'card' }, h('h2', {}, t('tracker.overdue')), overdue));
    try {
      const r = await api('GET', '/api/locations');
      const node = (n) =>
        h(
          'li',
          {},
          h('code', {}, n.barcode),
          ' ',
          n.name,
          ' ',
          h('span', { class: 'muted small' }, t(`loc.${n.kind}`), n.documents ? ` · ${t('tracker.docs', { n: n.documents })}` : ''),
          n.holder ? [' ', badge(t('tracker.withHolder', { name: n.holder.name }), 'warn')] : null,
          h('button', { type: 'button', class: 'ghost', title: t('tracker.printLabel'), 'aria-label': t('tracker.printLabelFor', { name: n.name }), onclick: () => pdf.show('GET', `/api/locations/${n.barcode}/label.pdf`, { title: n.name }) }, t('tracker.label')),
          n.children.length ? h('ul', { class: 'tree' }, n.children.map(node)) : null,
        );
      replace(tree, r.locations.length ? h('ul', { class: 'tree root' }, r.locations.map(node)) : h('p', { class: 'empty' }, t('common.none')));
    } catch (err) {
      replace(tree, err instanceof ApiError && err.unavailable ? unavailable() : h('p', { class: 'error' }, errorText(err)));
    }
    try {
      const r = await api('GET', '/api/tracking/overdue');
      replace(
        overdue,
        table(
          [
            { label: t('common.barcode'), cell: (i) => h('code', {}, i.barcode) },
            { label: t('common.document'), cell: (i) => i.title },
            { label: t('scan.holder'), cell: (i) => i.holder.name },
            { label: t('tracker.daysOverdue'), class: 'num', cell: (i) => String(i.daysOverdue) },
          ],
          r.items,
          { empty: t('tracker.noneOverdue') },
        ),
      );
    } catch (err) {
      replace(overdue, err instanceof ApiError && err.unavailable ? unavailable() : h('p', { class: 'error' }, errorText(err)));
    }
  }

  if (mode === 'move') drawMove();
  else if (mode === 'checkout') await drawCheckout();
  else if (mode === 'picklist') await drawPicklist();
  else drawLookup();
  drawSide();
  return () => disposers.forEach((d) => d());
}

let audio = null;
/** A short beep: high for a good scan, low and longer for a refused one (WebAudio, no sound file). */
function beep(ok) {
  if (localStorage.getItem('dl-scan-sound') === 'off') return false;
  try {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = ok ? 'sine' : 'square';
    osc.frequency.value = ok ? 880 : 220;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    const now = audio.currentTime;
    osc.start(now);
    osc.stop(now + (ok ? 0.12 : 0.4));
    return true;
  } catch {
    return false; // no audio device: the visual signal still shows
  }
}
