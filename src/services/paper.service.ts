import type { Database } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { sequencesRepository } from '../db/sequences.repository.js';
import { makeBarcode } from '../domain/barcode.js';
import type { DocumentView, KeyPoints } from '../domain/document.js';
import type { Principal } from '../domain/roles.js';
import type { AuditService } from './audit.service.js';
import type { Clock } from './clock.js';
import { buildDocument } from './document-records.js';
import { toDocumentView } from './documents.service.js';
import type { ScopesService } from './scopes.service.js';

export type PaperInput = { customerId: string; type: string; title?: string; docDate?: string | null; fields?: KeyPoints };

/** Static paper: not scanned; its key points are recorded and it gets a barcode for the file tracker. */
export class PaperService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly scopes: ScopesService,
    private readonly clock: Clock,
  ) {}

  async register(input: PaperInput, actor: Principal, source = 'paper'): Promise<DocumentView> {
    return this.db.tx(async (q) => {
      const barcode = makeBarcode('document', await sequencesRepository.next(q, 'barcode.document'));
      const doc = await buildDocument(
        q,
        { ...input, status: 'ready', source, createdBy: actor.id, barcode, forceClass: 'static' },
        await this.scopes.active(q),
        this.clock,
      );
      await documentsRepository.insert(q, doc);
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'document.register-paper',
        subjectType: 'document',
        subjectId: doc.id,
        customerId: doc.customer_id,
        details: { type: doc.type, barcode },
      });
      return toDocumentView(q, (await documentsRepository.get(q, doc.id))!);
    });
  }
}
