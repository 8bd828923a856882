// Compliance: the compliance report with charts (inline SVG): volumes per type and class,
// paper versus digital, disposals over time, retention per schedule, and the audit chain.
import { api, ApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { columns, legend, stackedBars } from '../charts.js';
import { t } from '../i18n.js';
import { pdfPreview } from '../widgets.js';
import { badge, errorText, fmtDate, fmtPeriod, header, table, typeName, unavailable } from '../ui.js';

const DYN = '#00646e';
const STAT = '#a0642a';
const DIGI = '#0b4f8a';
const PAPER = '#c98a2b';

export async function render(main) {
  const pdf = pdfPreview();
  main.append(header(t('report.title'), t('report.intro'), h('button', { type: 'button', id: 'report-pdf', onclick: () => pdf.show('GET', '/api/compliance/report.pdf', { title: t('report.title') }) }, t('report.pdf'))), pdf.el);
  let r;
  try {
    r = await api('GET', '/api/compliance/report');
  } catch (err) {
    main.append(err instanceof ApiError && err.unavailable ? unavailable() : h('p', { class: 'error', role: 'alert' }, errorText(err)));
    return;
  }
  // Disposals over time: the report gives totals, the list gives dates; count items per month.
  let disposals = [];
  try {
    disposals = (await api('GET', '/api/disposals', { query: { limit: 500 } })).disposals;
  } catch {
    /* the chart then stays empty */
  }
  const months = lastMonths(12);
  const perMonth = (pick) => months.map((m) => disposals.filter((d) => (d.completedAt ?? d.executedAt ?? '').startsWith(m.key)).reduce((a, d) => a + pick(d), 0));

  const kpi = (n, label, tone) => h('div', { class: 'kpi' }, h('div', { class: 'n' }, String(n)), h('div', { class: 'l' }, label), tone ? badge(tone[0], tone[1]) : null);
  const byType = [...r.documents.byType].sort((a, b) => b.total - a.total);
  main.append(
    h(
      'div',
      { class: 'kpis', id: 'report-kpis' },
      kpi(r.documents.total, t('report.documents')),
      kpi(r.retention.overdue, t('report.overdue'), r.retention.overdue ? [t('report.act'), 'bad'] : null),
      kpi(r.retention.dueSoon, t('report.dueSoon', { date: fmtDate(r.retention.dueSoonUntil) })),
      kpi(r.holds.active, t('report.holds')),
      kpi(r.disposals.paperAwaitingShredding, t('report.awaitingShred')),
      h('div', { class: 'kpi' }, h('div', { class: 'n' }, r.auditLog.ok ? '✓' : '✗'), h('div', { class: 'l' }, t('report.chain', { n: r.auditLog.checked })), badge(r.auditLog.ok ? t('report.intact') : t('report.broken'), r.auditLog.ok ? 'ok' : 'bad')),
    ),
    h(
      'div',
      { class: 'grid charts', style: 'margin-top:1rem' },
      h(
        'figure',
        { class: 'card', id: 'chart-class' },
        h('h2', {}, t('report.byTypeClass')),
        stackedBars({ title: t('report.byTypeClass'), rows: byType.map((x) => ({ label: typeName(x.type), values: [x.dynamic, x.static] })), series: [{ label: t('class.dynamic'), color: DYN }, { label: t('class.static'), color: STAT }] }),
        legend([{ label: t('class.dynamic'), color: DYN }, { label: t('class.static'), color: STAT }]),
      ),
      h(
        'figure',
        { class: 'card', id: 'chart-medium' },
        h('h2', {}, t('report.byTypeMedium')),
        stackedBars({ title: t('report.byTypeMedium'), rows: byType.map((x) => ({ label: typeName(x.type), values: [x.digital, x.paper] })), series: [{ label: t('ret.digital'), color: DIGI }, { label: t('ret.paper'), color: PAPER }] }),
        legend([{ label: t('ret.digital'), color: DIGI }, { label: t('ret.paper'), color: PAPER }]),
      ),
      h(
        'figure',
        { class: 'card', id: 'chart-disposals' },
        h('h2', {}, t('report.disposalsOverTime')),
        columns({
          title: t('report.disposalsOverTime'),
          labels: months.map((m) => m.label),
          series: [
            { label: t('ret.item.destroyed'), color: '#a3162b', values: perMonth((d) => d.counts.destroyed) },
            { label: t('ret.item.transferred'), color: DIGI, values: perMonth((d) => d.counts.transferred) },
            { label: t('ret.item.extended'), color: '#7a8895', values: perMonth((d) => d.counts.extended) },
          ],
        }),
        legend([{ label: t('ret.item.destroyed'), color: '#a3162b' }, { label: t('ret.item.transferred'), color: DIGI }, { label: t('ret.item.extended'), color: '#7a8895' }]),
        h('p', { class: 'small muted' }, t('report.disposalsNote', { n: disposals.length })),
      ),
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, t('report.schedules')),
      table(
        [
          { label: t('report.schedule'), cell: (s) => s.schedule.split(', ').map(typeName).join(', ') },
          { label: t('retention.legalBasis'), cell: (s) => h('span', { class: 'small' }, s.legalBasis) },
          { label: t('retention.period'), cell: (s) => fmtPeriod(s.period) },
          { label: t('retention.disposition'), cell: (s) => t(`disposition.${s.disposition}`) },
          { label: t('report.n'), class: 'num', cell: (s) => String(s.n) },
          { label: t('report.overdue'), class: 'num', cell: (s) => (s.overdue ? badge(String(s.overdue), 'bad') : '0') },
          { label: t('report.openEnded'), class: 'num', cell: (s) => String(s.openEnded) },
          { label: t('report.held'), class: 'num', cell: (s) => String(s.held) },
        ],
        r.documents.bySchedule,
      ),
    ),
    h(
      'div',
      { class: 'grid' },
      h(
        'div',
        { class: 'card' },
        h('h2', {}, t('report.oldestOverdue')),
        table(
          [
            { label: t('common.document'), cell: (x) => h('a', { href: `#/dossier/${encodeURIComponent(x.customerId ?? '')}?doc=${x.documentId}` }, `${typeName(x.type)} ${x.barcode ?? ''}`) },
            { label: t('common.customer'), cell: (x) => x.customerId ?? '—' },
            { label: t('ret.endedOn'), cell: (x) => fmtDate(x.endedOn) },
          ],
          r.retention.oldestOverdue,
          { empty: t('report.noneOverdue') },
        ),
        h('p', {}, h('a', { href: '#/retention?tab=due' }, t('report.toDue'))),
      ),
      h(
        'div',
        { class: 'card' },
        h('h2', {}, t('report.paper')),
        h('p', {}, t('report.paperText', { total: r.paper.total, never: r.paper.neverAudited, since: fmtDate(r.paper.notSeenInAuditSince), notSeen: r.paper.notSeenInAudit })),
        h('p', { class: 'small muted', id: 'report-paper-note' }, t('report.paperNote')),
      ),
    ),
  );
}

function lastMonths(n) {
  const out = [];
  const d = new Date();
  d.setDate(1);
  const fmt = new Intl.DateTimeFormat(document.documentElement.lang === 'en' ? 'en-GB' : 'nl-NL', { month: 'short' });
  for (let i = n - 1; i >= 0; i--) {
    const m = new Date(d.getFullYear(), d.getMonth() - i, 1);
    out.push({ key: `${m.getFullYear()}-${String(m.getMonth() + 1).padStart(2, '0')}`, label: fmt.format(m).replace('.', '') });
  }
  return out;
}
