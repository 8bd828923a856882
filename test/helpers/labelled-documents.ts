/**
 * A labelled set of business documents of every canonical type, with the truth for each field,
 * generated (never committed) for the detection evaluation and its test.
 */
export type Labelled = {
  type: string;
  customerId: string;
  number: string | null;
  docDate: string;
  total: number | null;
  lines: string[];
};

const CUSTOMERS = [
  { id: 'KL-000123', name: 'Bakkerij De Gouden Korst B.V.', street: 'Oudegracht 112', city: '3511 AX Utrecht' },
  { id: 'KL-000124', name: 'Van Dijk Installatietechniek', street: 'Industrieweg 8', city: '2712 LB Zoetermeer' },
  { id: 'KL-000125', name: 'Zorggroep Het Baken', street: 'Kerkstraat 3', city: '6811 DL Arnhem' },
  { id: 'KL-000126', name: 'Jansen & Zn. Transport', street: 'Havenweg 41', city: '5048 AV Tilburg' },
  { id: 'KL-000127', name: "Café 't Hoekje", street: 'Markt 1', city: '4811 WJ Breda' },
];
export const CUSTOMER_NAMES: Record<string, string> = Object.fromEntries(CUSTOMERS.map((c) => [c.id, c.name]));
const MONTHS = ['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus', 'september', 'oktober', 'november', 'december'];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const money = (n: number) => n.toFixed(2).replace('.', ',').replace(/\B(?=(\d{3})+(?!\d))/g, '.');

/** `perType` documents of each canonical type, deterministic for a seed. */
export function labelledSet(perType: number, seed = 1): Labelled[] {
  const r = rng(seed);
  const out: Labelled[] = [];
  for (let i = 0; i < perType; i++) {
    const c = CUSTOMERS[Math.floor(r() * CUSTOMERS.length)];
    const day = 1 + Math.floor(r() * 28);
    const month = Math.floor(r() * 12);
    const year = 2023 + Math.floor(r() * 4);
    const docDate = `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    const written = `${day} ${MONTHS[month]} ${year}`;
    const total = Math.round(r() * 2_000_000) / 100;
    const seq = String(100 + Math.floor(r() * 9000));
    const head = [c.name, c.street, c.city, `Klantnummer: ${c.id}`, `Datum: ${written}`];
    out.push(
      { type: 'quote', customerId: c.id, number: `OF-${year}-${seq}`, docDate, total, lines: [...head, `OFFERTE OF-${year}-${seq}`, 'Hierbij ontvangt u onze prijsopgave.', `Totaal excl. btw: EUR ${money(total)}`, `Geldig tot: 31 december ${year}`] },
      { type: 'order', customerId: c.id, number: `ORD-${year}-${seq}`, docDate, total, lines: [...head, `ORDERBEVESTIGING ORD-${year}-${seq}`, 'Wij bevestigen uw bestelling.', `Totaal: EUR ${money(total)}`, 'Leverdatum volgens afspraak.'] },
      { type: 'service-contract', customerId: c.id, number: `SC-${year}-${seq}`, docDate, total: null, lines: [...head, `SERVICECONTRACT SC-${year}-${seq}`, 'Onderhoudscontract voor uw installaties.', `Looptijd tot en met 31-12-${year + 2}`, 'Opzegtermijn drie maanden.'] },
      { type: 'sla', customerId: c.id, number: `SLA-${year}-${seq}`, docDate, total: null, lines: [...head, `SERVICE LEVEL AGREEMENT SLA-${year}-${seq}`, 'Reactietijd storingen: 4 uur.', 'Oplostijd: 1 werkdag.'] },
      { type: 'service-call', customerId: c.id, number: `SM-${seq}${day}`, docDate, total: null, lines: [...head, `SERVICEMELDING SM-${seq}${day}`, 'Storing aan de koelinstallatie gemeld.', 'Monteur ingepland, prioriteit hoog.'] },
      { type: 'invoice', customerId: c.id, number: `F-${year}-${seq}`, docDate, total, lines: [...head, `FACTUUR F-${year}-${seq}`, `Factuurdatum: ${written}`, `Te betalen: EUR ${money(total)}`, 'Betalen binnen 30 dagen op IBAN NL00BANK0123456789.'] },
      { type: 'reply-coupon', customerId: c.id, number: null, docDate, total: null, lines: ['ANTWOORDCOUPON', `Klantnummer: ${c.id}`, c.name, 'Ja, ik wil graag meer informatie.', 'Kruis aan wat van toepassing is.', `Datum: ${written}`] },
      { type: 'letter', customerId: c.id, number: null, docDate, total: null, lines: [...head, 'Betreft: uw vraag over de levering', 'Geachte heer, mevrouw,', 'Dank voor uw bericht van vorige week.', 'Met vriendelijke groet,'] },
    );
  }
  return out;
}
