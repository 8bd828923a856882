import type { ObjectStore, StoredObject } from '../adapters/object-store/object-store.js';
import type { Database, Queryable } from '../db/database.js';
import { customersRepository } from '../db/customers.repository.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { intakeSplitsRepository } from '../db/intake-splits.repository.js';
import type { DocumentView } from '../domain/document.js';
import type { Principal } from '../domain/roles.js';
import { Conflict, UnknownReference } from '../errors.js';
import type { JobQueuePort } from './job-queue.port.js';
import type { AuditService } from './audit.service.js';
import type { Clock } from './clock.js';
import { buildDocument } from './document-records.js';
import { XML_MIME } from './e-invoice-intake.js';
import { toDocumentView } from './documents.service.js';
import { releasePins, removeIfUnreferenced } from './object-guard.js';
import { ACCEPTED_MIME, Preflight } from './preflight.js';
import type { ScopesService } from './scopes.service.js';
import { safeFileName } from '../domain/file-names.js';

export { ACCEPTED_MIME };

/** Kind of the job that reads an intake's barcodes (see intake-split.service.ts); here to keep imports one-way. */
export const SPLIT_JOB = 'split';

export type IncomingFile = { path: string; originalName: string | null; size: number };
export type IntakeMeta = { customerId?: string | null; type?: string | null };
export type IntakeResult = { document: DocumentView; duplicate: boolean };

/** Type of a document whose type is not known yet: detection fills it in, or review does. */
export const UNCLASSIFIED = 'unclassified';

/**
 * The front of the dynamic pipeline, shared by upload, batch upload and the inbox folder:
 * sniff the real type, preflight the file (corrupt, encrypted, decompression bombs are refused
 * here, before anything is written), store the original by content hash, and record the
 * document with its ingest job in one transaction. An exact duplicate answers with the existing
 * document and stores nothing new.
 */
export class IntakeService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly queue: JobQueuePort,
    private readonly audit: AuditService,
    private readonly scopes: ScopesService,
    private readonly clock: Clock,
    private readonly onEnqueued: () => void = () => undefined,
    private readonly checker: Preflight = new Preflight(),
    /** Read every intake's pages for Dossierlink codes before ingest (DOSSIER_INTAKE_BARCODES). */
    private readonly barcodes = true,
  ) {}

  /** A stack taken in before and split by its barcodes: answers with its first document, or 409 when none stayed a document. */
  private async splitStack(q: Queryable, sha256: string, name: string | null): Promise<DocumentRow | undefined> {
    const split = await intakeSplitsRepository.byStack(q, sha256);
    if (!split) return undefined;
    const parts = await intakeSplitsRepository.parts(q, split.document_id);
    for (const p of parts) {
      const id = (JSON.parse(p.result) as { documentId?: string }).documentId;
      const doc = id ? await documentsRepository.get(q, id) : undefined;
      if (doc) return doc;
    }
    throw new Conflict(`${name ?? 'This file'} was taken in before and split by its barcodes`, { documentId: split.document_id, parts: parts.map((p) => ({ kind: p.kind, result: JSON.parse(p.result) as unknown })) }, 'duplicate_upload');
  }

  /** Checks the file is what it claims and can be processed. Returns the real MIME type and page count. */
  async preflight(file: IncomingFile): Promise<{ mime: (typeof ACCEPTED_MIME)[number]; pageCount: number }> {
    return this.checker.check(file);
  }

  async accept(upload: IncomingFile, meta: IntakeMeta, actor: Principal, source: 'upload' | 'inbox' | 'email'): Promise<IntakeResult> {
    const { mime, pageCount } = await this.preflight(upload);
    const file = { ...upload, originalName: safeFileName(upload.originalName, mime) };
    // Refuse what the transaction would refuse before a byte is stored.
    if (meta.customerId && !(await customersRepository.get(this.db, meta.customerId))) {
      throw new UnknownReference(`customer ${JSON.stringify(meta.customerId)} does not exist`, { customerId: meta.customerId }, 'unknown_customer');
    }
    // The object goes in first, so a row never points at nothing; if the transaction below
    // fails, the object goes again unless another row uses the same bytes.
    const stored = await this.store.putFile(file.path, { contentType: mime });
    const result = await this.record(file, meta, actor, source, mime, pageCount, stored).catch(async (err: unknown) => {
      if (stored.created) await removeIfUnreferenced(this.db, this.store, [stored.sha256], { ownPins: [stored] }).catch(() => undefined);
      throw err;
    });
    // A refused write of the same bytes may have removed the object between our put and our
    // commit (it saw no row yet): put it back from the upload, which is still on disk.
    if (!(await this.store.stat(stored.sha256))) await this.store.putFile(file.path, { contentType: mime });
    if (!result.duplicate) this.onEnqueued();
    return result;
  }

  private async record(
    file: IncomingFile,
    meta: IntakeMeta,
    actor: Principal,
    source: 'upload' | 'inbox' | 'email',
    mime: (typeof ACCEPTED_MIME)[number],
    pageCount: number,
    stored: StoredObject,
  ): Promise<IntakeResult> {
    return this.db.tx(async (q) => {
      // From this commit on a row keeps the object (the new one, or the duplicate's), or this write needs it no more: its pin can go.
      await releasePins(q, stored);
      const existing = (await documentsRepository.bySha256(q, stored.sha256)) ?? (await this.splitStack(q, stored.sha256, file.originalName));
      if (existing) {
        await this.audit.record(q, {
          actorId: actor.id,
          action: 'document.duplicate-upload',
          subjectType: 'document',
          subjectId: existing.id,
          customerId: existing.customer_id,
          details: { source, name: file.originalName },
        });
        return { document: await toDocumentView(q, existing), duplicate: true };
      }
      const doc = await buildDocument(
        q,
        {
          customerId: meta.customerId ?? null,
          type: meta.type ?? UNCLASSIFIED,
          title: titleFromName(file.originalName),
          status: 'queued',
          source,
          createdBy: actor.id,
          original: { sha256: stored.sha256, mime, name: file.originalName, size: stored.size },
        },
        await this.scopes.active(q),
        this.clock,
      );
      doc.page_count = pageCount;
      await documentsRepository.insert(q, doc);
      // The split job reads a stack's barcodes first (separator/cover sheets, labels, coupons), then
      // queues the ingest. A single page is read for codes by its ingest job, alongside OCR, from the
      // one decode of its pixels (issue 15); a bare e-invoice (XML) has no pages to read codes from.
      const readCodes = this.barcodes && mime !== XML_MIME;
      await this.queue.enqueue(
        q,
        readCodes && pageCount !== 1
          ? { kind: SPLIT_JOB, payload: { documentId: doc.id, sha256: stored.sha256, mime }, idempotencyKey: `split:${doc.id}` }
          : { kind: 'ingest', payload: { documentId: doc.id, ...(readCodes ? { readCodes: true } : {}) }, idempotencyKey: `ingest:${doc.id}` },
      );
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'document.upload',
        subjectType: 'document',
        subjectId: doc.id,
        customerId: doc.customer_id,
        details: { source, mime, pages: pageCount, size: stored.size, sha256: stored.sha256 },
      });
      return { document: await toDocumentView(q, (await documentsRepository.get(q, doc.id))!), duplicate: false };
    });
  }
}

/** A readable provisional title from a file name: no extension, no path, separators as spaces. */
export function titleFromName(name: string | null): string | undefined {
  if (!name) return undefined;
  const base = name.split(/[\\/]/).pop()!.replace(/\.[A-Za-z0-9]{1,5}$/, '').replace(/[_]+/g, ' ').trim();
  return base ? base.slice(0, 200) : undefined;
}
