/**
 * The certificate of destruction: what a disposal destroyed (or transferred, or kept after
 * review), when, by whom, under which schedule and legal basis; who proposed and who approved it;
 * and the head of the audit log's hash chain, so a later edit of the log shows.
 */
import type { DisposalView } from '../../services/disposal.service.js';
import type { OutputLang } from '../../domain/output-language.js';
import { ReportPdf } from './compliance-report.pdf.js';
import { CERTIFICATE_TEXTS } from './destruction-certificate.texts.js';

export type CertificateInput = {
  disposal: DisposalView;
  generatedAt: string;
  generatedBy: { id: string; name: string } | null;
  /** False while items are still pending: the certificate is then marked interim. */
  final: boolean;
  auditHead: { seq: number; hash: string; verified: boolean } | null;
  /** Dutch unless asked otherwise: the certificate goes to Dutch auditors. */
  lang?: OutputLang;
};

const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : '');
const whenShort = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '');

/**
 *     const bytes = await renderDestructionCertificatePdf({ disposal, generatedAt, generatedBy, final: true, auditHead });
 */
export async function renderDestructionCertificatePdf(c: CertificateInput): Promise<Uint8Array> {
  const d = c.disposal;
  const L = CERTIFICATE_TEXTS[c.lang ?? 'nl'];
  const word = (map: Record<string, string>, k: string) => map[k] ?? k;
  const pdf = await ReportPdf.create(L.doc(d.id, false), L.doc(d.id, !c.final));
  pdf.title(L.title(c.final), L.subtitle(d.id, d.kind === 'erasure', d.customerId));
  if (!c.final) pdf.paragraph(L.interim(d.counts.pending), { bold: true });
  pdf.fields([
    [L.reason, d.reason],
    ...(d.dueBefore ? [[L.selection, L.dueBefore(d.dueBefore)] as [string, string]] : []),
    [L.proposedBy, `${d.proposedBy.name} · ${when(d.proposedAt)}`],
    [L.approvedBy, d.approvedBy ? `${d.approvedBy.name} · ${when(d.approvedAt)} (${L.secondOfficer})` : '-'],
    [L.executedBy, d.executedBy ? `${d.executedBy.name} · ${when(d.executedAt)}` : '-'],
    [L.completed, d.completedAt ? when(d.completedAt) : L.notYet],
    ...(d.cancelReason ? [[L.closedEarly, `${d.cancelReason} (${d.cancelledBy?.name ?? ''})`] as [string, string]] : []),
    [L.outcome, L.outcomeText(d.counts)],
  ]);

  const destroyed = d.items.filter((i) => i.status === 'destroyed' || i.status === 'transferred');
  pdf.heading(L.destroyedHead(destroyed.length));
  pdf.table(
    [
      { title: L.colDoc, width: 118 },
      { title: L.colType, width: 72 },
      { title: L.colSchedule, width: 175 },
      { title: L.colHow, width: 95 },
      { title: L.colWhen, width: 85 },
    ],
    destroyed.map((i) => [
      [i.barcode ?? L.digitalDated(i.docDate ?? '-'), i.documentId],
      [i.type, i.customerId ?? ''],
      [L.ended(i.retention.period, i.retention.endsOn ?? '-'), i.retention.legalBasis],
      [word(L.method, i.method ?? i.status), i.medium === 'paper' ? (i.locationPath ? L.wasAt(i.locationPath) : L.paper) : L.objectsRemoved(i.objectsRemoved ?? 0)],
      [whenShort(i.doneAt), i.doneBy?.name ?? ''],
    ]),
    { empty: L.nothingDestroyed },
  );

  const other = d.items.filter((i) => i.status !== 'destroyed' && i.status !== 'transferred');
  if (other.length) {
    pdf.heading(L.notDestroyedHead(other.length));
    pdf.table(
      [
        { title: L.colDoc, width: 120 },
        { title: L.colType, width: 90 },
        { title: L.colStatus, width: 70 },
        { title: L.colWhy, width: 285 },
      ],
      other.map((i) => [
        [i.barcode ?? L.digital, i.documentId],
        [i.type, i.customerId ?? ''],
        word(L.status, i.status),
        [i.status === 'extended' ? `${i.method ?? ''}: ${i.decisionNote ?? ''}` : (i.note ?? ''), i.decidedBy ? L.decidedBy(i.decidedBy.name) : ''],
      ]),
    );
  }

  pdf.heading(L.statementHead);
  pdf.paragraph(L.statement);
  if (c.auditHead) pdf.paragraph(L.audit(c.auditHead.seq, c.auditHead.hash, c.auditHead.verified), { size: 8, grey: true });
  pdf.space(30);
  pdf.fields([
    [L.generated, `${when(c.generatedAt)}${c.generatedBy ? L.by(c.generatedBy.name) : ''}`],
    [L.signature, '______________________________'],
  ]);
  return pdf.save(`${L.doc(d.id, !c.final)} · Dossierlink`);
}
