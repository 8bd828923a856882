import { getLabelLayout, renderBlankCodesSheet, renderLabelsPdf, type LabelContent } from '../adapters/pdf/labels.pdf.js';
import { blankCodesRepository } from '../db/blank-codes.repository.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Database, Queryable } from '../db/database.js';
import { documentsRepository, type DocumentRow } from '../db/documents.repository.js';
import { locationsRepository } from '../db/locations.repository.js';
import { makeBarcode } from '../domain/barcode.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { AppError, Conflict, Invalid, NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { defaultTitle } from './document-records.js';
import { placeRef } from './documents.service.js';
import { RestrictionGuard } from './restriction.guard.js';
import { parseItemCode } from './tracking.service.js';

/** Enough for a day's post or a move of an archive; more is a batch job, not a request. */
export const MAX_LABELS_PER_REQUEST = 1000;

export type LabelOptions = { layout: string; startAt?: number; outline?: boolean };

/** Barcode labels for paper and places, and sheets of pre-printed blank codes. */
export class LabelsService {
  /**
   * GDPR art. 18: a document label prints the customer and title, so it is refused (403
   * `restricted`, audited) for a restricted customer's paper to everyone but compliance and admin,
   * whichever way it is asked for: by document, in a sheet by id or code, or by code as a place label.
   */
  private readonly restriction: RestrictionGuard;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    this.restriction = new RestrictionGuard(db, audit);
  }

  async documentLabel(documentId: string, opts: LabelOptions, actor: Principal): Promise<{ pdf: Uint8Array; barcode: string }> {
    const doc = await documentsRepository.get(this.db, documentId);
    if (!doc) throw new NotFound('document', documentId);
    if (!doc.barcode) throw new Conflict('This document has no barcode: only registered paper gets a label', { documentId }, 'no_barcode');
    const label = await this.documentContent(this.db, doc, actor);
    const pdf = await renderLabelsPdf([label], opts);
    await this.recordPrint(actor, [doc.barcode], opts.layout);
    return { pdf, barcode: doc.barcode };
  }

  async placeLabel(raw: string, opts: LabelOptions, actor: Principal): Promise<{ pdf: Uint8Array; barcode: string }> {
    const code = parseItemCode(raw);
    const label = await this.codeContent(this.db, code.code, actor);
    const pdf = await renderLabelsPdf([label], opts);
    await this.recordPrint(actor, [code.code], opts.layout);
    return { pdf, barcode: code.code };
  }

  /** A batch of labels for documents (by id) and/or any registered codes, on sheets of one layout. */
  async sheet(input: { documentIds?: string[]; barcodes?: string[] } & LabelOptions, actor: Principal, onProgress?: (p: { done: number; total: number }) => void) {
    getLabelLayout(input.layout);
    const labels: LabelContent[] = [];
    for (const id of input.documentIds ?? []) {
      const doc = await documentsRepository.get(this.db, id);
      if (!doc) throw new NotFound('document', id);
      if (!doc.barcode) throw new Conflict(`Document ${id} has no barcode: only registered paper gets a label`, { documentId: id }, 'no_barcode');
      labels.push(await this.documentContent(this.db, doc, actor));
    }
    for (const raw of input.barcodes ?? []) labels.push(await this.codeContent(this.db, parseItemCode(raw).code, actor));
    if (labels.length === 0) throw new Invalid('Give documentIds or barcodes to print', undefined, 'no_labels');
    if (labels.length > MAX_LABELS_PER_REQUEST) throw new Invalid(`At most ${MAX_LABELS_PER_REQUEST} labels per request`, { count: labels.length }, 'too_many_labels');
    const pdf = await renderLabelsPdf(labels, { layout: input.layout, startAt: input.startAt, outline: input.outline, onProgress });
    await this.recordPrint(actor, labels.map((l) => l.barcode), input.layout);
    return { pdf, count: labels.length };
  }

  /**
   * Reserves `count` document codes and prints them without text, to stick on paper before it is
   * registered. The codes come from the counter that numbers registered paper, so none is ever
   * issued twice; they are reserved (and audited) before the PDF exists, so a failed print wastes
   * numbers, never duplicates them.
   */
  async blank(input: { count: number } & LabelOptions, actor: Principal) {
    // Checked before any code is reserved: a refused request must not use up numbers.
    const layout = getLabelLayout(input.layout);
    if (input.startAt !== undefined && input.startAt > layout.perSheet) {
      throw new Invalid(`startAt must be a label number from 1 to ${layout.perSheet}`, { startAt: input.startAt }, 'invalid_start_at');
    }
    const batchId = newId('blk', this.clock.now().getTime());
    const codes = await this.db.tx(async (q) => {
      const first = await blankCodesRepository.reserveRange(q, 'barcode.document', input.count);
      const list = Array.from({ length: input.count }, (_, i) => makeBarcode('document', first + i));
      const at = nowIso(this.clock);
      await blankCodesRepository.insert(q, list.map((barcode) => ({ barcode, batch_id: batchId, reserved_by: actor.id, reserved_at: at })));
      await this.audit.record(q, { actorId: actor.id, action: 'labels.reserve-blank', subjectType: 'barcode', subjectId: batchId, details: { count: list.length, first: list[0], last: list[list.length - 1], layout: input.layout } });
      return list;
    });
    const pdf = await renderBlankCodesSheet(codes, input.layout, { startAt: input.startAt, outline: input.outline });
    return { pdf, batchId, codes };
  }

  /** A document label: customer in bold, then type and date, then the title. */
  private async documentContent(q: Queryable, doc: DocumentRow, actor: Principal): Promise<LabelContent> {
    await this.restriction.assertDocument(actor, doc.id);
    const customer = doc.customer_id ? await customersRepository.get(q, doc.customer_id) : undefined;
    const kind = defaultTitle(doc.type, {});
    return {
      barcode: doc.barcode!,
      lines: [customer ? `${customer.name} (${customer.id})` : (doc.customer_id ?? 'No customer'), doc.doc_date ? `${kind} · ${doc.doc_date}` : kind, doc.title],
    };
  }

  private async codeContent(q: Queryable, code: string, actor: Principal): Promise<LabelContent> {
    if (code.startsWith('D')) {
      const doc = await documentsRepository.byBarcode(q, code);
      if (doc) return this.documentContent(q, doc, actor);
      const reserved = await blankCodesRepository.get(q, code);
      if (reserved && !reserved.document_id) throw new AppError(409, 'unregistered_blank_code', `${code} is a blank code not yet used: it was printed once and is not printed again`);
      throw new NotFound('document with barcode', code);
    }
    const loc = await locationsRepository.byBarcode(q, code);
    if (!loc) throw new NotFound('place', code);
    const where = loc.parent_id ? await placeRef(q, { locationId: loc.parent_id, userId: null }) : null;
    return { barcode: loc.barcode, lines: [loc.name, loc.kind[0]!.toUpperCase() + loc.kind.slice(1), where?.path ?? ''].filter(Boolean) };
  }

  private recordPrint(actor: Principal, barcodes: string[], layout: string): Promise<void> {
    return this.audit.recordNow({ actorId: actor.id, action: 'labels.print', subjectType: 'barcode', details: { count: barcodes.length, barcodes: barcodes.slice(0, 50), layout } });
  }
}
