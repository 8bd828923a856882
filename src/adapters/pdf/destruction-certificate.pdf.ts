/**
 * The certificate of destruction: what a disposal destroyed (or transferred, or kept after
 * review), when, by whom, under which schedule and legal basis; who proposed and who approved it;
 * and the head of the audit log's hash chain, so a later edit of the log shows.
 */
import type { DisposalView } from '../../services/disposal.service.js';
import { ReportPdf } from './compliance-report.pdf.js';

export type CertificateInput = {
  disposal: DisposalView;
  generatedAt: string;
  generatedBy: { id: string; name: string } | null;
  /** False while items are still pending: the certificate is then marked interim. */
  final: boolean;
  auditHead: { seq: number; hash: string; verified: boolean } | null;
};

const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : '');
const whenShort = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '');

/**
 *     const bytes = await renderDestructionCertificatePdf({ disposal, generatedAt, generatedBy, final: true, auditHead });
 */
export async function renderDestructionCertificatePdf(c: CertificateInput): Promise<Uint8Array> {
  const d = c.disposal;
  const pdf = await ReportPdf.create(`Certificate of destruction ${d.id}`, `Certificate of destruction ${d.id}${c.final ? '' : ' (interim)'}`);
  pdf.title(
    c.final ? 'Certificate of destruction' : 'Certificate of destruction - INTERIM',
    `Disposal ${d.id} · ${d.kind === 'erasure' ? `erasure request (GDPR art. 17) for customer ${d.customerId}` : 'end of retention period'}`,
  );
  if (!c.final) {
    pdf.paragraph(`Not final: ${d.counts.pending} item(s) are still pending (paper to shred or transfer, or retention not yet ended). This interim certificate lists what was done so far.`, { bold: true });
  }
  pdf.fields([
    ['Reason', d.reason],
    ...(d.dueBefore ? [['Selection', `everything due before ${d.dueBefore}`] as [string, string]] : []),
    ['Proposed by', `${d.proposedBy.name} · ${when(d.proposedAt)}`],
    ['Approved by', d.approvedBy ? `${d.approvedBy.name} · ${when(d.approvedAt)} (second officer)` : '-'],
    ['Executed by', d.executedBy ? `${d.executedBy.name} · ${when(d.executedAt)}` : '-'],
    ['Completed', d.completedAt ? when(d.completedAt) : 'not yet'],
    ...(d.cancelReason ? [['Closed early', `${d.cancelReason} (${d.cancelledBy?.name ?? ''})`] as [string, string]] : []),
    [
      'Outcome',
      `${d.counts.destroyed} destroyed, ${d.counts.transferred} transferred, ${d.counts.extended} kept longer after review, ${d.counts.skipped} not done, ${d.counts.pending} pending (of ${d.counts.total})`,
    ],
  ]);

  const destroyed = d.items.filter((i) => i.status === 'destroyed' || i.status === 'transferred');
  pdf.heading(`Destroyed and transferred (${destroyed.length})`);
  pdf.table(
    [
      { title: 'Document · barcode', width: 118 },
      { title: 'Type · customer', width: 72 },
      { title: 'Schedule · legal basis', width: 175 },
      { title: 'How', width: 95 },
      { title: 'When (UTC) · by', width: 85 },
    ],
    destroyed.map((i) => [
      [i.barcode ?? `digital, dated ${i.docDate ?? '-'}`, i.documentId],
      [i.type, i.customerId ?? ''],
      [`${i.retention.period}, ended ${i.retention.endsOn ?? '-'}`, i.retention.legalBasis],
      [i.method ?? i.status, i.medium === 'paper' ? (i.locationPath ? `was at ${i.locationPath}` : 'paper') : `${i.objectsRemoved ?? 0} stored object(s) removed`],
      [whenShort(i.doneAt), i.doneBy?.name ?? ''],
    ]),
    { empty: 'Nothing destroyed yet.' },
  );

  const other = d.items.filter((i) => i.status !== 'destroyed' && i.status !== 'transferred');
  if (other.length) {
    pdf.heading(`Not destroyed (${other.length})`);
    pdf.table(
      [
        { title: 'Document · barcode', width: 120 },
        { title: 'Type · customer', width: 90 },
        { title: 'Status', width: 70 },
        { title: 'Why', width: 285 },
      ],
      other.map((i) => [
        [i.barcode ?? 'digital', i.documentId],
        [i.type, i.customerId ?? ''],
        i.status,
        [i.status === 'extended' ? `${i.method ?? ''}: ${i.decisionNote ?? ''}` : (i.note ?? ''), i.decidedBy ? `decided by ${i.decidedBy.name}` : ''],
      ]),
    );
  }

  pdf.heading('Statement');
  pdf.paragraph(
    'Digital destruction removed every copy Dossierlink holds: the original and the archive PDF in the object store (unless the same bytes belong to another live document), the page texts, the full-text index entry and the key points. What remains of each document is a tombstone (id, type, dates, retention) and the audit events. Paper was destroyed item by item: each barcode was scanned as shredded by the person named.',
  );
  if (c.auditHead) {
    pdf.paragraph(
      `Audit log at generation: event ${c.auditHead.seq}, chain hash ${c.auditHead.hash}; chain ${c.auditHead.verified ? 'verified intact' : 'NOT intact - see GET /api/audit/verify'}. Every step above is an audit event (disposal.*, document.destroy).`,
      { size: 8, grey: true },
    );
  }
  pdf.space(30);
  pdf.fields([
    ['Generated', `${when(c.generatedAt)}${c.generatedBy ? ` by ${c.generatedBy.name}` : ''}`],
    ['Signature', '______________________________'],
  ]);
  return pdf.save(`Certificate of destruction ${d.id}${c.final ? '' : ' (interim)'} · Dossierlink`);
}
