/**
 * Structured invoices: UBL 2.1 Invoice and CreditNote (Peppol BIS Billing 3, the Dutch SI-UBL
 * 2.0) and UN/CEFACT Cross Industry Invoice (the XML inside Factur-X / ZUGFeRD PDFs), read
 * with fast-xml-parser. The key points come from the XML exactly: no positions, no guessing.
 * Untrusted input: a DOCTYPE (and so any entity, internal or external) is refused before
 * parsing, entities are never expanded, and the size is capped.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const MAX_E_INVOICE_XML_BYTES = 5 * 1024 * 1024;

export type EInvoiceFormat = 'ubl-invoice' | 'ubl-credit-note' | 'cii';
export type EInvoiceParty = { name: string | null; vatNumber: string | null; kvk: string | null; id: string | null; address: string[] };
export type EInvoiceLine = { description: string; quantity: number | null; unitPrice: number | null; amount: number | null };
export type EInvoice = {
  format: EInvoiceFormat;
  /** CustomizationID (UBL) or guideline id (CII): which rule set the sender followed. */
  specification: string | null;
  number: string;
  issueDate: string;
  dueDate: string | null;
  currency: string | null;
  /** The amount to pay (PayableAmount / DuePayableAmount); negative amounts stay as written. */
  total: number | null;
  taxExclusive: number | null;
  tax: number | null;
  seller: EInvoiceParty;
  buyer: EInvoiceParty;
  iban: string | null;
  paymentReference: string | null;
  lines: EInvoiceLine[];
  notes: string[];
};

export class EInvoiceError extends Error {
  constructor(message: string, readonly code: 'xml_too_large' | 'xml_doctype' | 'xml_malformed' | 'not_an_e_invoice' | 'e_invoice_incomplete') {
    super(message);
  }
}

const UBL_INVOICE = 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2';
const UBL_CREDIT_NOTE = 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2';
const CII = 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100';

const ARRAYS = new Set(['InvoiceLine', 'CreditNoteLine', 'IncludedSupplyChainTradeLineItem', 'PartyTaxScheme', 'SpecifiedTaxRegistration', 'IncludedNote', 'Note', 'PaymentMeans', 'SpecifiedTradeSettlementPaymentMeans', 'PartyIdentification', 'SpecifiedTradePaymentTerms', 'AddressLine', 'Description']);

type Node = Record<string, unknown> | string | undefined;

/** The root element's local name and namespace, from the bytes, without building a tree. */
export function xmlRoot(xml: string): { name: string; namespace: string | null } | null {
  // Declaration, comments and a DOCTYPE (refused later, but it must not hide which root this is).
  const body = xml
    .replace(/^\uFEFF/, '')
    .replace(/<\?[\s\S]*?\?>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/^\s*<!DOCTYPE[^[>]*(\[[\s\S]*?\])?\s*>/i, '')
    .trimStart();
  const m = /^<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)([^>]*)>/.exec(body);
  if (!m) return null;
  const prefix = m[1] ? m[1].slice(0, -1) : null;
  const ns = new RegExp(`xmlns${prefix ? `:${prefix}` : ''}\\s*=\\s*["']([^"']+)["']`).exec(m[3] ?? '');
  return { name: m[2]!, namespace: ns ? ns[1]! : null };
}

/** Which structured invoice the XML is, or null when it is some other XML. */
export function eInvoiceFormat(xml: string): EInvoiceFormat | null {
  const root = xmlRoot(xml);
  if (!root) return null;
  if (root.name === 'Invoice' && root.namespace === UBL_INVOICE) return 'ubl-invoice';
  if (root.name === 'CreditNote' && root.namespace === UBL_CREDIT_NOTE) return 'ubl-credit-note';
  if (root.name === 'CrossIndustryInvoice' && root.namespace === CII) return 'cii';
  return null;
}

/** Refuses what must never reach a parser: too big, a DOCTYPE (entities), not well-formed. */
export function checkXml(bytes: Uint8Array): string {
  if (bytes.byteLength > MAX_E_INVOICE_XML_BYTES) throw new EInvoiceError(`The XML is larger than ${MAX_E_INVOICE_XML_BYTES / 1024 / 1024} MiB`, 'xml_too_large');
  const xml = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new EInvoiceError('The XML declares a DOCTYPE or entities, which e-invoices never need', 'xml_doctype');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new EInvoiceError(`The XML is not well-formed: ${valid.err.msg} (line ${valid.err.line})`, 'xml_malformed');
  return xml;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});

const get = (n: Node, ...path: string[]): Node => {
  let cur: unknown = n;
  for (const p of path) {
    if (Array.isArray(cur)) cur = cur[0];
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return (Array.isArray(cur) ? cur[0] : cur) as Node;
};
const all = (n: Node, key: string): Node[] => {
  const v = n && typeof n === 'object' ? (n as Record<string, unknown>)[key] : undefined;
  return v === undefined ? [] : ((Array.isArray(v) ? v : [v]) as Node[]);
};
const text = (n: Node): string | null => {
  if (n === undefined || n === null) return null;
  if (typeof n === 'string') return n.trim() || null;
  if (typeof n === 'object' && '#text' in n) return String((n as Record<string, unknown>)['#text']).trim() || null;
  return null;
};
const attr = (n: Node, name: string): string | null => (n && typeof n === 'object' ? ((n as Record<string, unknown>)[`@${name}`] as string | undefined) ?? null : null);
const num = (n: Node): number | null => {
  const t = text(n);
  if (t === null || !/^-?\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
};
/** UBL dates are ISO already; CII writes 20180305 with format 102. */
const isoDate = (t: string | null): string | null => {
  if (!t) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return t;
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
};
const compact = (s: string | null) => (s ? s.replace(/\s+/g, '') : null);

function ublParty(party: Node): EInvoiceParty {
  const vat = all(party, 'PartyTaxScheme').find((t) => (text(get(t, 'TaxScheme', 'ID')) ?? 'VAT').toUpperCase() === 'VAT');
  const legal = get(party, 'PartyLegalEntity', 'CompanyID');
  const addr = get(party, 'PostalAddress');
  return {
    name: text(get(party, 'PartyLegalEntity', 'RegistrationName')) ?? text(get(party, 'PartyName', 'Name')),
    vatNumber: compact(text(get(vat, 'CompanyID'))),
    // 0106 is the Dutch chamber of commerce in the ISO 6523 scheme list.
    kvk: attr(legal, 'schemeID') === '0106' ? text(legal) : null,
    id: text(get(all(party, 'PartyIdentification')[0], 'ID')),
    address: [text(get(addr, 'StreetName')), text(get(addr, 'AdditionalStreetName')), [text(get(addr, 'PostalZone')), text(get(addr, 'CityName'))].filter(Boolean).join(' '), text(get(addr, 'Country', 'IdentificationCode'))].filter((x): x is string => Boolean(x)),
  };
}

function readUbl(doc: Node, format: 'ubl-invoice' | 'ubl-credit-note'): EInvoice {
  const totals = get(doc, 'LegalMonetaryTotal');
  const means = all(doc, 'PaymentMeans');
  const lineKey = format === 'ubl-invoice' ? 'InvoiceLine' : 'CreditNoteLine';
  const qtyKey = format === 'ubl-invoice' ? 'InvoicedQuantity' : 'CreditedQuantity';
  return {
    format,
    specification: text(get(doc, 'CustomizationID')),
    number: text(get(doc, 'ID')) ?? '',
    issueDate: isoDate(text(get(doc, 'IssueDate'))) ?? '',
    dueDate: isoDate(text(get(doc, 'DueDate')) ?? means.map((m) => text(get(m, 'PaymentDueDate'))).find(Boolean) ?? null),
    currency: text(get(doc, 'DocumentCurrencyCode')),
    total: num(get(totals, 'PayableAmount')),
    taxExclusive: num(get(totals, 'TaxExclusiveAmount')),
    tax: num(get(doc, 'TaxTotal', 'TaxAmount')),
    seller: ublParty(get(doc, 'AccountingSupplierParty', 'Party')),
    buyer: ublParty(get(doc, 'AccountingCustomerParty', 'Party')),
    iban: compact(means.map((m) => text(get(m, 'PayeeFinancialAccount', 'ID'))).find(Boolean) ?? null),
    paymentReference: means.map((m) => text(get(m, 'PaymentID'))).find(Boolean) ?? null,
    lines: all(doc, lineKey).map((l) => ({
      description: text(get(l, 'Item', 'Name')) ?? text(get(l, 'Item', 'Description')) ?? '',
      quantity: num(get(l, qtyKey)),
      unitPrice: num(get(l, 'Price', 'PriceAmount')),
      amount: num(get(l, 'LineExtensionAmount')),
    })),
    notes: all(doc, 'Note').map(text).filter((x): x is string => Boolean(x)),
  };
}

function ciiParty(party: Node): EInvoiceParty {
  const vat = all(party, 'SpecifiedTaxRegistration').find((t) => attr(get(t, 'ID'), 'schemeID') === 'VA');
  const legal = get(party, 'SpecifiedLegalOrganization', 'ID');
  const addr = get(party, 'PostalTradeAddress');
  return {
    name: text(get(party, 'Name')),
    vatNumber: compact(text(get(vat, 'ID'))),
    kvk: attr(legal, 'schemeID') === '0106' ? text(legal) : null,
    id: text(get(party, 'ID')),
    address: [text(get(addr, 'LineOne')), text(get(addr, 'LineTwo')), [text(get(addr, 'PostcodeCode')), text(get(addr, 'CityName'))].filter(Boolean).join(' '), text(get(addr, 'CountryID'))].filter((x): x is string => Boolean(x)),
  };
}

function readCii(doc: Node): EInvoice {
  const tx = get(doc, 'SupplyChainTradeTransaction');
  const agreement = get(tx, 'ApplicableHeaderTradeAgreement');
  const settlement = get(tx, 'ApplicableHeaderTradeSettlement');
  const sums = get(settlement, 'SpecifiedTradeSettlementHeaderMonetarySummation');
  const typeCode = text(get(doc, 'ExchangedDocument', 'TypeCode'));
  return {
    format: 'cii',
    specification: text(get(doc, 'ExchangedDocumentContext', 'GuidelineSpecifiedDocumentContextParameter', 'ID')),
    number: text(get(doc, 'ExchangedDocument', 'ID')) ?? '',
    issueDate: isoDate(text(get(doc, 'ExchangedDocument', 'IssueDateTime', 'DateTimeString'))) ?? '',
    dueDate: isoDate(all(settlement, 'SpecifiedTradePaymentTerms').map((t) => text(get(t, 'DueDateDateTime', 'DateTimeString'))).find(Boolean) ?? null),
    currency: text(get(settlement, 'InvoiceCurrencyCode')),
    // A credit note (381) pays back: its amounts are written positive, so the sign is made explicit.
    total: ((v) => (v !== null && typeCode === '381' ? -v : v))(num(get(sums, 'DuePayableAmount')) ?? num(get(sums, 'GrandTotalAmount'))),
    taxExclusive: num(get(sums, 'TaxBasisTotalAmount')),
    tax: num(get(sums, 'TaxTotalAmount')),
    seller: ciiParty(get(agreement, 'SellerTradeParty')),
    buyer: ciiParty(get(agreement, 'BuyerTradeParty')),
    iban: compact(all(settlement, 'SpecifiedTradeSettlementPaymentMeans').map((m) => text(get(m, 'PayeePartyCreditorFinancialAccount', 'IBANID'))).find(Boolean) ?? null),
    paymentReference: text(get(settlement, 'PaymentReference')),
    lines: all(tx, 'IncludedSupplyChainTradeLineItem').map((l) => ({
      description: text(get(l, 'SpecifiedTradeProduct', 'Name')) ?? '',
      quantity: num(get(l, 'SpecifiedLineTradeDelivery', 'BilledQuantity')),
      unitPrice: num(get(l, 'SpecifiedLineTradeAgreement', 'NetPriceProductTradePrice', 'ChargeAmount')),
      amount: num(get(l, 'SpecifiedLineTradeSettlement', 'SpecifiedTradeSettlementLineMonetarySummation', 'LineTotalAmount')),
    })),
    notes: all(get(doc, 'ExchangedDocument'), 'IncludedNote').map((n) => text(get(n, 'Content'))).filter((x): x is string => Boolean(x)),
  };
}

/**
 * Reads a UBL Invoice / CreditNote or a CII invoice. Throws `EInvoiceError` for anything else.
 *
 *     parseEInvoice(bytes).total // 1656.25, the PayableAmount
 */
export function parseEInvoice(bytes: Uint8Array): EInvoice {
  const xml = checkXml(bytes);
  const format = eInvoiceFormat(xml);
  if (!format) throw new EInvoiceError('The XML is not a UBL Invoice or CreditNote, nor a Cross Industry Invoice', 'not_an_e_invoice');
  const tree = parser.parse(xml) as Record<string, Node>;
  const root = tree[format === 'ubl-invoice' ? 'Invoice' : format === 'ubl-credit-note' ? 'CreditNote' : 'CrossIndustryInvoice'];
  const inv = format === 'cii' ? readCii(root) : readUbl(root, format);
  if (!inv.number || !inv.issueDate) throw new EInvoiceError('The e-invoice has no number or no issue date', 'e_invoice_incomplete');
  return inv;
}
