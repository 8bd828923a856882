/**
 * Mobile sync payload: a full sync from an empty cursor of GET /api/changes, with the
 * static/dynamic split (static documents travel as key points + location, no content) against the
 * naive "scan and sync everything" (every document with its text and file), measured in the same
 * run on the same data: the demo data set and a generated larger set.
 *
 * To compare like with like, every static document is first given a scan (a PDF and its page text,
 * as large as the dynamic documents' on average) so both modes sync the very same data; the split
 * leaves the static scans out. Files are text PDFs here: real scanned pages (images) are larger,
 * so the saving on files is a lower bound. Options: BENCH_SYNC_CUSTOMERS (default 300).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { makeTextPdf } from '../src/adapters/pdf/text-pdf.js';
import { loadConfig } from '../src/config.js';
import { customersRepository } from '../src/db/customers.repository.js';
import { documentsRepository } from '../src/db/documents.repository.js';
import { seedDemo } from '../src/demo/demo-seed.js';
import { openDossierlink, type Dossierlink } from '../src/dossierlink.js';
import { buildDocument } from '../src/services/document-records.js';

type Mode = { feedBytes: number; fileBytes: number; totalBytes: number; documentsWithContent: number; pages: number; ms: number };

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const WORDS = 'de het een van en in op voor met aan klant datum levering onderhoud contract offerte order factuur service prijs totaal termijn monteur storing afspraak bevestiging'.split(' ');

function lines(r: () => number, chars: number, head: string[]): string[] {
  const out = [...head];
  let n = head.join(' ').length;
  while (n < chars) {
    const line: string[] = [];
    while (line.join(' ').length < 70) line.push(WORDS[Math.floor(r() * WORDS.length)]);
    out.push(line.join(' '));
    n += 71;
  }
  return out;
}

/** Pages through the whole feed as a client would and adds up what it downloads. */
async function fullSync(dl: Dossierlink, includeStaticContent: boolean): Promise<Mode> {
  const started = performance.now();
  const m: Mode = { feedBytes: 0, fileBytes: 0, totalBytes: 0, documentsWithContent: 0, pages: 0, ms: 0 };
  let since = 0;
  for (;;) {
    const page = await dl.services.changes.feed({ since, limit: 500, includeStaticContent });
    m.feedBytes += Buffer.byteLength(JSON.stringify(page));
    m.pages++;
    for (const c of page.changes) {
      const content = (c.data as { content?: { file: { size: number | null } } | null } | undefined)?.content;
      if (!content) continue;
      m.documentsWithContent++;
      m.fileBytes += content.file.size ?? 0;
    }
    since = Number(page.cursor);
    if (!page.hasMore) break;
  }
  m.totalBytes = m.feedBytes + m.fileBytes;
  m.ms = Math.round(performance.now() - started);
  return m;
}

/** Gives every static document without a scan one like the dynamic documents have (PDF + page text). */
async function scanStaticPaper(dl: Dossierlink, meanTextChars: number): Promise<number> {
  const r = rng(7);
  const rows = await dl.db.all<{ id: string; title: string; customer_id: string; fields: string }>(
    "SELECT id, title, customer_id, fields FROM documents WHERE class = 'static' AND original_sha256 IS NULL AND destroyed_at IS NULL",
  );
  for (const d of rows) {
    const text = lines(r, meanTextChars, [d.title, `Klantnummer: ${d.customer_id}`, d.fields]);
    const pdf = await makeTextPdf([text.slice(0, 45)]);
    const stored = await dl.store.putBuffer(pdf, { contentType: 'application/pdf' });
    await dl.db.tx(async (q) => {
      await documentsRepository.update(q, d.id, { original_sha256: stored.sha256, original_mime: 'application/pdf', original_size: stored.size, page_count: 1 }, new Date().toISOString());
      await documentsRepository.replacePages(q, d.id, [{ pageNo: 1, text: text.join('\n'), source: 'ocr', confidence: 90 }]);
    });
  }
  return rows.length;
}

const TYPES = ['quote', 'order', 'service-contract', 'sla', 'service-call', 'invoice', 'reply-coupon', 'letter'] as const;

/** A larger archive: customers with a mix of documents across types and years, every one with a scan. */
async function generate(dl: Dossierlink, customers: number): Promise<void> {
  const r = rng(42);
  const scopes = await dl.services.scopes.active();
  const now = new Date().toISOString();
  const pdfByType = new Map<string, { sha256: string; size: number; text: string }>();
  for (const type of TYPES) {
    // One scan per type and variant keeps generation fast; sizes are what a client downloads per document.
    for (let v = 0; v < 4; v++) {
      const text = lines(r, 1200 + Math.floor(r() * 1600), [`${type} ${v}`]);
      const pdf = await makeTextPdf([text.slice(0, 45)]);
      const stored = await dl.store.putBuffer(pdf, { contentType: 'application/pdf' });
      pdfByType.set(`${type}:${v}`, { ...stored, text: text.join('\n') });
    }
  }
  for (let c = 0; c < customers; c++) {
    const id = `KL-${String(100000 + c).padStart(6, '0')}`;
    await dl.db.tx(async (q) => {
      await customersRepository.upsert(q, id, { name: `Klant ${c} B.V.`, city: `Plaats ${c % 40}`, kvk: String(10000000 + c) }, now);
      const docs = 6 + Math.floor(r() * 10);
      for (let i = 0; i < docs; i++) {
        const type = TYPES[Math.floor(r() * TYPES.length)];
        const year = 2015 + Math.floor(r() * 12);
        const docDate = `${year}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-15`;
        const fields: Record<string, unknown> = { number: `${type.slice(0, 3).toUpperCase()}-${year}-${c}-${i}` };
        if (['quote', 'order', 'invoice'].includes(type)) fields.total = Math.round(r() * 50_000) / 100;
        if (['service-contract', 'sla'].includes(type)) fields.endsOn = `${year + 1 + Math.floor(r() * 3)}-12-31`;
        if (type === 'service-call') fields.status = r() < 0.2 ? 'open' : 'closed';
        const scan = pdfByType.get(`${type}:${Math.floor(r() * 4)}`)!;
        const doc = await buildDocument(
          q,
          { customerId: id, type, docDate, fields, status: 'ready', source: 'bench', createdBy: 'bench', original: { sha256: scan.sha256, mime: 'application/pdf', name: null, size: scan.size } },
          scopes,
          dl.clock,
        );
        doc.page_count = 1;
        await documentsRepository.insert(q, doc);
        await documentsRepository.replacePages(q, doc.id, [{ pageNo: 1, text: scan.text, source: 'ocr', confidence: 90 }]);
      }
    });
  }
}

async function measure(dl: Dossierlink) {
  const counts = await dl.db.get<{ docs: number; dynamic: number; static: number }>(
    "SELECT COUNT(*) AS docs, SUM(class = 'dynamic') AS dynamic, SUM(class = 'static') AS static FROM documents WHERE destroyed_at IS NULL",
  );
  const split = await fullSync(dl, false);
  const everything = await fullSync(dl, true);
  const kib = (n: number) => Math.round(n / 1024);
  return {
    documents: counts!.docs,
    dynamic: counts!.dynamic,
    static: counts!.static,
    withSplitKiB: { feed: kib(split.feedBytes), files: kib(split.fileBytes), total: kib(split.totalBytes), ms: split.ms },
    withoutSplitKiB: { feed: kib(everything.feedBytes), files: kib(everything.fileBytes), total: kib(everything.totalBytes), ms: everything.ms },
    feedRatio: Math.round((everything.feedBytes / split.feedBytes) * 100) / 100,
    totalRatio: Math.round((everything.totalBytes / split.totalBytes) * 100) / 100,
    savedPercent: Math.round((1 - split.totalBytes / everything.totalBytes) * 1000) / 10,
  };
}

async function instance(seed: (dl: Dossierlink) => Promise<void>) {
  const dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-bench-sync-'));
  const dl = await openDossierlink(loadConfig({ DOSSIER_DATA_DIR: dir, DOSSIER_LOG_LEVEL: 'silent', DOSSIER_INBOX: 'off' }), { logger: pino({ level: 'silent' }) });
  try {
    await seed(dl);
    return await measure(dl);
  } finally {
    await dl.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Full-sync payload with vs without the static/dynamic split, on the demo data and on a generated set. */
export async function benchSync(customers = Number(process.env.BENCH_SYNC_CUSTOMERS ?? 300)): Promise<Record<string, unknown>> {
  const demo = await instance(async (dl) => {
    await seedDemo(dl);
    const mean = await dl.db.get<{ n: number }>(
      "SELECT AVG(LENGTH(p.text)) AS n FROM document_pages p JOIN documents d ON d.id = p.document_id WHERE d.class = 'dynamic'",
    );
    await scanStaticPaper(dl, Math.round(mean?.n ?? 1500));
  });
  const generated = await instance((dl) => generate(dl, customers));
  return { demo, generated, generatedCustomers: customers };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchSync();
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
