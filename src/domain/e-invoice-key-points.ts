import type { EInvoice } from './e-invoice.js';
import type { KeyPoint, KeyPointField, KeyPointsFound } from './key-points.js';

/**
 * Key points of a structured invoice: taken from its XML as written, so every one is certain.
 * The seller's identifiers are the ones a paper invoice prints in its footer.
 */
export function eInvoiceKeyPoints(inv: EInvoice): KeyPointsFound {
  const source = inv.format === 'cii' ? 'Cross Industry Invoice XML' : 'UBL XML';
  const sure = (value: string | number | null, element: string, currency?: string): KeyPoint | undefined =>
    value === null || value === '' ? undefined : { value, confidence: 1, evidence: `${source} ${element}`, ...(currency ? { currency } : {}) };
  const fields: Partial<Record<KeyPointField, KeyPoint>> = {};
  const put = (f: KeyPointField, kp: KeyPoint | undefined) => kp && (fields[f] = kp);
  put('number', sure(inv.number, inv.format === 'cii' ? 'ExchangedDocument/ID' : 'ID'));
  put('docDate', sure(inv.issueDate, inv.format === 'cii' ? 'IssueDateTime' : 'IssueDate'));
  put('dueDate', sure(inv.dueDate, 'due date'));
  put('total', sure(inv.total, inv.format === 'cii' ? 'DuePayableAmount' : 'PayableAmount', inv.currency ?? undefined));
  put('vatNumber', sure(inv.seller.vatNumber, 'seller VAT number'));
  put('iban', sure(inv.iban, 'payee account'));
  put('kvk', sure(inv.seller.kvk, 'seller legal entity (0106)'));
  put('customerNumber', sure(inv.buyer.id, 'buyer identifier'));
  return { fields, currency: inv.currency ? { value: inv.currency, confidence: 1, evidence: `${source} currency` } : null, language: null };
}
