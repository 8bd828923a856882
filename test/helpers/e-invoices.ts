/**
 * E-invoice test files written for this project, following the published structure of the
 * EN 16931 examples: a UBL 2.1 Invoice as Peppol BIS Billing 3 sends it, a UBL CreditNote as the
 * Dutch SI-UBL 2.0 does (KvK under scheme 0106), and a Cross Industry Invoice (Factur-X EN 16931
 * profile) embedded in a PDF the way Factur-X / ZUGFeRD do. Real published files belong in
 * shared/ (placed by a person) to test against; nothing fetched is committed here.
 */
import { PDFArray, PDFDict, PDFDocument, PDFName, StandardFonts } from 'pdf-lib';

export type InvoiceFacts = {
  number: string; issueDate: string; dueDate: string; currency: string; payable: number; taxExclusive: number; tax: number;
  sellerName: string; sellerVat: string; sellerKvk: string; iban: string; buyerName: string; buyerId: string;
  lines: { name: string; qty: number; price: number }[];
};

export const SAMPLE_INVOICE: InvoiceFacts = {
  number: 'INV-2026-0193', issueDate: '2026-11-12', dueDate: '2026-12-12', currency: 'EUR', payable: 1657.26, taxExclusive: 1369.64, tax: 287.62,
  sellerName: 'Koeltechniek Van der Meer B.V.', sellerVat: 'NL819205436B01', sellerKvk: '30123456', iban: 'NL91ABNA0417164300',
  buyerName: 'Bakkerij De Gouden Korst B.V.', buyerId: 'KL-000123',
  lines: [{ name: 'Onderhoud koelinstallatie', qty: 2, price: 412.5 }, { name: 'Vervangen filterset', qty: 4, price: 136.16 }],
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const amt = (n: number) => n.toFixed(2);

function ublParty(name: string, vat: string | null, kvk: string | null, id: string | null): string {
  return `<cac:Party>
      <cbc:EndpointID schemeID="0106">${kvk ?? '00000000'}</cbc:EndpointID>
      ${id ? `<cac:PartyIdentification><cbc:ID>${esc(id)}</cbc:ID></cac:PartyIdentification>` : ''}
      <cac:PartyName><cbc:Name>${esc(name)}</cbc:Name></cac:PartyName>
      <cac:PostalAddress>
        <cbc:StreetName>Industrieweg 14</cbc:StreetName>
        <cbc:CityName>Zwolle</cbc:CityName>
        <cbc:PostalZone>8013 NB</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      ${vat ? `<cac:PartyTaxScheme><cbc:CompanyID>${vat}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>` : ''}
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>${esc(name)}</cbc:RegistrationName>
        ${kvk ? `<cbc:CompanyID schemeID="0106">${kvk}</cbc:CompanyID>` : ''}
      </cac:PartyLegalEntity>
    </cac:Party>`;
}

/** A UBL 2.1 Invoice (Peppol BIS Billing 3.0) or, with `creditNote`, an SI-UBL 2.0 CreditNote. */
export function ublXml(f: InvoiceFacts = SAMPLE_INVOICE, opts: { creditNote?: boolean } = {}): string {
  const root = opts.creditNote ? 'CreditNote' : 'Invoice';
  const lineEl = opts.creditNote ? 'CreditNoteLine' : 'InvoiceLine';
  const qtyEl = opts.creditNote ? 'CreditedQuantity' : 'InvoicedQuantity';
  const custom = opts.creditNote ? 'urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0' : 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0';
  return `<?xml version="1.0" encoding="UTF-8"?>
<${root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:${root}-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>${custom}</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>${esc(f.number)}</cbc:ID>
  <cbc:IssueDate>${f.issueDate}</cbc:IssueDate>
  ${opts.creditNote ? '' : `<cbc:DueDate>${f.dueDate}</cbc:DueDate>`}
  <cbc:${opts.creditNote ? 'CreditNoteTypeCode>381</cbc:CreditNoteTypeCode' : 'InvoiceTypeCode>380</cbc:InvoiceTypeCode'}>
  <cbc:Note>Betaling binnen 30 dagen.</cbc:Note>
  <cbc:DocumentCurrencyCode>${f.currency}</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>${esc(f.buyerId)}</cbc:BuyerReference>
  <cac:AccountingSupplierParty>${ublParty(f.sellerName, f.sellerVat, f.sellerKvk, null)}</cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>${ublParty(f.buyerName, null, null, f.buyerId)}</cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode name="Credit transfer">30</cbc:PaymentMeansCode>
    ${opts.creditNote ? `<cbc:PaymentDueDate>${f.dueDate}</cbc:PaymentDueDate>` : ''}
    <cbc:PaymentID>${esc(f.number)}</cbc:PaymentID>
    <cac:PayeeFinancialAccount><cbc:ID>${f.iban}</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="${f.currency}">${amt(f.tax)}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="${f.currency}">${amt(f.taxExclusive)}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="${f.currency}">${amt(f.tax)}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="${f.currency}">${amt(f.taxExclusive)}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="${f.currency}">${amt(f.taxExclusive)}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="${f.currency}">${amt(f.payable)}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="${f.currency}">${amt(f.payable)}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  ${f.lines
    .map(
      (l, i) => `<cac:${lineEl}>
    <cbc:ID>${i + 1}</cbc:ID>
    <cbc:${qtyEl} unitCode="C62">${l.qty}</cbc:${qtyEl}>
    <cbc:LineExtensionAmount currencyID="${f.currency}">${amt(l.qty * l.price)}</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>${esc(l.name)}</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="${f.currency}">${amt(l.price)}</cbc:PriceAmount></cac:Price>
  </cac:${lineEl}>`,
    )
    .join('\n  ')}
</${root}>
`;
}

const d102 = (iso: string) => iso.replace(/-/g, '');

/** A Cross Industry Invoice in the Factur-X EN 16931 profile. */
export function ciiXml(f: InvoiceFacts = SAMPLE_INVOICE): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>${esc(f.number)}</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">${d102(f.issueDate)}</udt:DateTimeString></ram:IssueDateTime>
    <ram:IncludedNote><ram:Content>Zahlbar innerhalb von 30 Tagen.</ram:Content></ram:IncludedNote>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    ${f.lines
      .map(
        (l, i) => `<ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>${i + 1}</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>${esc(l.name)}</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>${amt(l.price)}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">${l.qty}.0000</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>21</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>${amt(l.qty * l.price)}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>`,
      )
      .join('\n    ')}
    <ram:ApplicableHeaderTradeAgreement>
      <ram:BuyerReference>${esc(f.buyerId)}</ram:BuyerReference>
      <ram:SellerTradeParty>
        <ram:Name>${esc(f.sellerName)}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0106">${f.sellerKvk}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:PostcodeCode>8013 NB</ram:PostcodeCode><ram:LineOne>Industrieweg 14</ram:LineOne><ram:CityName>Zwolle</ram:CityName><ram:CountryID>NL</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">${f.sellerVat}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:ID>${esc(f.buyerId)}</ram:ID>
        <ram:Name>${esc(f.buyerName)}</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>3511 AX</ram:PostcodeCode><ram:LineOne>Oudegracht 112</ram:LineOne><ram:CityName>Utrecht</ram:CityName><ram:CountryID>NL</ram:CountryID></ram:PostalTradeAddress>
      </ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:PaymentReference>${esc(f.number)}</ram:PaymentReference>
      <ram:InvoiceCurrencyCode>${f.currency}</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>58</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>${f.iban}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>${amt(f.tax)}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>${amt(f.taxExclusive)}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>21</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">${d102(f.dueDate)}</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>${amt(f.taxExclusive)}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>${amt(f.taxExclusive)}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="${f.currency}">${amt(f.tax)}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>${amt(f.payable)}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>${amt(f.payable)}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
`;
}

/**
 * A Factur-X style PDF: a readable page whose printed figures differ on purpose from nothing,
 * plus the CII XML attached as factur-x.xml with AFRelationship /Data and listed in /AF.
 * `printedTotal` lets a test print a different total on the page than the XML carries, to
 * prove that key points come from the XML.
 */
export async function facturXPdf(xml: string, opts: { printedTotal?: string; attachmentName?: string } = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595.28, 841.89]);
  const lines = ['RECHNUNG / FACTUUR', `Rechnungsnummer: ${SAMPLE_INVOICE.number}`, 'Rechnungsdatum: 12.11.2026', `Gesamtbetrag: ${opts.printedTotal ?? '1.657,26 EUR'}`, 'Kundennummer: KL-000123'];
  lines.forEach((l, i) => page.drawText(l, { x: 60, y: 760 - i * 18, size: 11, font }));
  await doc.attach(new TextEncoder().encode(xml), opts.attachmentName ?? 'factur-x.xml', { mimeType: 'text/xml', description: 'Factur-X invoice', creationDate: new Date(0), modificationDate: new Date(0) });
  const bytes = await doc.save();
  // pdf-lib 1.17 cannot set AFRelationship: add it and the catalog's /AF as PDF/A-3 wants.
  const again = await PDFDocument.load(bytes);
  const names = again.catalog.lookup(PDFName.of('Names'), PDFDict).lookup(PDFName.of('EmbeddedFiles'), PDFDict).lookup(PDFName.of('Names'), PDFArray);
  const specRef = names.get(1);
  const spec = again.context.lookup(specRef, PDFDict);
  spec.set(PDFName.of('AFRelationship'), PDFName.of('Data'));
  again.catalog.set(PDFName.of('AF'), again.context.obj([specRef]));
  return again.save();
}
