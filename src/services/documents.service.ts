import type { Readable } from 'node:stream';
import { documentFilesRepository } from '../db/document-files.repository.js';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { locationsRepository } from '../db/locations.repository.js';
import { mailMessagesRepository } from '../db/mail-messages.repository.js';
import { usersRepository } from '../db/users.repository.js';
import type { DocumentView, LocationRef } from '../domain/document.js';
import { mayAct, type Principal } from '../domain/roles.js';
import { AppError, Conflict, Forbidden, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';

/** Where a document is now: a place in the archive, a person who has it checked out, or nowhere (digital only). */
export async function locateDocument(q: Queryable, row: DocumentRow, places?: PlaceCache): Promise<LocationRef | null> {
  const at = { locationId: row.location_id, userId: row.holder_user_id, dueBackOn: row.due_back_on };
  if (!places || (!at.locationId && !at.userId)) return placeRef(q, at);
  // A dossier's paper sits in a few boxes: look each place up once per listing, not per document.
  const key = `${at.locationId ?? ''}\u0000${at.userId ?? ''}\u0000${at.dueBackOn ?? ''}`;
  let ref = places.get(key);
  if (!ref) places.set(key, (ref = placeRef(q, at)));
  return ref;
}

/** Place lookups shared by the documents of one listing (see `toDocumentView`). */
export type PlaceCache = Map<string, Promise<LocationRef | null>>;

/**
 * Describes a place for people: a location with its path from the site down, or a person. A box
 * that is checked out makes the path start with its holder ("checked out to Chris › Doos 2025").
 */
export async function placeRef(
  q: Queryable,
  at: { locationId: string | null; userId: string | null; dueBackOn?: string | null },
): Promise<LocationRef | null> {
  if (at.userId) {
    const u = await usersRepository.get(q, at.userId);
    return {
      kind: 'person',
      id: at.userId,
      name: u?.name ?? at.userId,
      path: `checked out to ${u?.name ?? at.userId}`,
      dueBackOn: at.dueBackOn ?? null,
    };
  }
  if (!at.locationId) return null;
  const chain = await locationsRepository.ancestry(q, at.locationId);
  const here = chain[chain.length - 1];
  if (!here) return null;
  const names = chain.map((l) => l.name);
  const root = chain[0]!;
  if (root.holder_user_id) {
    const u = await usersRepository.get(q, root.holder_user_id);
    names.unshift(`checked out to ${u?.name ?? root.holder_user_id}`);
    return { kind: 'location', id: here.id, barcode: here.barcode, name: here.name, path: names.join(' › '), dueBackOn: root.due_back_on ?? null };
  }
  return { kind: 'location', id: here.id, barcode: here.barcode, name: here.name, path: names.join(' › ') };
}

/** Maps a row to the Document of API.md. */
export async function toDocumentView(q: Queryable, row: DocumentRow, places?: PlaceCache): Promise<DocumentView> {
  return {
    id: row.id,
    customerId: row.customer_id,
    type: row.type,
    class: row.class,
    status: row.status,
    barcode: row.barcode,
    title: row.title,
    docDate: row.doc_date,
    fields: JSON.parse(row.fields),
    classification: JSON.parse(row.classification),
    location: await locateDocument(q, row, places),
    retention: {
      legalBasis: row.retention_legal_basis,
      trigger: row.retention_trigger,
      startsOn: row.retention_starts_on,
      period: row.retention_period,
      endsOn: row.retention_ends_on,
      disposition: row.retention_disposition,
      hold: Boolean(row.on_hold),
    },
    pageCount: row.page_count,
    original: row.original_sha256
      ? { sha256: row.original_sha256, mime: row.original_mime ?? 'application/octet-stream', name: row.original_name, size: row.original_size ?? 0 }
      : null,
    hasArchive: Boolean(row.archive_sha256),
    error: row.error,
    errorCode: row.status === 'failed' ? row.error_code : null,
    errorDetails: row.status === 'failed' && row.error_details ? (JSON.parse(row.error_details) as Record<string, unknown>) : null,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Reading documents: metadata, text and original bytes. Every read is audited. */
export class DocumentsService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly audit: AuditService,
  ) {}

  async row(id: string): Promise<DocumentRow> {
    const row = await documentsRepository.get(this.db, id);
    if (!row) throw new NotFound('document', id);
    return row;
  }

  async get(id: string, actor: Principal): Promise<DocumentView> {
    const row = await this.row(id);
    await this.audit.recordNow({ actorId: actor.id, action: 'document.view', subjectType: 'document', subjectId: id, customerId: row.customer_id });
    return toDocumentView(this.db, row);
  }

  /** The extracted text, page by page, separated by form feeds (as pdftotext does). */
  async text(id: string, actor: Principal): Promise<string> {
    const row = await this.row(id);
    if (row.class === 'static' && !row.original_sha256) {
      throw new Conflict('This is static paper that was not scanned: it has no text. Request the paper or digitise it.', undefined, 'not_digitised');
    }
    if (row.status === 'queued' || row.status === 'processing') {
      throw new Conflict(`The document is still ${row.status}; its text is not there yet`, { status: row.status }, 'not_ready');
    }
    const pages = await documentsRepository.pages(this.db, id);
    await this.audit.recordNow({ actorId: actor.id, action: 'document.read', subjectType: 'document', subjectId: id, customerId: row.customer_id, details: { what: 'text' } });
    return pages.map((p) => p.text).join('\n\f');
  }

  /** The untouched original, or the searchable archive copy. */
  async file(id: string, actor: Principal, which: 'original' | 'archive' | 'e-invoice'): Promise<{ stream: Readable; mime: string; name: string; size?: number }> {
    const row = await this.row(id);
    if (!mayAct(actor, ['crm', 'compliance']) && row.status !== 'needs_review') {
      throw new Forbidden('The mailroom sees a document\'s file only while it waits in the review queue');
    }
    if (which === 'e-invoice') {
      const xml = await documentFilesRepository.get(this.db, id, 'e-invoice-xml');
      if (!xml) throw new Conflict('This document carries no structured e-invoice', { status: row.status }, 'no_e_invoice');
      const stream = await this.store.getStream(xml.sha256);
      await this.audit.recordNow({ actorId: actor.id, action: 'document.read', subjectType: 'document', subjectId: id, customerId: row.customer_id, details: { what: which } });
      return { stream, mime: 'application/xml', name: `${(row.original_name ?? row.id).replace(/\.[A-Za-z0-9]+$/, '')}.e-invoice.xml` };
    }
    const sha = which === 'archive' ? row.archive_sha256 : row.original_sha256;
    if (!sha) {
      if (!row.original_sha256) {
        throw new Conflict('This is static paper that was not scanned: there is no file. Request the paper or digitise it.', undefined, 'not_digitised');
      }
      throw new Conflict('The searchable archive copy is not ready yet', { status: row.status }, 'not_ready');
    }
    const stream = await this.store.getStream(sha);
    await this.audit.recordNow({ actorId: actor.id, action: 'document.read', subjectType: 'document', subjectId: id, customerId: row.customer_id, details: { what: which } });
    const base = (row.original_name ?? row.id).replace(/\.[A-Za-z0-9]+$/, '');
    return which === 'archive'
      ? { stream, mime: 'application/pdf', name: `${base}.archive.pdf` }
      : { stream, mime: row.original_mime ?? 'application/octet-stream', name: row.original_name ?? row.id, size: row.original_size ?? undefined };
  }

  /** The e-mail (.eml) the document came in with, as received; the same rules as its file. */
  async message(id: string, actor: Principal): Promise<{ stream: Readable; name: string; size: number }> {
    const row = await this.row(id);
    if (!mayAct(actor, ['crm', 'compliance']) && row.status !== 'needs_review') {
      throw new Forbidden('The mailroom sees a document\'s file only while it waits in the review queue');
    }
    // A message can carry several documents; the first one kept names the e-mail of this one.
    const [m] = await mailMessagesRepository.liveForDocument(this.db, id);
    if (!m) throw new AppError(404, 'no_message', 'This document did not come in by e-mail, or its e-mail was destroyed', { id });
    const stream = await this.store.getStream(m.eml_sha256);
    await this.audit.recordNow({ actorId: actor.id, action: 'document.read', subjectType: 'document', subjectId: id, customerId: row.customer_id, details: { what: 'e-mail', message: m.id } });
    return { stream, name: `${(row.original_name ?? row.id).replace(/\.[A-Za-z0-9]+$/, '')}.eml`, size: m.eml_size };
  }
}
