import { randomBytes } from 'node:crypto';
import { readFile, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import type { StoredObject } from '../adapters/object-store/object-store.js';
import { makeTextPdf } from '../adapters/pdf/text-pdf.js';
import { customersRepository } from '../db/customers.repository.js';
import type { Queryable } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { instanceRepository } from '../db/instance.repository.js';
import { locationsRepository } from '../db/locations.repository.js';
import { mailingsRepository } from '../db/mailings.repository.js';
import { requestsRepository } from '../db/requests.repository.js';
import { searchRepository } from '../db/search.repository.js';
import { sequencesRepository } from '../db/sequences.repository.js';
import { trackingRepository } from '../db/tracking.repository.js';
import { makeBarcode } from '../domain/barcode.js';
import { newId } from '../domain/ids.js';
import type { KeyPoints } from '../domain/document.js';
import type { Role } from '../domain/roles.js';
import { defaultDueBackOn, isContainerKind } from '../domain/tracking.js';
import type { Dossierlink } from '../dossierlink.js';
import { nowIso, today } from '../services/clock.js';
import { buildDocument } from '../services/document-records.js';
import { placeRef } from '../services/documents.service.js';
import { releasePins } from '../services/object-guard.js';

type DemoDoc = {
  paper?: boolean;
  customerId: string;
  type: string;
  title: string;
  docDate: string;
  fields: KeyPoints;
  text?: string[];
  location?: string;
  /** Demo user (by name) who has the paper checked out, and when it is due back relative to today. */
  checkedOut?: { to: string; dueInDays: number };
  /** Demo user (by name) with an open request for the paper. */
  requestedBy?: string;
};
type DemoData = {
  customers: { id: string; name: string; kvk?: string; email?: string; address?: string; postcode?: string; city?: string; attributes?: Record<string, unknown> }[];
  locations: { key: string; kind: string; name: string; parent?: string }[];
  documents: DemoDoc[];
  /** Numbered mailings (issue #6), marked sent; a reply links the paper coupon registered above by its title. */
  mailings?: { name: string; customerIds: string[]; sentOn: string; replies: { customerId: string; answer: string; document: string }[] }[];
};

const DEMO_FILE = new URL('../../../samples/demo.json', import.meta.url);
const DEMO_FILE_TSX = new URL('../../samples/demo.json', import.meta.url);

const DEMO_USERS: { name: string; roles: Role[]; username: string }[] = [
  { name: 'Mila (mailroom)', roles: ['mailroom'], username: 'mila' },
  { name: 'Chris (CRM user)', roles: ['crm'], username: 'chris' },
  { name: 'Cora (compliance)', roles: ['compliance'], username: 'cora' },
  { name: 'Connor (second compliance officer)', roles: ['compliance'], username: 'connor' },
  { name: 'Ada (admin)', roles: ['admin'], username: 'ada' },
];

async function loadDemoData(): Promise<DemoData> {
  const text = await readFile(DEMO_FILE, 'utf8').catch(() => readFile(DEMO_FILE_TSX, 'utf8'));
  return JSON.parse(text) as DemoData;
}

/** Demo users: a bearer token (as before) and, since issue #16, a username and password for the sign-in page. */
export type DemoTokens = { name: string; roles: Role[]; token: string; username: string; password: string }[];

/** True when the data dir has never been used: no customers and no users. */
export async function isEmpty(dl: Dossierlink): Promise<boolean> {
  return instanceRepository.isUnused(dl.db);
}

/**
 * Loads the demo data set: customers, an archive of locations, users for each role (tokens
 * written to `<data dir>/demo-tokens.json`, readable by the owner only), dynamic documents with
 * a born-digital PDF and their text, and static paper with barcodes on the shelves.
 */
export async function seedDemo(dl: Dossierlink): Promise<DemoTokens> {
  const data = await loadDemoData();
  const system = { id: 'demo-seed', name: 'Demo seed', roles: ['admin'] as Role[] };
  const tokens: DemoTokens = [];
  const userIds = new Map<string, string>();
  for (const u of DEMO_USERS) {
    const created = await dl.services.users.create({ name: u.name, roles: u.roles }, null);
    // Random, like the tokens: a demo reachable from a network must not have well-known passwords.
    const password = randomBytes(9).toString('base64url');
    await dl.services.users.addPasswordSignIn(created.id, u.username, password, null);
    tokens.push({ name: created.name, roles: created.roles, token: created.token!, username: u.username, password });
    userIds.set(created.name, created.id);
  }
  const scopes = await dl.services.scopes.active();
  // Object-store writes happen first: if seeding dies half-way, only unreferenced content-addressed blobs remain.
  const pdfs = new Map<DemoDoc, StoredObject>();
  for (const d of data.documents) {
    if (d.paper || !d.text) continue;
    const bytes = await makeTextPdf([d.text], { title: d.title });
    const stored = await dl.store.putBuffer(bytes, { contentType: 'application/pdf' });
    pdfs.set(d, stored);
  }
  await dl.db.tx(async (q) => {
    const now = nowIso(dl.clock);
    // The documents below refer to the PDFs from this commit on: their writes' pins can go.
    await releasePins(q, ...pdfs.values());
    for (const c of data.customers) await customersRepository.upsert(q, c.id, c, now);
    const locIds = new Map<string, string>();
    for (const l of data.locations) {
      const id = newId('loc', dl.clock.now().getTime());
      // Boxes and folders are containers (C codes); fixed places get L codes.
      const container = isContainerKind(l.kind);
      await locationsRepository.insert(q, {
        id,
        barcode: makeBarcode(container ? 'container' : 'location', await sequencesRepository.next(q, container ? 'barcode.container' : 'barcode.location')),
        kind: l.kind,
        name: l.name,
        parent_id: l.parent ? locIds.get(l.parent)! : null,
        created_at: now,
      });
      locIds.set(l.key, id);
    }
    for (const d of data.documents) {
      const stored = pdfs.get(d);
      const barcode = d.paper ? makeBarcode('document', await sequencesRepository.next(q, 'barcode.document')) : null;
      const doc = await buildDocument(
        q,
        {
          customerId: d.customerId,
          type: d.type,
          title: d.title,
          docDate: d.docDate,
          fields: d.fields,
          status: 'ready',
          source: 'demo',
          createdBy: system.id,
          barcode,
          forceClass: d.paper ? 'static' : undefined,
          original: stored ? { sha256: stored.sha256, mime: 'application/pdf', name: `${d.title}.pdf`, size: stored.size } : undefined,
        },
        scopes,
        dl.clock,
      );
      if (d.location) doc.location_id = locIds.get(d.location) ?? null;
      if (stored) doc.page_count = 1;
      await documentsRepository.insert(q, doc);
      if (barcode) await seedTracking(q, dl, doc.id, barcode, d, userIds, system.id, now);
      if (d.text) {
        await documentsRepository.replacePages(q, doc.id, [{ pageNo: 1, text: d.text.join('\n'), source: 'text-layer', confidence: null }]);
        await searchRepository.index(q, doc.id, doc.title, d.text.join('\n'));
      }
    }
    await dl.services.audit.record(q, { actorId: system.id, action: 'demo.seed', subjectType: 'system', details: { customers: data.customers.length, documents: data.documents.length } });
  });
  for (const m of data.mailings ?? []) await seedMailing(dl, m, system);
  const file = path.join(dl.config.dataDir, 'demo-tokens.json');
  await writeFile(file, JSON.stringify(tokens, null, 2));
  await chmod(file, 0o600);
  return tokens;
}

/** A demo mailing, sent, with its replies linked to paper coupons the demo already has. */
async function seedMailing(dl: Dossierlink, m: NonNullable<DemoData['mailings']>[number], actor: { id: string; name: string; roles: Role[] }) {
  const created = await dl.services.mailings.create({ name: m.name, customerIds: m.customerIds }, actor);
  await dl.services.mailings.markSent(created.id, actor, m.sentOn);
  for (const r of m.replies) {
    const doc = (await documentsRepository.byCustomer(dl.db, r.customerId)).find((d) => d.title === r.document);
    const barcode = created.letters.find((l) => l.customerId === r.customerId)?.barcode;
    if (!doc || !barcode) throw new Error(`demo.json: reply of ${r.customerId} names no demo letter or document ${JSON.stringify(r.document)}`);
    await dl.db.tx(async (q) =>
      dl.services.coupons.receive(q, (await mailingsRepository.letterByBarcode(q, barcode))!, { via: 'scan', answer: r.answer, original: null, actorId: actor.id, documentId: doc.id }),
    );
  }
}

/** Gives demo paper a history: filed where it is, checked out or requested where the data says so. */
async function seedTracking(q: Queryable, dl: Dossierlink, documentId: string, barcode: string, d: DemoDoc, users: Map<string, string>, actor: string, now: string) {
  const userId = (name: string) => {
    const id = users.get(name);
    if (!id) throw new Error(`demo.json names an unknown demo user ${JSON.stringify(name)}`);
    return id;
  };
  const base = { at: now, actor_id: actor, item_type: 'document' as const, barcode, document_id: documentId, location_id: null, from_user_id: null, via_barcode: null, request_id: null, audit_id: null, note: 'demo data' };
  if (d.location) {
    const doc = (await documentsRepository.get(q, documentId))!;
    const path = (await placeRef(q, { locationId: doc.location_id, userId: null }))?.path ?? null;
    await trackingRepository.insertMovement(q, { ...base, kind: 'file', from_location_id: null, from_path: null, to_location_id: doc.location_id, to_user_id: null, to_path: path, due_back_on: null });
    if (d.checkedOut) {
      const holder = userId(d.checkedOut.to);
      const due = defaultDueBackOn(today(dl.clock), d.checkedOut.dueInDays);
      await documentsRepository.update(q, documentId, { location_id: null, holder_user_id: holder, due_back_on: due }, now);
      await trackingRepository.insertMovement(q, {
        ...base,
        kind: 'check-out',
        from_location_id: doc.location_id,
        from_path: path,
        to_location_id: null,
        to_user_id: holder,
        to_path: `checked out to ${d.checkedOut.to}`,
        due_back_on: due,
      });
    }
  }
  if (d.requestedBy) {
    await requestsRepository.insert(q, { id: newId('req', dl.clock.now().getTime()), document_id: documentId, requested_by: userId(d.requestedBy), note: 'demo request', needed_by: null, created_at: now });
  }
}

/** The demo tokens written on first start, or null when there are none (demo off, or removed). */
export async function readDemoTokens(dataDir: string): Promise<DemoTokens | null> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, 'demo-tokens.json'), 'utf8')) as DemoTokens;
  } catch {
    return null;
  }
}
