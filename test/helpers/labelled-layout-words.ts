/**
 * The words of the labelled layouts per language: titles and labels per document type (several
 * wordings each), date and amount notations, currencies, line items and letter bodies, and the
 * companies that send and receive them. Data for test/helpers/labelled-layouts.ts.
 */
import type { Lang } from './labelled-layouts.js';

export type Words = {
  titles: Record<string, string[]>;
  number: Record<string, string[]>;
  date: Record<string, string[]>;
  total: string[];
  subtotal: string;
  vat: (rate: number) => string;
  due: string[];
  customer: string[];
  vatLabel: string[];
  ibanLabel: string[];
  kvkLabel: string[];
  table: [string, string, string, string];
  items: string[];
  months: string[];
  dateForms: ((d: number, m: number, y: number, months: string[]) => string)[];
  money: ((n: number, cur: string) => string)[];
  currencies: string[];
  places: string[];
  letterDate: (place: string, date: string) => string;
  body: Record<string, string[]>;
  countries: string[];
};

export const pad = (n: number) => String(n).padStart(2, '0');
const group = (n: number, thousands: string, decimal: string) => {
  const [i, f] = n.toFixed(2).split('.');
  return `${i!.replace(/\B(?=(\d{3})+(?!\d))/g, thousands)}${decimal}${f}`;
};
const sym = (cur: string) => ({ EUR: '€', USD: '$', GBP: '£', CHF: 'CHF' })[cur] ?? cur;

export const WORDS: Record<Lang, Words> = {
  nl: {
    titles: { invoice: ['FACTUUR', 'Factuur'], quote: ['OFFERTE', 'Offerte'], order: ['ORDERBEVESTIGING', 'Orderbevestiging'], 'service-contract': ['SERVICECONTRACT', 'Onderhoudscontract'], 'service-call': ['SERVICEMELDING', 'Werkbon'] },
    number: { invoice: ['Factuurnummer', 'Factuurnr.', 'Factuur nr.'], quote: ['Offertenummer', 'Offerte nr.'], order: ['Ordernummer', 'Bestelnummer'], 'service-contract': ['Contractnummer'], 'service-call': ['Meldingsnummer', 'Werkbonnummer'] },
    date: { invoice: ['Factuurdatum', 'Datum'], quote: ['Offertedatum', 'Datum'], order: ['Orderdatum', 'Datum'], 'service-contract': ['Datum'], 'service-call': ['Datum melding', 'Datum'] },
    total: ['Totaal te betalen', 'Te betalen', 'Totaal incl. btw', 'Totaal'],
    subtotal: 'Subtotaal',
    vat: (r) => `Btw ${r}%`,
    due: ['Vervaldatum', 'Uiterste betaaldatum'],
    customer: ['Klantnummer', 'Debiteurnummer', 'Klantnr.'],
    vatLabel: ['Btw-nummer', 'BTW nr.', 'Btw-id'],
    ibanLabel: ['IBAN', 'IBAN'],
    kvkLabel: ['KvK', 'KvK-nummer', 'Kamer van Koophandel'],
    table: ['Omschrijving', 'Aantal', 'Prijs', 'Bedrag'],
    items: ['Onderhoud koelinstallatie', 'Vervangen filterset', 'Arbeidsloon monteur', 'Voorrijkosten', 'Softwarelicentie (jaar)', 'Advieswerkzaamheden'],
    months: ['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus', 'september', 'oktober', 'november', 'december'],
    dateForms: [(d, m, y, ms) => `${d} ${ms[m - 1]} ${y}`, (d, m, y) => `${pad(d)}-${pad(m)}-${y}`, (d, m, y) => `${y}-${pad(m)}-${pad(d)}`],
    money: [(n, c) => `${sym(c)} ${group(n, '.', ',')}`, (n, c) => `${c} ${group(n, '.', ',')}`, (n, c) => `${group(n, '.', ',')} ${c}`],
    currencies: ['EUR'],
    places: ['Amsterdam', 'Utrecht', 'Zwolle', 'Eindhoven'],
    letterDate: (p, d) => `${p}, ${d}`,
    body: { letter: ['Geachte heer, mevrouw,', 'Naar aanleiding van ons telefoongesprek stuur ik u', 'hierbij de gevraagde informatie over onze diensten.', 'Met vriendelijke groet,'], 'service-contract': ['Onderhoudscontract voor uw installaties.', 'Opzegtermijn drie maanden.'], 'service-call': ['Storing aan de koelinstallatie gemeld.', 'Monteur ingepland, prioriteit hoog.'] },
    countries: ['NL'],
  },
  en: {
    titles: { invoice: ['INVOICE', 'Invoice'], quote: ['QUOTATION', 'Quotation'], order: ['ORDER CONFIRMATION', 'Purchase Order'], 'service-contract': ['SERVICE CONTRACT', 'Maintenance contract'], 'service-call': ['SERVICE CALL', 'Service call'] },
    number: { invoice: ['Invoice number', 'Invoice No.', 'Invoice #'], quote: ['Quotation number', 'Quote number'], order: ['Order number', 'Order No.'], 'service-contract': ['Contract number'], 'service-call': ['Call number', 'Ticket number'] },
    date: { invoice: ['Invoice date', 'Date'], quote: ['Quote date', 'Date'], order: ['Order date', 'Date'], 'service-contract': ['Date'], 'service-call': ['Date'] },
    total: ['Amount due', 'Total due', 'Total', 'Balance due'],
    subtotal: 'Subtotal',
    vat: (r) => `VAT ${r}%`,
    due: ['Due date', 'Payment due'],
    customer: ['Customer number', 'Customer No.', 'Account number'],
    vatLabel: ['VAT number', 'VAT Reg No.', 'VAT No.'],
    ibanLabel: ['IBAN'],
    kvkLabel: [],
    table: ['Description', 'Qty', 'Unit price', 'Amount'],
    items: ['Maintenance visit', 'Replacement filter set', 'Engineer labour', 'Call-out charge', 'Software licence (annual)', 'Consultancy'],
    months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
    dateForms: [(d, m, y, ms) => `${ms[m - 1]} ${d}, ${y}`, (d, m, y, ms) => `${d} ${ms[m - 1]} ${y}`, (d, m, y) => `${pad(d)}/${pad(m)}/${y}`, (d, m, y, ms) => `${d} ${ms[m - 1]!.slice(0, 3)} ${y}`],
    money: [(n, c) => `${sym(c)}${group(n, ',', '.')}`, (n, c) => `${group(n, ',', '.')} ${c}`, (n, c) => `${c} ${group(n, ',', '.')}`],
    currencies: ['GBP', 'EUR', 'USD'],
    places: ['London', 'Manchester', 'Dublin'],
    letterDate: (p, d) => `${p}, ${d}`,
    body: { letter: ['Dear Sir or Madam,', 'Following our telephone conversation, please find', 'enclosed the information you asked for.', 'Kind regards,'], 'service-contract': ['Maintenance contract for your installations.', 'Notice period three months.'], 'service-call': ['Malfunction of the cooling unit reported.', 'Technician scheduled, priority high.'] },
    countries: ['GB', 'IE'],
  },
  de: {
    titles: { invoice: ['RECHNUNG', 'Rechnung'], quote: ['ANGEBOT', 'Angebot'], order: ['AUFTRAGSBESTÄTIGUNG', 'Bestellung'], 'service-contract': ['WARTUNGSVERTRAG', 'Servicevertrag'], 'service-call': ['STÖRUNGSMELDUNG', 'Störungsmeldung'] },
    number: { invoice: ['Rechnungsnummer', 'Rechnungs-Nr.'], quote: ['Angebotsnummer'], order: ['Auftragsnummer', 'Bestellnummer'], 'service-contract': ['Vertragsnummer'], 'service-call': ['Nummer'] },
    date: { invoice: ['Rechnungsdatum', 'Datum'], quote: ['Angebotsdatum', 'Datum'], order: ['Bestelldatum', 'Datum'], 'service-contract': ['Datum'], 'service-call': ['Datum'] },
    total: ['Gesamtbetrag', 'Rechnungsbetrag', 'Zu zahlen', 'Endbetrag'],
    subtotal: 'Zwischensumme',
    vat: (r) => `MwSt. ${r}%`,
    due: ['Fällig am', 'Zahlbar bis'],
    customer: ['Kundennummer', 'Kunden-Nr.'],
    vatLabel: ['USt-IdNr.', 'USt-ID'],
    ibanLabel: ['IBAN'],
    kvkLabel: [],
    table: ['Beschreibung', 'Menge', 'Einzelpreis', 'Betrag'],
    items: ['Wartung Kühlanlage', 'Filtersatz ersetzt', 'Arbeitszeit Techniker', 'Anfahrtspauschale', 'Softwarelizenz (jährlich)', 'Beratung'],
    months: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
    dateForms: [(d, m, y, ms) => `${d}. ${ms[m - 1]} ${y}`, (d, m, y) => `${pad(d)}.${pad(m)}.${y}`],
    money: [(n, c) => `${group(n, '.', ',')} ${sym(c)}`, (n, c) => `${group(n, '.', ',')} ${c}`, (n, c) => `${c} ${group(n, '.', ',')}`],
    currencies: ['EUR', 'EUR', 'CHF'],
    places: ['Berlin', 'Köln', 'München', 'Düsseldorf'],
    letterDate: (p, d) => `${p}, ${d}`,
    body: { letter: ['Sehr geehrte Damen und Herren,', 'wie telefonisch besprochen senden wir Ihnen', 'die gewünschten Informationen zu unseren Leistungen.', 'Mit freundlichen Grüßen'], 'service-contract': ['Wartungsvertrag für Ihre Anlagen.', 'Kündigungsfrist drei Monate.'], 'service-call': ['Störung der Kühlanlage gemeldet.', 'Techniker eingeplant, Priorität hoch.'] },
    countries: ['DE'],
  },
  fr: {
    titles: { invoice: ['FACTURE', 'Facture'], quote: ['DEVIS', 'Devis'], order: ['BON DE COMMANDE', 'Confirmation de commande'], 'service-contract': ['CONTRAT DE MAINTENANCE', 'Contrat de service'], 'service-call': ['INTERVENTION', 'Intervention'] },
    number: { invoice: ['N° de facture', 'Numéro de facture', 'Facture n°'], quote: ['Numéro de devis', 'Devis n°'], order: ['N° de commande', 'Numéro de commande'], 'service-contract': ['Numéro de contrat'], 'service-call': ['Numéro'] },
    date: { invoice: ['Date de facture', 'Date'], quote: ['Date du devis', 'Date'], order: ['Date de commande', 'Date'], 'service-contract': ['Date'], 'service-call': ['Date'] },
    total: ['Net à payer', 'Total TTC', 'Montant à payer', 'Montant TTC'],
    subtotal: 'Total HT',
    vat: (r) => `TVA ${r}%`,
    due: ["Date d'échéance", 'Échéance'],
    customer: ['N° client', 'Numéro client', 'Code client'],
    vatLabel: ['N° TVA', 'TVA intracommunautaire', 'Numéro de TVA'],
    ibanLabel: ['IBAN'],
    kvkLabel: [],
    table: ['Désignation', 'Qté', 'Prix unitaire', 'Montant'],
    items: ['Maintenance installation frigorifique', 'Remplacement des filtres', "Main-d'œuvre technicien", 'Frais de déplacement', 'Licence logicielle (annuelle)', 'Conseil'],
    months: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
    dateForms: [(d, m, y, ms) => `${d === 1 ? '1er' : d} ${ms[m - 1]} ${y}`, (d, m, y) => `${pad(d)}/${pad(m)}/${y}`],
    money: [(n, c) => `${group(n, ' ', ',')} ${sym(c)}`, (n, c) => `${group(n, ' ', ',')} ${c}`],
    currencies: ['EUR'],
    places: ['Paris', 'Lyon', 'Lille', 'Bruxelles'],
    letterDate: (p, d) => `${p}, le ${d}`,
    body: { letter: ['Madame, Monsieur,', 'Suite à notre conversation téléphonique, veuillez trouver', 'ci-joint les informations demandées.', 'Cordialement,'], 'service-contract': ['Contrat de maintenance de vos installations.', 'Préavis de trois mois.'], 'service-call': ['Panne de l’installation frigorifique signalée.', 'Technicien planifié, priorité haute.'] },
    countries: ['FR', 'BE'],
  },
};

export const COMPANIES: Record<Lang, { name: string; street: string; city: string }[]> = {
  nl: [
    { name: 'Koeltechniek Van der Meer B.V.', street: 'Industrieweg 14', city: '8013 NB Zwolle' },
    { name: 'De Vries Installatiegroep', street: 'Nijverheidsstraat 2', city: '5621 BE Eindhoven' },
    { name: 'Bakkerij De Gouden Korst B.V.', street: 'Oudegracht 112', city: '3511 AX Utrecht' },
  ],
  en: [
    { name: 'Northern Refrigeration Ltd', street: '12 Mill Lane', city: 'Manchester M4 6DE' },
    { name: 'Harbour Facilities Services plc', street: '3 Quay Street', city: 'Dublin D02 XR80' },
  ],
  de: [
    { name: 'Kältetechnik Schneider GmbH', street: 'Hafenstraße 21', city: '50667 Köln' },
    { name: 'Müller & Söhne Anlagenbau KG', street: 'Industriering 7', city: '40468 Düsseldorf' },
  ],
  fr: [
    { name: 'Froid Industriel Dupont SARL', street: '18 rue des Entrepreneurs', city: '69007 Lyon' },
    { name: 'Maintenance Lefèvre & Fils SAS', street: '4 avenue de la Gare', city: '59000 Lille' },
  ],
};
