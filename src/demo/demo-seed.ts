import { readFile, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { makeTextPdf } from '../adapters/pdf/text-pdf.js';
import { customersRepository } from '../db/customers.repository.js';
import { documentsRepository } from '../db/documents.repository.js';
import { locationsRepository } from '../db/locations.repository.js';
import { sequencesRepository } from '../db/sequences.repository.js';
import { makeBarcode } from '../domain/barcode.js';
import { newId } from '../domain/ids.js';
import type { KeyPoints } from '../domain/document.js';
import type { Role } from '../domain/roles.js';
import type { Dossierlink } from '../dossierlink.js';
import { nowIso } from '../services/clock.js';
import { buildDocument } from '../services/document-records.js';

type DemoDoc = {
  paper?: boolean;
  customerId: string;
  type: string;
  title: string;
  docDate: string;
  fields: KeyPoints;
  text?: string[];
  location?: string;
};
type DemoData = {
  customers: { id: string; name: string; kvk?: string; email?: string; address?: string; postcode?: string; city?: string; attributes?: Record<string, unknown> }[];
  locations: { key: string; kind: string; name: string; parent?: string }[];
  documents: DemoDoc[];
};

const DEMO_FILE = new URL('../../../samples/demo.json', import.meta.url);
const DEMO_FILE_TSX = new URL('../../samples/demo.json', import.meta.url);

const DEMO_USERS: { name: string; roles: Role[] }[] = [
  { name: 'Mila (mailroom)', roles: ['mailroom'] },
  { name: 'Chris (CRM user)', roles: ['crm'] },
  { name: 'Cora (compliance)', roles: ['compliance'] },
  { name: 'Connor (second compliance officer)', roles: ['compliance'] },
  { name: 'Ada (admin)', roles: ['admin'] },
];

async function loadDemoData(): Promise<DemoData> {
  const text = await readFile(DEMO_FILE, 'utf8').catch(() => readFile(DEMO_FILE_TSX, 'utf8'));
  return JSON.parse(text) as DemoData;
}

export type DemoTokens = { name: string; roles: Role[]; token: string }[];

/** True when the data dir has never been used: no customers and no users. */
export async function isEmpty(dl: Dossierlink): Promise<boolean> {
  const row = await dl.db.get<{ n: number }>('SELECT (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM users) AS n');
  return (row?.n ?? 0) === 0;
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
  for (const u of DEMO_USERS) {
    const created = await dl.services.users.create(u, null);
    tokens.push({ name: created.name, roles: created.roles, token: created.token });
  }
  const scopes = await dl.services.scopes.active();
  // Object-store writes happen first: if seeding dies half-way, only unreferenced content-addressed blobs remain.
  const pdfs = new Map<DemoDoc, { sha256: string; size: number }>();
  for (const d of data.documents) {
    if (d.paper || !d.text) continue;
    const bytes = await makeTextPdf([d.text], { title: d.title });
    const stored = await dl.store.putBuffer(bytes, { contentType: 'application/pdf' });
    pdfs.set(d, stored);
  }
  await dl.db.tx(async (q) => {
    const now = nowIso(dl.clock);
    for (const c of data.customers) await customersRepository.upsert(q, c.id, c, now);
    const locIds = new Map<string, string>();
    for (const l of data.locations) {
      const id = newId('loc', dl.clock.now().getTime());
      await locationsRepository.insert(q, {
        id,
        barcode: makeBarcode('location', await sequencesRepository.next(q, 'barcode.location')),
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
      if (d.text) await documentsRepository.replacePages(q, doc.id, [{ pageNo: 1, text: d.text.join('\n'), source: 'text-layer', confidence: null }]);
    }
    await dl.services.audit.record(q, { actorId: system.id, action: 'demo.seed', subjectType: 'system', details: { customers: data.customers.length, documents: data.documents.length } });
  });
  const file = path.join(dl.config.dataDir, 'demo-tokens.json');
  await writeFile(file, JSON.stringify(tokens, null, 2));
  await chmod(file, 0o600);
  return tokens;
}

/** The demo tokens written on first start, or null when there are none (demo off, or removed). */
export async function readDemoTokens(dataDir: string): Promise<DemoTokens | null> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, 'demo-tokens.json'), 'utf8')) as DemoTokens;
  } catch {
    return null;
  }
}
