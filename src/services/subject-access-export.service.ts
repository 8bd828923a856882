import { ZipFile } from 'yazl';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Database } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { mailMessagesRepository } from '../db/mail-messages.repository.js';
import { retentionRepository } from '../db/retention.repository.js';
import { statusRepository } from '../db/status.repository.js';
import { usersRepository } from '../db/users.repository.js';
import type { DocumentView } from '../domain/document.js';
import type { Principal } from '../domain/roles.js';
import type { OutputLang } from '../domain/output-language.js';
import { NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { toCustomerView } from './customers.service.js';
import { toDocumentView } from './documents.service.js';
import { addCouponReviews, couponPagesForExport, couponPagesIndex, couponReviewsForExport, couponReviewsIndex } from './subject-access-coupons.js';

const README_RIGHTS_NL = [
  'Uw rechten (AVG art. 15-22): u kunt ons vragen gegevens te corrigeren (art. 16), te wissen (art. 17)',
  'of de verwerking te beperken (art. 18), en u kunt bezwaar maken (art. 21). Sommige documenten moeten',
  'wettelijk een tijd bewaard blijven (bijvoorbeeld de bedrijfsadministratie: 7 jaar, AWR art. 52 en BW 2:10);',
  'de lijst van documenten noemt per document hoe lang het bewaard wordt en op welke wettelijke grondslag.',
  'U kunt een klacht indienen bij de Autoriteit Persoonsgegevens (autoriteitpersoonsgegevens.nl).',
];

/** The words of the export's README.txt and index.html: Dutch for Dutch data subjects by default, English on request. */
const EXPORT_TEXTS = {
  nl: {
    heading: 'Inzageverzoek: uw gegevens',
    title: (id: string, name: string) => `Inzage-export voor klant ${id} (${name})`,
    generated: (at: string, by: string) => `Gemaakt op ${at} door ${by} (Dossierlink), AVG art. 15.`,
    holds: 'Wat dit archief bevat:',
    files: [
      '  index.html             hetzelfde overzicht, leesbaar in een browser, met links',
      '  customer.json          het klantrecord zoals Dossierlink het bewaart (het CRM is leidend)',
      '  documents.json         de gegevens van elk document: type, data, kerngegevens, klasse, plaats, bewaartermijn',
      '  documents/NNN-<id>/    per document: metadata.json, original.* (het gescande of geüploade bestand), text.txt (herkende tekst)',
      '  status-variables.json  statusvariabelen (bijv. brief verstuurd, antwoord ontvangen) met hun geschiedenis',
      '  mailings.json          brieven die aan de klant zijn gestuurd en de antwoorden',
      '  e-mails.json, e-mails/ ontvangen e-mails (afzender, onderwerp, datum, documenten) en per e-mail het bericht zelf (.eml)',
      '  access-log.json        wie wat heeft bekeken of gewijzigd, uit het manipulatiebestendige auditlog',
    ],
    count: (n: number, orig: number, paper: number) => `Documenten: ${n} (${orig} met een digitaal origineel, ${paper} op papier).`,
    list: 'Documenten (datum, type, titel, bewaartermijn):',
    keptUntil: 'bewaard tot',
    after: (period: string, trigger: string) => `${period} na ${trigger}`,
    paperHead: 'Papieren originelen (niet gescand; bewaard in het archief):',
    at: 'ligt in',
    notFiled: 'niet opgeborgen',
    none: 'geen',
    missing: 'Ontbreekt in de opslag (genoemd, niet bijgevoegd):',
    log: (n: number) => `Inzagelog: ${n} gebeurtenissen (access-log.json).`,
    rights: README_RIGHTS_NL,
    customer: 'Klant',
    record: 'Klantrecord',
    fields: { Name: 'Naam', KvK: 'KvK', Email: 'E-mail', Address: 'Adres', Postcode: 'Postcode', City: 'Plaats', 'Processing restricted': 'Verwerking beperkt' } as Record<string, string>,
    yes: 'ja',
    no: 'nee',
    documents: 'Documenten',
    cols: ['Datum', 'Type', 'Titel', 'Medium', 'Waar', 'Bewaard tot', 'Wettelijke grondslag', 'Bestanden'],
    paper: 'papier',
    digital: 'digitaal',
    links: ['gegevens', 'origineel', 'tekst'],
    statuses: 'Statusvariabelen',
    statusCols: ['Naam', 'Waarde', 'Gezet'],
    letters: 'Verstuurde brieven',
    letterCols: ['Mailing', 'Barcode', 'Verstuurd', 'Antwoord'],
    access: 'Inzagelog',
    accessCols: ['Wanneer', 'Wie', 'Wat', 'Onderwerp'],
  },
  en: {
    heading: 'Subject-access export',
    title: (id: string, name: string) => `Subject-access export for customer ${id} (${name})`,
    generated: (at: string, by: string) => `Generated ${at} by ${by} (Dossierlink), GDPR art. 15.`,
    holds: 'What this archive holds:',
    files: [
      '  index.html             the same overview, readable in a browser, with links',
      '  customer.json          the customer record as Dossierlink holds it (the CRM is leading)',
      "  documents.json         every document's metadata: type, dates, key points, class, location, retention",
      '  documents/NNN-<id>/    per document: metadata.json, original.* (the scanned or uploaded file), text.txt (recognised text)',
      '  status-variables.json  status variables (e.g. letter sent, reply received) with their history',
      '  mailings.json          letters mailed to the customer and the replies',
      '  e-mails.json, e-mails/ e-mails received (sender, subject, date, documents) and each message itself (.eml)',
      '  access-log.json        who viewed or changed what, from the tamper-evident audit log',
    ],
    count: (n: number, orig: number, paper: number) => `Documents: ${n} (${orig} with a digital original, ${paper} on paper).`,
    list: 'Documents (date, type, title, retention):',
    keptUntil: 'kept until',
    after: (period: string, trigger: string) => `${period} after ${trigger}`,
    paperHead: 'Paper originals (not scanned; kept in the archive):',
    at: 'at:',
    notFiled: 'not filed',
    none: 'none',
    missing: 'Missing from storage (listed, not included):',
    log: (n: number) => `Access log: ${n} events (access-log.json).`,
    rights: [] as string[],
    customer: 'Customer',
    record: 'Customer record',
    fields: {} as Record<string, string>,
    yes: 'yes',
    no: 'no',
    documents: 'Documents',
    cols: ['Date', 'Type', 'Title', 'Medium', 'Where', 'Kept until', 'Legal basis', 'Files'],
    paper: 'paper',
    digital: 'digital',
    links: ['metadata', 'original', 'text'],
    statuses: 'Status variables',
    statusCols: ['Name', 'Value', 'Set'],
    letters: 'Letters mailed',
    letterCols: ['Mailing', 'Barcode', 'Sent', 'Reply'],
    access: 'Access log',
    accessCols: ['When', 'Who', 'What', 'Subject'],
  },
};

const README_RIGHTS = [
  'Your rights (GDPR art. 15-22): you may ask us to correct data (art. 16), to erase it (art. 17),',
  'to restrict its processing (art. 18) and you may object (art. 21). Some documents must be kept',
  'by law for a period (for example business records: 7 years, AWR art. 52 and BW 2:10); the',
  'list of documents says per document how long it is kept and on which legal basis. You may',
  'lodge a complaint with the Autoriteit Persoonsgegevens (autoriteitpersoonsgegevens.nl).',
];

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const EXT: Record<string, string> = { 'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg', 'image/tiff': 'tif' };

/**
 * The subject-access export (GDPR art. 15). Split from SubjectRightsService (which keeps erasure
 * and restriction, and delegates here) because what goes in the zip and how it reads change for
 * other reasons than what an erasure removes.
 */
export class SubjectAccessExport {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Builds the subject-access export: an index (README.txt and index.html), the customer, every
   * document's metadata, text and original, paper with its location, status variables, letters
   * mailed, and the access log. Originals are streamed from the store as the zip is read.
   */
  async accessExport(customerId: string, actor: Principal, lang: OutputLang = 'nl'): Promise<{ filename: string; zip: ZipFile; counts: Record<string, number> }> {
    const L = { ...EXPORT_TEXTS[lang], rights: lang === 'nl' ? README_RIGHTS_NL : README_RIGHTS };
    const row = await customersRepository.get(this.db, customerId);
    if (!row) throw new NotFound('customer', customerId);
    const generatedAt = nowIso(this.clock);
    const docs = await documentsRepository.byCustomer(this.db, customerId);
    const views: DocumentView[] = [];
    for (const d of docs) views.push(await toDocumentView(this.db, d));
    const history = await statusRepository.history(this.db, customerId);
    const statuses = (await statusRepository.byCustomer(this.db, customerId)).map((s) => ({
      name: s.name,
      value: s.value,
      detail: JSON.parse(s.detail) as unknown,
      setAt: s.set_at,
      source: s.source,
      history: history.filter((h) => h.name === s.name).map((h) => ({ value: h.value, setAt: h.set_at, detail: JSON.parse(h.detail) as unknown })),
    }));
    const letters = (await retentionRepository.lettersForCustomer(this.db, customerId)).map((l) => ({
      barcode: l.barcode,
      // The number the letter went to: a merged-away number when the mailing reached both customers.
      customerId: l.customer_id,
      mailing: l.mailing_name,
      sentAt: l.sent_at,
      repliedAt: l.replied_at,
      answer: l.answer,
      replyVia: l.reply_via,
      replyDocumentId: l.reply_document_id,
    }));
    const messages = [];
    for (const m of await mailMessagesRepository.liveForCustomer(this.db, customerId)) {
      messages.push({
        id: m.id,
        messageId: m.message_id,
        sender: m.sender,
        subject: m.subject,
        receivedAt: m.received_at,
        storedAt: m.created_at,
        size: m.eml_size,
        sha256: m.eml_sha256,
        documents: (await mailMessagesRepository.documents(this.db, m.id)).map((d) => ({ documentId: d.document_id, name: d.name })),
        file: `e-mails/${String(messages.length + 1).padStart(3, '0')}-${m.id.slice(0, 16)}.eml`,
      });
    }
    const reviews = await couponReviewsForExport(this.db, this.store, customerId);
    const couponPages = await couponPagesForExport(this.db, customerId);
    const counts = { couponReviews: reviews.items.length, couponPages: couponPages.length, mailMessages: messages.length, documents: docs.length, paper: docs.filter((d) => d.barcode).length, originals: docs.filter((d) => d.original_sha256).length, statuses: statuses.length, letters: letters.length, accessLog: 0 };
    // The export itself is an access: recorded first, so it is in the log it ships.
    await this.audit.recordNow({ actorId: actor.id, action: 'customer.subject-access', subjectType: 'customer', subjectId: customerId, customerId, details: { ...counts, generatedAt } });
    const names = new Map<string, string>();
    const name = async (id: string | null) => {
      if (!id) return 'system';
      if (!names.has(id)) names.set(id, (await usersRepository.get(this.db, id))?.name ?? id);
      return names.get(id)!;
    };
    const log = [];
    for (const e of await retentionRepository.auditForCustomer(this.db, customerId, 100_000)) {
      log.push({ seq: e.seq, at: e.at, by: await name(e.actor_id), action: e.action, subjectType: e.subject_type, subjectId: e.subject_id });
    }
    counts.accessLog = log.length;
    const customer = toCustomerView(row);

    const zip = new ZipFile();
    const mtime = new Date(generatedAt);
    const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + '\n', 'utf8');
    const folders = new Map<string, string>();
    views.forEach((v, i) => folders.set(v.id, `documents/${String(i + 1).padStart(3, '0')}-${v.id}`));
    const originals: { path: string; sha: string | null; present: boolean }[] = [];
    for (const d of docs) {
      const folder = folders.get(d.id)!;
      const view = views.find((v) => v.id === d.id)!;
      zip.addBuffer(json(view), `${folder}/metadata.json`, { mtime });
      const pages = d.original_sha256 ? await documentsRepository.pages(this.db, d.id) : [];
      if (pages.length) zip.addBuffer(Buffer.from(pages.map((p) => p.text).join('\n\f'), 'utf8'), `${folder}/text.txt`, { mtime });
      if (d.original_sha256) {
        const sha = d.original_sha256;
        const present = (await this.store.stat(sha)) !== null;
        const file = `${folder}/original.${EXT[d.original_mime ?? ''] ?? 'bin'}`;
        originals.push({ path: file, sha, present });
        if (present) {
          zip.addReadStreamLazy(file, { mtime, compress: false }, (cb) => {
            this.store.getStream(sha).then((s) => cb(null, s), (err: unknown) => cb(err, undefined as never));
          });
        }
      }
    }
    for (const m of messages) {
      const present = (await this.store.stat(m.sha256)) !== null;
      originals.push({ path: m.file, sha: m.sha256, present });
      if (present) {
        zip.addReadStreamLazy(m.file, { mtime }, (cb) => {
          this.store.getStream(m.sha256).then((s) => cb(null, s), (err: unknown) => cb(err, undefined as never));
        });
      }
    }
    addCouponReviews(zip, this.store, reviews, mtime);
    originals.push(...reviews.stored);
    zip.addBuffer(json(couponPages), 'coupon-pages.json', { mtime });
    zip.addBuffer(json(messages), 'e-mails.json', { mtime });
    zip.addBuffer(json(customer), 'customer.json', { mtime });
    zip.addBuffer(json(views), 'documents.json', { mtime });
    zip.addBuffer(json(statuses), 'status-variables.json', { mtime });
    zip.addBuffer(json(letters), 'mailings.json', { mtime });
    zip.addBuffer(json(log), 'access-log.json', { mtime });

    const couponIndex = couponReviewsIndex(lang, reviews.items, reviews.stored, esc);
    const pageIndex = couponPagesIndex(lang, couponPages, esc);
    const paper = views.filter((v) => v.barcode);
    const kept = (v: DocumentView) => v.retention.endsOn ?? L.after(v.retention.period, v.retention.trigger);
    const lines = [
      L.title(customer.id, customer.name),
      L.generated(generatedAt, await name(actor.id)),
      '',
      L.holds,
      ...L.files,
      ...couponIndex.files,
      ...pageIndex.files,
      '',
      L.count(docs.length, counts.originals, paper.length),
      '',
      L.list,
      ...views.map((v) => `  ${v.docDate ?? '----------'}  ${v.type.padEnd(16)} ${v.title}  [${L.keptUntil} ${kept(v)}; ${v.retention.legalBasis}]  ${folders.get(v.id)}/`),
      '',
      L.paperHead,
      ...(paper.length ? paper.map((v) => `  ${v.barcode}  ${v.title}  ${L.at} ${v.location?.path ?? L.notFiled}`) : [`  ${L.none}`]),
      '',
      ...couponIndex.readme,
      '',
      ...pageIndex.readme,
      '',
      ...(originals.some((o) => !o.present) ? [L.missing, ...originals.filter((o) => !o.present).map((o) => `  ${o.path} (sha256 ${o.sha})`), ''] : []),
      L.log(log.length),
      '',
      ...L.rights,
      '',
    ];
    zip.addBuffer(Buffer.from(lines.join('\r\n'), 'utf8'), 'README.txt', { mtime });

    const row_ = (cells: unknown[]) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
    const head = (cols: string[]) => `<tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
    const record = { Name: customer.name, KvK: customer.kvk, Email: customer.email, Address: customer.address, Postcode: customer.postcode, City: customer.city, 'Processing restricted': customer.restricted ? L.yes : L.no };
    const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${esc(L.heading)} ${esc(customer.id)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;width:100%;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top;font-size:90%}</style></head><body>
<h1>${esc(L.heading)}</h1>
<p>${esc(L.customer)} <b>${esc(customer.id)}</b>, ${esc(customer.name)}. ${esc(L.generated(generatedAt, await name(actor.id)))}</p>
<h2>${esc(L.record)}</h2><table>${Object.entries(record).map(([k, v]) => row_([esc(L.fields[k] ?? k), esc(v)])).join('')}</table>
<h2>${esc(L.documents)} (${views.length})</h2><table>${head(L.cols)}
${views
  .map((v) => {
    const f = folders.get(v.id)!;
    const orig = originals.find((o) => o.path.startsWith(`${f}/`));
    const files = [`<a href="${esc(f)}/metadata.json">${L.links[0]}</a>`, orig?.present ? `<a href="${esc(orig.path)}">${L.links[1]}</a>` : '', v.original ? `<a href="${esc(f)}/text.txt">${L.links[2]}</a>` : ''].filter(Boolean).join(' · ');
    return row_([esc(v.docDate), esc(v.type), esc(v.title), v.barcode ? `${L.paper} ${esc(v.barcode)}` : L.digital, esc(v.location?.path ?? (v.barcode ? L.notFiled : '')), esc(kept(v)), esc(v.retention.legalBasis), files]);
  })
  .join('\n')}</table>
<h2>${esc(L.statuses)} (${statuses.length})</h2><table>${head(L.statusCols)}${statuses.map((s) => row_([esc(s.name), esc(s.value), esc(s.setAt)])).join('')}</table>
<h2>${esc(L.letters)} (${letters.length})</h2><table>${head(L.letterCols)}${letters.map((l) => row_([esc(l.mailing), esc(l.barcode), esc(l.sentAt), esc(l.repliedAt ? `${l.repliedAt} ${l.answer ?? ''}` : '')])).join('')}</table>
${couponIndex.html}
${pageIndex.html}
<h2>${esc(L.access)} (${log.length})</h2><table>${head(L.accessCols)}${log.map((e) => row_([esc(e.at), esc(e.by), esc(e.action), esc(`${e.subjectType} ${e.subjectId ?? ''}`)])).join('')}</table>
<p>${L.rights.map(esc).join(' ')}</p></body></html>\n`;
    zip.addBuffer(Buffer.from(html, 'utf8'), 'index.html', { mtime });
    zip.end();
    return { filename: `subject-access-${customer.id}-${generatedAt.slice(0, 10)}.zip`, zip, counts };
  }
}
