/**
 * The compliance report as an A4 PDF, and the small flowing-text writer it shares with the
 * certificate of destruction: headings, wrapped paragraphs, label/value lines and tables that
 * continue on a new page with their header repeated.
 */
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import type { PDFFont, PDFPage } from 'pdf-lib';
import type { ComplianceReport } from '../../services/compliance-report.service.js';
import { fitText, sanitizeForFont } from './labels.pdf.js';

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 42;
const GREY = rgb(0.35, 0.35, 0.35);

export type Column = { title: string; width: number };

/** Writes top to bottom, adding pages as needed. Widths in points; text is made WinAnsi-safe. */
export class ReportPdf {
  private page!: PDFPage;
  private y = 0;
  readonly width = A4.width - 2 * MARGIN;

  private constructor(
    readonly doc: PDFDocument,
    readonly regular: PDFFont,
    readonly bold: PDFFont,
    private readonly header: string,
  ) {
    this.newPage();
  }

  static async create(title: string, header: string): Promise<ReportPdf> {
    const doc = await PDFDocument.create();
    doc.setTitle(title);
    doc.setProducer('Dossierlink');
    return new ReportPdf(doc, await doc.embedFont(StandardFonts.Helvetica), await doc.embedFont(StandardFonts.HelveticaBold), header);
  }

  private newPage() {
    this.page = this.doc.addPage([A4.width, A4.height]);
    this.y = A4.height - MARGIN;
    if (this.doc.getPageCount() > 1) {
      this.text(this.header, MARGIN, this.y - 8, 8, this.regular, this.width, true);
      this.y -= 20;
    }
  }

  private need(h: number) {
    if (this.y - h < MARGIN + 16) this.newPage();
  }

  text(s: string, x: number, y: number, size: number, font: PDFFont, maxWidth: number, grey = false) {
    this.page.drawText(fitText(sanitizeForFont(s, font), font, size, maxWidth), { x, y, size, font, color: grey ? GREY : rgb(0, 0, 0) });
  }

  title(s: string, sub?: string) {
    this.need(40);
    this.text(s, MARGIN, this.y - 18, 18, this.bold, this.width);
    this.y -= 26;
    if (sub) {
      this.text(sub, MARGIN, this.y - 10, 9, this.regular, this.width, true);
      this.y -= 16;
    }
    this.y -= 4;
  }

  heading(s: string) {
    this.need(34);
    this.y -= 10;
    this.text(s, MARGIN, this.y - 12, 12, this.bold, this.width);
    this.page.drawLine({ start: { x: MARGIN, y: this.y - 16 }, end: { x: A4.width - MARGIN, y: this.y - 16 }, thickness: 0.5 });
    this.y -= 24;
  }

  /** A paragraph, wrapped at word boundaries. */
  paragraph(s: string, opts: { size?: number; grey?: boolean; bold?: boolean } = {}) {
    const size = opts.size ?? 9.5;
    const font = opts.bold ? this.bold : this.regular;
    const words = sanitizeForFont(s, font).split(' ');
    let line = '';
    const flush = () => {
      this.need(size + 4);
      this.text(line, MARGIN, this.y - size, size, font, this.width, opts.grey);
      this.y -= size + 3.5;
      line = '';
    };
    for (const w of words) {
      const next = line ? `${line} ${w}` : w;
      if (font.widthOfTextAtSize(next, size) > this.width && line) {
        flush();
        line = w;
      } else line = next;
    }
    if (line) flush();
    this.y -= 3;
  }

  /** Label: value lines, labels in a column of their own. */
  fields(pairs: [string, string][], labelWidth = 130) {
    for (const [k, v] of pairs) {
      this.need(14);
      this.text(k, MARGIN, this.y - 10, 9, this.bold, labelWidth - 6);
      this.text(v, MARGIN + labelWidth, this.y - 10, 9, this.regular, this.width - labelWidth);
      this.y -= 13.5;
    }
    this.y -= 4;
  }

  /** Words of `s` in lines of at most `width` points (at most `max` lines; the last one cut with an ellipsis). */
  wrap(s: string, font: PDFFont, size: number, width: number, max: number): string[] {
    const words = sanitizeForFont(s, font).split(' ');
    const lines: string[] = [];
    let line = '';
    for (const w of words) {
      const next = line ? `${line} ${w}` : w;
      if (line && font.widthOfTextAtSize(next, size) > width) {
        lines.push(line);
        line = w;
      } else line = next;
    }
    if (line) lines.push(line);
    if (lines.length > max) lines.splice(max - 1, lines.length, lines.slice(max - 1).join(' '));
    return lines;
  }

  /**
   * A table. A cell is text (wrapped to two lines) or [text, detail]: the detail goes under it,
   * grey and smaller. Rows that do not fit go to a new page with the header repeated.
   */
  table(columns: Column[], rows: (string | [string, string])[][], opts: { empty?: string } = {}) {
    const total = columns.reduce((s, c) => s + c.width, 0);
    const scale = this.width / total;
    const xs: number[] = [];
    let x = MARGIN;
    for (const c of columns) (xs.push(x), (x += c.width * scale));
    const head = () => {
      this.need(30);
      columns.forEach((c, i) => this.text(c.title, xs[i]!, this.y - 9, 8, this.bold, c.width * scale - 4));
      this.page.drawLine({ start: { x: MARGIN, y: this.y - 13 }, end: { x: A4.width - MARGIN, y: this.y - 13 }, thickness: 0.5 });
      this.y -= 17;
    };
    head();
    if (rows.length === 0) {
      this.text(opts.empty ?? 'None.', MARGIN, this.y - 9, 9, this.regular, this.width, true);
      this.y -= 16;
      return;
    }
    for (const r of rows) {
      const cells = r.map((c, i) => {
        const [a, b] = Array.isArray(c) ? c : [c, ''];
        const w = columns[i]!.width * scale - 4;
        return [
          ...this.wrap(a, this.regular, 8.5, w, 2).map((t) => ({ t, size: 8.5, grey: false })),
          ...(b ? this.wrap(b, this.regular, 7.5, w, 2).map((t) => ({ t, size: 7.5, grey: true })) : []),
        ];
      });
      const h = Math.max(...cells.map((c) => c.length)) * 9.5 + 4;
      if (this.y - h < MARGIN + 16) {
        this.newPage();
        head();
      }
      cells.forEach((lines, i) => {
        const w = columns[i]!.width * scale - 4;
        lines.forEach((l, k) => this.text(l.t, xs[i]!, this.y - 9 - k * 9.5, l.size, this.regular, w, l.grey));
      });
      this.y -= h;
      this.page.drawLine({ start: { x: MARGIN, y: this.y + 2 }, end: { x: A4.width - MARGIN, y: this.y + 2 }, thickness: 0.25, color: rgb(0.8, 0.8, 0.8) });
    }
    this.y -= 6;
  }

  space(h: number) {
    this.need(h);
    this.y -= h;
  }

  async save(footer: string): Promise<Uint8Array> {
    const pages = this.doc.getPages();
    pages.forEach((p, i) => {
      p.drawText(sanitizeForFont(footer, this.regular), { x: MARGIN, y: MARGIN - 18, size: 7.5, font: this.regular, color: GREY });
      p.drawText(`page ${i + 1} of ${pages.length}`, { x: A4.width - MARGIN - 55, y: MARGIN - 18, size: 7.5, font: this.regular, color: GREY });
    });
    return this.doc.save();
  }
}

const n = (v: number) => v.toLocaleString('en');

/**
 *     const bytes = await renderComplianceReportPdf(await reportService.report(actor));
 */
export async function renderComplianceReportPdf(r: ComplianceReport): Promise<Uint8Array> {
  const pdf = await ReportPdf.create('Dossierlink compliance report', `Compliance report as of ${r.asOf}`);
  pdf.title('Compliance report', `As of ${r.asOf} · generated ${r.generatedAt.slice(0, 16).replace('T', ' ')} UTC · Dossierlink`);
  pdf.fields([
    ['Documents kept', `${n(r.documents.total)} (${n(r.documents.digital)} digital, ${n(r.documents.paper)} paper)`],
    ['Retention ended, not held', `${n(r.retention.overdue)} (of which ${n(r.retention.overdueInOpenDisposal)} in an open disposal)`],
    ['Due before ' + r.retention.dueSoonUntil, n(r.retention.dueSoon)],
    ['Open-ended (trigger pending)', n(r.retention.openEnded)],
    ['Legal holds', `${n(r.holds.active)} active, covering ${n(r.holds.heldDocuments)} document(s); ${n(r.retention.heldPastRetention)} past retention`],
    ['Paper not seen in an audit', `${n(r.paper.notSeenInAudit)} of ${n(r.paper.total)} since ${r.paper.notSeenInAuditSince} (${n(r.paper.neverAudited)} never audited)`],
    ['Audit log', r.auditLog.ok ? `intact (${n(r.auditLog.checked)} events verified)` : `BROKEN at event ${r.auditLog.firstBadEvent?.seq}: ${r.auditLog.firstBadEvent?.reason}`],
  ], 170);

  pdf.heading('Documents per retention schedule');
  pdf.table(
    [{ title: 'Types', width: 90 }, { title: 'Legal basis', width: 200 }, { title: 'Period', width: 40 }, { title: 'At end', width: 45 }, { title: 'Kept', width: 40 }, { title: 'Ended', width: 40 }, { title: 'Soon', width: 35 }, { title: 'Held', width: 35 }],
    r.documents.bySchedule.map((s) => [s.schedule, s.legalBasis, s.period, s.disposition, n(s.n), n(s.overdue), n(s.dueSoon), n(s.held)]),
  );
  pdf.heading('Documents per type and class');
  pdf.table(
    [{ title: 'Type', width: 120 }, { title: 'Dynamic', width: 60 }, { title: 'Static', width: 60 }, { title: 'Digital', width: 60 }, { title: 'Paper', width: 60 }, { title: 'Total', width: 60 }],
    r.documents.byType.map((t) => [t.type, n(t.dynamic), n(t.static), n(t.digital), n(t.paper), n(t.total)]),
  );
  pdf.heading('Retention ended longest ago (not held, not in a disposal)');
  pdf.table(
    [{ title: 'Ended on', width: 70 }, { title: 'Type', width: 90 }, { title: 'Customer', width: 80 }, { title: 'Barcode / document', width: 200 }],
    r.retention.oldestOverdue.map((o) => [o.endedOn, o.type, o.customerId ?? '', o.barcode ?? o.documentId]),
    { empty: 'Nothing is overdue for disposal.' },
  );
  pdf.heading('Active legal holds');
  pdf.table(
    [{ title: 'Placed', width: 70 }, { title: 'Scope', width: 200 }, { title: 'Reason', width: 150 }, { title: 'Docs', width: 40 }],
    r.holds.list.map((h) => [[h.placedAt.slice(0, 10), h.placedBy], h.scope, h.reason ?? '', n(h.documents)]),
    { empty: 'No active holds.' },
  );
  pdf.heading('Disposals');
  pdf.table(
    [{ title: 'Kind', width: 100 }, { title: 'Status', width: 100 }, { title: 'Count', width: 60 }],
    r.disposals.byStatus.map((d) => [d.kind, d.status, n(d.n)]),
    { empty: 'No disposals yet.' },
  );
  pdf.paragraph(
    `In the last year: ${r.disposals.lastYear.map((d) => `${n(d.n)} ${d.medium} document(s) ${d.method.startsWith('digital') ? 'destroyed' : d.method}`).join(', ') || 'nothing destroyed or transferred'}. Paper awaiting shredding: ${n(r.disposals.paperAwaitingShredding)}.`,
  );
  pdf.heading('Paper not seen in an inventory audit since ' + r.paper.notSeenInAuditSince);
  pdf.paragraph(`${n(r.paper.notSeenInAudit)} of ${n(r.paper.total)} paper document(s); ${n(r.paper.notSeenNorMoved)} of them did not move either. ${r.paper.note}`, { grey: true, size: 8.5 });
  pdf.table(
    [{ title: 'Barcode', width: 90 }, { title: 'Type', width: 90 }, { title: 'Customer', width: 80 }, { title: 'Last audit scan', width: 90 }, { title: 'Last movement', width: 90 }],
    r.paper.examples.map((p) => [p.barcode, p.type, p.customerId ?? '', p.lastAuditScan?.slice(0, 10) ?? 'never', p.lastMovement?.slice(0, 10) ?? 'never']),
    { empty: 'All paper was seen in an audit.' },
  );
  pdf.heading('Subject rights and holds since ' + r.subjectRights.sinceDate);
  pdf.fields([
    ['Access exports', n(r.subjectRights.events['customer.subject-access'] ?? 0)],
    ['Erasure requests', n(r.subjectRights.events['customer.erasure-request'] ?? 0)],
    ['Erasures executed', n(r.subjectRights.events['customer.erase'] ?? 0)],
    ['Restrictions placed', n(r.subjectRights.events['customer.restrict'] ?? 0)],
    ['Restricted customers now', n(r.subjectRights.restrictedCustomers)],
    ['Holds placed / released', `${n(r.subjectRights.events['hold.place'] ?? 0)} / ${n(r.subjectRights.events['hold.release'] ?? 0)}`],
  ], 170);
  return pdf.save(`Dossierlink compliance report · as of ${r.asOf}`);
}
