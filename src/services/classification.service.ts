import type { Database } from '../db/database.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { SCOPE_IDS } from '../domain/classification.js';
import type { Classification, KeyPoints } from '../domain/document.js';
import type { Principal } from '../domain/roles.js';
import { Invalid } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, today, type Clock } from './clock.js';
import { decide, WRITE_BATCH, type Decision } from './document-records.js';
import type { ScopesService } from './scopes.service.js';
import { events } from './events.service.js';

export type ReclassifyReport = {
  scopes: string[];
  dryRun: boolean;
  checked: number;
  changed: number;
  toStatic: number;
  toDynamic: number;
  byType: Record<string, { toStatic: number; toDynamic: number }>;
  examples: { id: string; type: string; title: string; from: string; to: string; why: string }[];
  summary: string;
};

const BATCH = 500;

/** What `decide` needs of a stored document. Paper that was never scanned stays static. */
function decisionInput(row: DocumentRow) {
  return {
    documentId: row.id,
    registeredOn: row.created_at.slice(0, 10),
    customerId: row.customer_id,
    type: row.type,
    docDate: row.doc_date,
    fields: JSON.parse(row.fields) as KeyPoints,
    forceClass: row.original_sha256 ? undefined : ('static' as const),
    by: (JSON.parse(row.classification) as Classification).by,
  };
}

/** Counts a document whose class the decision changes into the report; true if it does. */
function count(report: ReclassifyReport, row: DocumentRow, decision: Decision): boolean {
  if (decision.class === row.class) return false;
  report.changed++;
  const to = decision.class;
  const t = (report.byType[row.type] ??= { toStatic: 0, toDynamic: 0 });
  if (to === 'static') (report.toStatic++, t.toStatic++);
  else (report.toDynamic++, t.toDynamic++);
  if (report.examples.length < 20) {
    const trace = (JSON.parse(decision.classification) as Classification).trace;
    const why = trace.filter((s) => s.result === to).map((s) => `${s.scope ? `${s.scope}: ` : ''}${s.evidence ?? s.rule}`).join('; ');
    report.examples.push({ id: row.id, type: row.type, title: row.title, from: row.class, to, why });
  }
  return true;
}

/**
 * Keeps every document's class in step with the active scopes and with time: a scope change
 * (with a dry run first) and the daily pass (an SLA expires, a call is closed) go through here.
 * Paper that was never scanned stays static whatever the rules say; retention is recomputed with
 * the class, as its trigger data may have changed too.
 */
export class ClassificationService {
  constructor(
    private readonly db: Database,
    private readonly scopes: ScopesService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async reclassify(opts: { scopes?: string[]; dryRun: boolean; actor: Principal; reason: string; onProgress?: (done: number) => void }): Promise<ReclassifyReport> {
    const scopes = opts.scopes ?? (await this.scopes.active());
    const unknown = scopes.filter((s) => !SCOPE_IDS.includes(s as never));
    if (unknown.length) throw new Invalid(`Unknown scope(s): ${unknown.join(', ')}; known: ${SCOPE_IDS.join(', ')}`, { unknown });
    const report: ReclassifyReport = { scopes, dryRun: opts.dryRun, checked: 0, changed: 0, toStatic: 0, toDynamic: 0, byType: {}, examples: [], summary: '' };
    let afterRowid = 0;
    for (;;) {
      const rows = await documentsRepository.liveBatchAfter(this.db, afterRowid, BATCH);
      if (rows.length === 0) break;
      afterRowid = rows[rows.length - 1].rowid;
      // Decided outside any transaction: writes (and every audited read, which writes its audit
      // event) take turns, and deciding 500 documents held that turn for 1-2 s on PostgreSQL, so
      // opening a dossier waited that long while the daily pass ran (issue #15). Most documents
      // do not change; only those that do are decided again and written, in short transactions.
      const changing: DocumentRow[] = [];
      for (const row of rows) {
        const decision = await decide(this.db, decisionInput(row), scopes, this.clock);
        if (opts.dryRun) count(report, row, decision);
        else if (decision.class !== row.class || decision.retention_ends_on !== row.retention_ends_on) changing.push(row);
      }
      report.checked += rows.length;
      for (let i = 0; i < changing.length; i += WRITE_BATCH) {
        // A transaction per WRITE_BATCH changes: a crash loses at most those (a re-run picks them
        // up), and when most documents change (a scope change, the first pass over imported
        // data) others still get a turn between them.
        const part = changing.slice(i, i + WRITE_BATCH);
        const snapshot = structuredClone(report);
        await this.db.tx(async (q) => {
          // PostgreSQL may run this again after a conflict: each try counts from the same report.
          Object.assign(report, structuredClone(snapshot));
          const changes: { id: string; from: string; to: string }[] = [];
          for (const seen of part) {
            // Read and decided again inside: the document (or its customer) may have changed since.
            const row = await documentsRepository.get(q, seen.id);
            if (!row || row.destroyed_at) continue;
            const decision = await decide(q, decisionInput(row), scopes, this.clock);
            if (count(report, row, decision)) {
              changes.push({ id: row.id, from: row.class, to: decision.class });
              await events.emit(q, { type: 'document.class_changed', subjectType: 'document', subjectId: row.id, customerId: row.customer_id, actorId: opts.actor.id, at: nowIso(this.clock), data: { from: row.class, to: decision.class, reason: opts.reason } });
            }
            if (decision.class !== row.class || decision.retention_ends_on !== row.retention_ends_on) await documentsRepository.update(q, row.id, decision, nowIso(this.clock));
          }
          if (changes.length) {
            await this.audit.record(q, {
              actorId: opts.actor.id,
              action: 'document.reclassify',
              subjectType: 'documents',
              details: { reason: opts.reason, scopes, changes: changes.slice(0, 200), count: changes.length },
            });
          }
        });
      }
      opts.onProgress?.(report.checked);
    }
    const verb = opts.dryRun ? 'would become' : 'became';
    report.summary =
      report.changed === 0
        ? `No document changes class (${report.checked} checked)`
        : `${report.toStatic.toLocaleString('en')} document${report.toStatic === 1 ? '' : 's'} ${verb} static, ${report.toDynamic.toLocaleString('en')} ${verb} dynamic (${report.checked} checked)`;
    return report;
  }

  /** Changes the active scopes: a dry run only reports; otherwise saves them and reclassifies everything. */
  async changeScopes(scopes: string[], dryRun: boolean, actor: Principal): Promise<ReclassifyReport> {
    const wanted = [...new Set(scopes)];
    if (wanted.length === 0) throw new Invalid('At least one scope must be active', undefined, 'no_scopes');
    const report = await this.reclassify({ scopes: wanted, dryRun: true, actor, reason: 'scope change (dry run)' });
    if (dryRun) return report;
    await this.db.tx(async (q) => {
      const before = await this.scopes.active(q);
      await this.scopes.setActive(q, wanted);
      await this.audit.record(q, { actorId: actor.id, action: 'scopes.change', subjectType: 'settings', details: { before, after: wanted } });
    });
    return this.reclassify({ scopes: wanted, dryRun: false, actor, reason: 'scope change' });
  }

  /** The daily pass: dates moved on, so states did too (idempotent: nothing changes twice). */
  daily(actor: Principal) {
    return this.reclassify({ dryRun: false, actor, reason: `daily reclassification ${today(this.clock)}` });
  }
}
