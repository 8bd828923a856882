import { readFile } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';
import { countImagePages } from '../adapters/image/image-pages.js';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { countPdfPages } from '../adapters/pdf/pdf-render.js';
import type { Database } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import type { DocumentView } from '../domain/document.js';
import type { Principal } from '../domain/roles.js';
import { Invalid, UnsupportedMediaType } from '../errors.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { AuditService } from './audit.service.js';
import type { Clock } from './clock.js';
import { buildDocument } from './document-records.js';
import { preflightEInvoiceXml } from './e-invoice-intake.js';
import { toDocumentView } from './documents.service.js';
import type { ScopesService } from './scopes.service.js';

/** What the pipeline accepts, decided from the bytes (magic numbers), never the name or the client's header. */
export const ACCEPTED_MIME = ['application/pdf', 'image/png', 'image/jpeg', 'image/tiff', 'application/xml'] as const;

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
    private readonly queue: JobQueue,
    private readonly audit: AuditService,
    private readonly scopes: ScopesService,
    private readonly clock: Clock,
    private readonly onEnqueued: () => void = () => undefined,
  ) {}

  /** Checks the file is what it claims and can be processed. Returns the real MIME type and page count. */
  async preflight(file: IncomingFile): Promise<{ mime: (typeof ACCEPTED_MIME)[number]; pageCount: number }> {
    if (file.size === 0) throw new Invalid('The file is empty', { file: file.originalName }, 'empty_file');
    const sniffed = await fileTypeFromFile(file.path);
    // XML is accepted only as a UBL e-invoice, checked by its content (root element, well-formed, size).
    if (!sniffed || sniffed.mime === 'application/xml' || sniffed.mime === 'text/xml') {
      const xml = await preflightEInvoiceXml(file);
      if (xml) return { mime: xml, pageCount: 1 };
    }
    const mime = sniffed?.mime as (typeof ACCEPTED_MIME)[number] | undefined;
    if (!mime || !ACCEPTED_MIME.includes(mime) || mime === 'application/xml') {
      throw new UnsupportedMediaType(
        `${file.originalName ?? 'The file'} is ${sniffed ? sniffed.mime : 'not a recognised file type'}; send a PDF, PNG, JPEG or TIFF`,
        { file: file.originalName, detected: sniffed?.mime ?? null, accepted: ACCEPTED_MIME },
      );
    }
    const bytes = new Uint8Array(await readFile(file.path));
    const pageCount = mime === 'application/pdf' ? await countPdfPages(bytes) : await countImagePages(bytes);
    if (pageCount < 1) throw new Invalid('The file has no pages', { file: file.originalName }, mime === 'application/pdf' ? 'corrupt_pdf' : 'corrupt_image');
    return { mime, pageCount };
  }

  async accept(file: IncomingFile, meta: IntakeMeta, actor: Principal, source: 'upload' | 'inbox'): Promise<IntakeResult> {
    const { mime, pageCount } = await this.preflight(file);
    // The object goes in first: if the transaction below fails, an unreferenced blob remains
    // (content-addressed, harmless), never a document row pointing at nothing.
    const stored = await this.store.putFile(file.path, { contentType: mime });
    const result = await this.db.tx(async (q) => {
      const existing = await documentsRepository.bySha256(q, stored.sha256);
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
      await this.queue.enqueue(q, { kind: 'ingest', payload: { documentId: doc.id }, idempotencyKey: `ingest:${doc.id}` });
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
    if (!result.duplicate) this.onEnqueued();
    return result;
  }
}

/** A readable provisional title from a file name: no extension, no path, separators as spaces. */
export function titleFromName(name: string | null): string | undefined {
  if (!name) return undefined;
  const base = name.split(/[\\/]/).pop()!.replace(/\.[A-Za-z0-9]{1,5}$/, '').replace(/[_]+/g, ' ').trim();
  return base ? base.slice(0, 200) : undefined;
}
