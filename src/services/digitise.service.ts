import type { ObjectStore } from '../adapters/object-store/object-store.js';
import type { Database, Queryable } from '../db/database.js';
import { digitisationsRepository } from '../db/digitisations.repository.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import type { Classification, DocumentView, TraceStep } from '../domain/document.js';
import type { Principal } from '../domain/roles.js';
import { Conflict, NotFound } from '../errors.js';
import type { JobQueuePort } from './job-queue.port.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { toDocumentView } from './documents.service.js';
import type { IncomingFile, IntakeService } from './intake.service.js';
import { releasePins, removeIfUnreferenced } from './object-guard.js';
import { safeFileName } from '../domain/file-names.js';

const RULE = 'digitised on demand';

function digitisedStep(reason: string, rulesSay: string): TraceStep {
  return { rule: RULE, evidence: `${reason}; the rules alone would make it ${rulesSay}`, result: 'dynamic' };
}

/**
 * Digitise on demand: static paper that is asked for often (or by a mobile user) is scanned
 * after all. The scan joins the dynamic pipeline (same preflight, store and ingest job as an
 * upload); the document keeps its id, barcode, location and history, and becomes dynamic with a
 * trace step saying why.
 */
export class DigitiseService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly queue: JobQueuePort,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly intake: IntakeService,
  ) {}

  async digitise(documentId: string, upload: IncomingFile, reason: string | undefined, actor: Principal): Promise<DocumentView> {
    const before = await documentsRepository.get(this.db, documentId);
    if (!before) throw new NotFound('document', documentId);
    if (before.original_sha256) throw new Conflict('This document is already digitised', { documentId }, 'already_digitised');
    const { mime, pageCount } = await this.intake.preflight(upload);
    const file = { ...upload, originalName: safeFileName(upload.originalName, mime) };
    // Object first, as in IntakeService: a failed transaction leaves an unreferenced blob, never a row without its file.
    const stored = await this.store.putFile(file.path, { contentType: mime });
    const why = reason?.trim() || 'paper requested often enough to scan it';
    const refused = async (err: unknown): Promise<never> => {
      // Files must not outlive the write they were stored for.
      if (stored.created) await removeIfUnreferenced(this.db, this.store, [stored.sha256], { ownPins: [stored] }).catch(() => undefined);
      throw err;
    };
    return this.db.tx(async (q) => {
      const row = await documentsRepository.get(q, documentId);
      if (!row) throw new NotFound('document', documentId);
      if (row.original_sha256) throw new Conflict('This document is already digitised', { documentId }, 'already_digitised');
      const same = await documentsRepository.bySha256(q, stored.sha256);
      if (same) throw new Conflict(`This file is already the scan of document ${same.id}`, { documentId: same.id }, 'duplicate_file');
      await this.attachScan(q, row, { sha256: stored.sha256, mime, name: file.originalName, size: stored.size, pageCount }, why, actor.id, `ingest:${row.id}`);
      await releasePins(q, stored);
      return toDocumentView(q, (await documentsRepository.get(q, row.id))!);
    }).catch(refused);
  }

  /**
   * Inside the caller's transaction: the scan becomes the paper document's original, the document
   * turns dynamic with a trace step saying why, and its ingest job is queued under `jobKey`. Also
   * used by intake when a scanned stack carries the paper's label.
   */
  async attachScan(
    q: Queryable,
    row: DocumentRow,
    scan: { sha256: string; mime: string; name: string | null; size: number; pageCount: number },
    why: string,
    actorId: string,
    jobKey: string,
  ): Promise<void> {
    const classification = JSON.parse(row.classification) as Classification;
    classification.trace.push(digitisedStep(why, row.class));
    await documentsRepository.update(
      q,
      row.id,
      {
        status: 'queued',
        class: 'dynamic',
        classification: JSON.stringify(classification),
        original_sha256: scan.sha256,
        original_mime: scan.mime,
        original_name: scan.name,
        original_size: scan.size,
        page_count: scan.pageCount,
        error: null,
      },
      nowIso(this.clock),
    );
    await digitisationsRepository.insert(q, { document_id: row.id, reason: why, requested_by: actorId, at: nowIso(this.clock), previous_class: row.class });
    await this.queue.enqueue(q, { kind: 'ingest', payload: { documentId: row.id }, idempotencyKey: jobKey });
    await this.audit.record(q, {
      actorId,
      action: 'document.digitise',
      subjectType: 'document',
      subjectId: row.id,
      customerId: row.customer_id,
      details: { reason: why, barcode: row.barcode, mime: scan.mime, pages: scan.pageCount, size: scan.size, sha256: scan.sha256 },
    });
  }
}
