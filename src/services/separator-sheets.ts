/**
 * Separator sheets for batch scans: a numbered S code, stored with the customer and type it
 * assigns (a cover sheet) and printed; the intake's code reading (intake-codes.ts) looks it up.
 */
import { renderSeparatorSheetPdf } from '../adapters/pdf/separator-sheet.pdf.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Database } from '../db/database.js';
import { mailingsRepository } from '../db/mailings.repository.js';
import { makeBarcode } from '../domain/barcode.js';
import type { Principal } from '../domain/roles.js';
import { UnknownReference } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';

export type SeparatorSheetInput = { customerId?: string; type?: string; copies?: number };

/**
 * A printable separator sheet with a new S code; with a customer and/or type it is a cover sheet
 * that assigns them to the pages that follow it. `copies` pages carry the same code.
 */
export async function createSeparatorSheet(
  deps: { db: Database; audit: AuditService; clock: Clock },
  input: SeparatorSheetInput,
  actor: Principal,
): Promise<{ barcode: string; pdf: Uint8Array }> {
  return deps.db.tx(async (q) => {
    const customer = input.customerId ? await customersRepository.get(q, input.customerId) : undefined;
    if (input.customerId && !customer) throw new UnknownReference(`customer ${JSON.stringify(input.customerId)} does not exist`, { customerId: input.customerId }, 'unknown_customer');
    const barcode = makeBarcode('separator', await mailingsRepository.reserve(q, 'barcode.separator', 1));
    await mailingsRepository.insertSeparator(q, { barcode, customer_id: input.customerId ?? null, type: input.type ?? null, created_by: actor.id, created_at: nowIso(deps.clock) });
    await deps.audit.record(q, {
      actorId: actor.id,
      action: 'separator.create',
      subjectType: 'separator',
      subjectId: barcode,
      customerId: input.customerId ?? null,
      details: { type: input.type ?? null, copies: input.copies ?? 1 },
    });
    const pdf = await renderSeparatorSheetPdf({ barcode, customer: customer ? { id: customer.id, name: customer.name } : null, type: input.type ?? null, copies: input.copies ?? 1 });
    return { barcode, pdf };
  });
}
