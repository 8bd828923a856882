import type { Database, Queryable } from '../db/database.js';
import { blankCodesRepository } from '../db/blank-codes.repository.js';
import { documentsRepository } from '../db/documents.repository.js';
import { sequencesRepository } from '../db/sequences.repository.js';
import { BARCODE_PROBLEM_TEXT, makeBarcode, parseBarcode } from '../domain/barcode.js';
import type { DocumentView, KeyPoints } from '../domain/document.js';
import type { Principal } from '../domain/roles.js';
import { Conflict, Invalid } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { buildDocument } from './document-records.js';
import { toDocumentView } from './documents.service.js';
import type { ScopesService } from './scopes.service.js';
import { events, keyPointsOf } from './events.service.js';

export type PaperInput = {
  customerId: string;
  type: string;
  title?: string;
  docDate?: string | null;
  fields?: KeyPoints;
  /** A pre-printed blank code (POST /api/labels/blank) already stuck on the paper; otherwise a new code is issued. */
  barcode?: string;
};

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
      const { barcode: blank, ...draft } = input;
      const barcode = blank === undefined ? makeBarcode('document', await sequencesRepository.next(q, 'barcode.document')) : await this.claimBlank(q, blank);
      const doc = await buildDocument(
        q,
        { ...draft, status: 'ready', source, createdBy: actor.id, barcode, forceClass: 'static' },
        await this.scopes.active(q),
        this.clock,
      );
      await documentsRepository.insert(q, doc);
      if (blank !== undefined) await blankCodesRepository.markUsed(q, barcode, doc.id, nowIso(this.clock));
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'document.register-paper',
        subjectType: 'document',
        subjectId: doc.id,
        customerId: doc.customer_id,
        details: { type: doc.type, barcode, preprinted: blank !== undefined },
      });
      await events.emit(q, { type: 'paper.registered', subjectType: 'document', subjectId: doc.id, customerId: doc.customer_id, actorId: actor.id, at: doc.created_at, data: { type: doc.type, barcode, keyPoints: keyPointsOf(JSON.parse(doc.fields), doc.doc_date) } });
      return toDocumentView(q, (await documentsRepository.get(q, doc.id))!);
    });
  }

  /** A blank code may be used once, and only if it was reserved (printed) by Dossierlink. */
  private async claimBlank(q: Queryable, raw: string): Promise<string> {
    const parsed = parseBarcode(raw);
    if (!parsed.ok) throw new Invalid(`barcode ${JSON.stringify(raw.trim())}: ${BARCODE_PROBLEM_TEXT[parsed.problem]}`, { barcode: raw, problem: parsed.problem }, 'invalid_barcode');
    const code = parsed.value.code;
    if (parsed.value.kind !== 'document') throw new Invalid(`${code} is a ${parsed.value.kind} code, not a document code`, { barcode: code }, 'not_a_document_code');
    const reserved = await blankCodesRepository.get(q, code);
    if (!reserved) throw new Conflict(`${code} was not printed as a blank code; register without a barcode to get a new one`, { barcode: code }, 'barcode_not_reserved');
    if (reserved.document_id || (await documentsRepository.byBarcode(q, code))) {
      throw new Conflict(`${code} is already on another document`, { barcode: code, documentId: reserved.document_id }, 'barcode_in_use');
    }
    return code;
  }
}
