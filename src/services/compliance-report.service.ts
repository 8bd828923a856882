import { renderComplianceReportPdf } from '../adapters/pdf/compliance-report.pdf.js';
import type { Database } from '../db/database.js';
import { holdsRepository } from '../db/holds.repository.js';
import { retentionRepository } from '../db/retention.repository.js';
import { addPeriod, toIsoDate } from '../domain/dates.js';
import { scheduleFor } from '../domain/retention.js';
import type { Principal } from '../domain/roles.js';
import type { AuditService } from './audit.service.js';
import { nowIso, today, type Clock } from './clock.js';
import type { HoldsService } from './holds.service.js';

/** The same calendar day a year earlier (29 February becomes 1 March). */
function yearBefore(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return toIsoDate(new Date(Date.UTC(y - 1, m - 1, d)));
}

/** How far ahead "due soon" looks. */
const DUE_SOON = 'P3M';

/**
 * The compliance report (screen and PDF): what is kept under which schedule, what is overdue for
 * disposal, what is held, how disposals and subject rights went, which paper no inventory audit
 * has seen for a year, and whether the audit chain is intact.
 */
export class ComplianceReportService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly holds: HoldsService,
    private readonly clock: Clock,
  ) {}

  async report(actor: Principal) {
    const day = today(this.clock);
    const yearAgo = yearBefore(day);
    const horizon = addPeriod(day, DUE_SOON);
    const rows = await retentionRepository.retentionSummary(this.db, day, horizon);
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0);
    const bySchedule = new Map<string, { schedule: string; legalBasis: string; period: string; disposition: string; n: number; openEnded: number; overdue: number; dueSoon: number; held: number }>();
    for (const r of rows) {
      const s = scheduleFor(r.type);
      const key = `${s.legalBasis}|${s.period}|${s.disposition}`;
      const e = bySchedule.get(key) ?? { schedule: r.type, legalBasis: s.legalBasis, period: s.period, disposition: s.disposition, n: 0, openEnded: 0, overdue: 0, dueSoon: 0, held: 0 };
      if (!e.schedule.split(', ').includes(r.type)) e.schedule += `, ${r.type}`;
      e.n += r.n;
      e.openEnded += r.open_ended;
      e.overdue += r.overdue;
      e.dueSoon += r.due_soon;
      e.held += r.held;
      bySchedule.set(key, e);
    }
    const byType = new Map<string, { type: string; dynamic: number; static: number; paper: number; digital: number; total: number }>();
    for (const r of rows) {
      const e = byType.get(r.type) ?? { type: r.type, dynamic: 0, static: 0, paper: 0, digital: 0, total: 0 };
      e[r.class as 'dynamic' | 'static'] += r.n;
      e[r.paper ? 'paper' : 'digital'] += r.n;
      e.total += r.n;
      byType.set(r.type, e);
    }
    const paper = await retentionRepository.paperNotSeen(this.db, yearAgo, 50);
    const activeHolds = (await this.holds.list({ active: true, limit: 200 })).holds;
    const disposals = await retentionRepository.disposalCounts(this.db);
    const done = await retentionRepository.destroyedSince(this.db, yearAgo);
    const rights = await retentionRepository.auditActionCounts(this.db, yearAgo, ['customer.subject-access', 'customer.erasure-request', 'customer.erase', 'customer.restrict', 'customer.unrestrict', 'hold.place', 'hold.release']);
    const verify = await this.audit.verify();
    const report = {
      asOf: day,
      generatedAt: nowIso(this.clock),
      documents: {
        total: sum((r) => r.n),
        paper: sum((r) => (r.paper ? r.n : 0)),
        digital: sum((r) => (r.paper ? 0 : r.n)),
        byType: [...byType.values()],
        bySchedule: [...bySchedule.values()],
      },
      retention: {
        openEnded: sum((r) => r.open_ended),
        overdue: sum((r) => r.overdue),
        overdueInOpenDisposal: sum((r) => Math.min(r.in_disposal, r.overdue)),
        dueSoon: sum((r) => r.due_soon),
        dueSoonUntil: horizon,
        heldPastRetention: sum((r) => r.held_overdue),
        oldestOverdue: (await retentionRepository.oldestOverdue(this.db, day, 20)).map((r) => ({ documentId: r.id, type: r.type, customerId: r.customer_id, barcode: r.barcode, endedOn: r.effective_end })),
      },
      holds: { active: activeHolds.length, heldDocuments: sum((r) => r.held), list: activeHolds.map((h) => ({ id: h.id, kind: h.kind, scope: h.scope, reason: h.reason, placedAt: h.placedAt, placedBy: h.placedBy.name, documents: h.documents })) },
      disposals: {
        byStatus: disposals.map((d) => ({ kind: d.kind, status: d.status, n: d.n })),
        lastYear: done.map((d) => ({ method: d.method, medium: d.medium, n: d.n })),
        paperAwaitingShredding: await retentionRepository.paperAwaitingShredding(this.db),
      },
      paper: {
        total: paper.total,
        neverAudited: paper.neverAudited,
        notSeenInAuditSince: yearAgo,
        notSeenInAudit: paper.notSeen,
        notSeenNorMoved: paper.notSeenNorMoved,
        examples: paper.rows.map((r) => ({ documentId: r.id, barcode: r.barcode, type: r.type, customerId: r.customer_id, lastAuditScan: r.last_audit_scan, lastMovement: r.last_movement, checkedOut: Boolean(r.holder_user_id) })),
        note: 'Seen = found by an inventory audit scan (inventory_audit_scans). A movement (filing, check-out) is listed apart: it shows the paper was handled, not that it was counted.',
      },
      subjectRights: {
        sinceDate: yearAgo,
        events: Object.fromEntries(rights.map((r) => [r.action, r.n])),
        restrictedCustomers: await retentionRepository.restrictedCustomers(this.db),
        activeHolds: await holdsRepository.countActive(this.db),
      },
      auditLog: verify,
    };
    await this.audit.recordNow({ actorId: actor.id, action: 'compliance.report', subjectType: 'report', details: { asOf: day, overdue: report.retention.overdue, auditOk: verify.ok } });
    return report;
  }

  async pdf(actor: Principal): Promise<{ pdf: Uint8Array; asOf: string }> {
    const r = await this.report(actor);
    return { pdf: await renderComplianceReportPdf(r), asOf: r.asOf };
  }
}

export type ComplianceReport = Awaited<ReturnType<ComplianceReportService['report']>>;
