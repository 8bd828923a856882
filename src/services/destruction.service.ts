import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { documentFilesRepository } from '../db/document-files.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { mailMessagesRepository } from '../db/mail-messages.repository.js';
import { objectRefsRepository } from '../db/object-refs.repository.js';
import { overviewRepository } from '../db/overview.repository.js';
import { searchRepository } from '../db/search.repository.js';
import type { Principal } from '../domain/roles.js';
import { AppError, Conflict, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { events } from './events.service.js';
import { removeIfUnreferenced } from './object-guard.js';
import { destroyMailMessagesInTx } from './mail-message-destruction.js';

export type Tombstone = { id: string; destroyedAt: string; removedObjects: string[]; keptObjects: string[] };

/**
 * Digital destruction that reaches every copy: the original and the archive PDF in the object
 * store (unless another live document shares the same bytes), the page texts, the full-text
 * index entry, the key points, and the e-mail (.eml) it came in with once no other live document
 * came from that message. What remains is a tombstone row (id, type, dates, retention,
 * destroyed_at) and the audit events: proof that it existed and was destroyed, not its content.
 * A document under a legal hold cannot be destroyed.
 */
export class DestructionService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    /** How long after registration an admin alone may destroy a document (issue #16); later only a four-eyes disposal. */
    private readonly opts: { directGraceMs: number } = { directGraceMs: 24 * 3_600_000 },
  ) {}

  /** The database part, inside the caller's transaction; returns the object hashes to delete after commit. */
  async destroyInTx(q: Queryable, row: DocumentRow, actor: Principal, reason: string): Promise<{ objects: string[]; kept: string[] }> {
    if (row.on_hold) throw new Conflict('The document is under a legal hold and cannot be destroyed', { id: row.id }, 'legal_hold');
    const now = nowIso(this.clock);
    const keptFiles = await documentFilesRepository.list(q, row.id);
    const hashes = [...new Set([row.original_sha256, row.archive_sha256, ...keptFiles.map((f) => f.sha256)].filter((h): h is string => Boolean(h)))];
    const objects: string[] = [];
    const kept: string[] = [];
    for (const h of hashes) {
      const shared = (await documentsRepository.objectSharedWithOthers(q, row.id, h)) || (await documentFilesRepository.sharedElsewhere(q, row.id, h));
      (shared ? kept : objects).push(h);
    }
    // The overview's thumbnail shows the first page: it is a copy too.
    const thumb = await overviewRepository.thumbnail(q, row.id);
    if (thumb) {
      await overviewRepository.deleteThumbnail(q, row.id);
      if (!(await overviewRepository.thumbnailShared(q, thumb.sha256, row.id))) objects.push(thumb.sha256);
    }
    await documentFilesRepository.removeAll(q, row.id);
    await searchRepository.remove(q, row.id);
    await documentsRepository.deletePages(q, row.id);
    await documentsRepository.update(
      q,
      row.id,
      { destroyed_at: now, fields: '{}', title: `[destroyed ${row.type}]`, original_name: null, text_minhash: null, error: null, error_code: null, error_details: null },
      now,
    );
    // The same bytes may be kept alive by a row of another kind (a coupon batch's file, an import,
    // a stored e-mail): asked now that this document no longer counts, as the sweep would ask.
    for (const h of [...objects]) {
      if (!(await objectRefsRepository.isReferenced(q, h))) continue;
      objects.splice(objects.indexOf(h), 1);
      if (!kept.includes(h)) kept.push(h);
    }
    // The .eml it came in with holds the attachment too: it goes with the last document made from it.
    const messages = [];
    for (const m of await mailMessagesRepository.liveForDocument(q, row.id)) {
      if ((await mailMessagesRepository.liveDocuments(q, m.id)).length === 0) messages.push(m);
    }
    const emls = await destroyMailMessagesInTx(q, this.audit, messages, { actorId: actor.id, customerId: row.customer_id, reason: `document ${row.id} destroyed: ${reason}`, now });
    objects.push(...emls.filter((h) => !objects.includes(h)));
    await this.audit.record(q, {
      actorId: actor.id,
      action: 'document.destroy',
      subjectType: 'document',
      subjectId: row.id,
      customerId: row.customer_id,
      details: { reason, type: row.type, class: row.class, barcode: row.barcode, retention: { legalBasis: row.retention_legal_basis, endsOn: row.retention_ends_on }, objects, keptShared: kept },
    });
    await events.emit(q, { type: 'document.destroyed', subjectType: 'document', subjectId: row.id, customerId: row.customer_id, actorId: actor.id, at: now, data: { reason, type: row.type, class: row.class, barcode: row.barcode } });
    return { objects, kept };
  }

  /** Destroys one digital document now (an admin's correction of a mistaken upload, or an executed disposal). */
  async destroy(id: string, actor: Principal, reason: string): Promise<Tombstone> {
    const { row, objects, kept } = await this.db.tx(async (q) => {
      const r = await documentsRepository.get(q, id);
      if (!r) throw new NotFound('document', id);
      // One admin alone may undo a mistaken upload, not erase history: past the grace period a
      // second person must approve (a disposal).
      const age = this.clock.now().getTime() - Date.parse(r.created_at);
      if (age > this.opts.directGraceMs) {
        throw new AppError(
          403,
          'four_eyes',
          `This document was registered more than ${Math.round(this.opts.directGraceMs / 3_600_000)} h ago: propose its disposal, a second person approves it`,
          { registeredAt: r.created_at },
        );
      }
      return { row: r, ...(await this.destroyInTx(q, r, actor, reason)) };
    });
    // Objects go after the commit: a crash in between leaves an unreferenced blob, never a row
    // pointing at nothing. `delete` is idempotent, so a retry finishes the job. One that a write is
    // storing again right now (the same bytes) stays until the sweep finds it unreferenced.
    await removeIfUnreferenced(this.db, this.store, objects);
    return { id: row.id, destroyedAt: nowIso(this.clock), removedObjects: objects, keptObjects: kept };
  }
}
