import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractPdfText } from '../../src/adapters/pdf/pdf-text.js';
import type { DocumentView } from '../../src/domain/document.js';
import { computeCer } from '../../src/domain/text-metrics.js';
import { upload, waitFinal, textOf, searchIds, waitIngestIdle } from '../helpers/ingest-helpers.js';
import {
  LETTER_TEXT,
  makeEncryptedPdf,
  makeGarbagePdf,
  makeLyingFile,
  makePixelBombPng,
  makeTextPdf,
  makeTruncatedPdf,
  renderScan,
  toImagePdf,
  toJpeg,
  toMultiPageTiff,
  toPng,
} from '../helpers/scan-samples.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const CARE_LINES = [
  'Servicemelding SM-88990',
  'Klantnummer: KL-000124',
  'Datum: 12 november 2026',
  'Storing: koelunit lekt water in de technische ruimte.',
  'Prioriteit hoog, monteur ingepland.',
];

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}

describe('dynamic document ingest', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { DOSSIER_MAX_UPLOAD_MB: '8' } });
    await t.dl.startWorkers();
  });
  after(() => t.close());

  describe('scans through the HTTP API', () => {
    let clean: DocumentView;
    before(async () => {
      const res = await upload(t, await toPng(renderScan({ dpi: 300 })), 'scan 0001.png');
      assert.equal(res.status, 202);
      const queued = (await res.json()) as DocumentView;
      assert.equal(queued.status, 'queued');
      clean = await waitFinal(t, queued.id);
    });

    it('given a clean PNG scan when ingested then type, customer and key points are detected and it is ready', async () => {
      assert.equal(clean.status, 'ready', clean.error ?? '');
      assert.equal(clean.type, 'quote');
      assert.equal(clean.customerId, 'KL-000123');
      assert.equal(clean.docDate, '2024-03-14');
      assert.equal(clean.fields.total, 1234.56);
      assert.equal(clean.class, 'dynamic', 'quotes are dynamic under sales force automation');
      assert.ok(clean.classification.trace.some((s) => s.rule === 'detect customer' && s.result === 'KL-000123'), 'clean.classification.trace.some((s) => s.rule === \'detect customer\' && s.result === \'KL-000123\')');
    });

    it('given the OCR text when compared with what was printed then the character error rate is low', async () => {
      const cer = computeCer(LETTER_TEXT, await textOf(t, clean.id));
      assert.ok(cer < 0.05, `CER ${cer}`);
    });

    it('given the index when searched without diacritics, by prefix and by phrase then the scan is found with a highlighted snippet', async () => {
      assert.ok((await searchIds(t, 'financiele')).includes(clean.id), '(await searchIds(t, \'financiele\')).includes(clean.id)');
      assert.ok((await searchIds(t, 'financ*')).includes(clean.id), '(await searchIds(t, \'financ*\')).includes(clean.id)');
      assert.ok((await searchIds(t, '"financiële administratie"')).includes(clean.id), '(await searchIds(t, \'"financiële administratie"\')).includes(clean.id)');
      assert.ok((await searchIds(t, 'financiele', '&customerId=KL-000123&type=quote')).includes(clean.id), '(await searchIds(t, \'financiele\', \'&customerId=KL-000123&type=quote\')).includes(clean.id)');
      assert.ok(!(await searchIds(t, 'financiele', '&customerId=KL-000124')).includes(clean.id), 'customer filter excludes');
      assert.ok(!(await searchIds(t, 'financiele -offerte')).includes(clean.id), 'exclusion excludes');
      const res = await t.api('GET', '/api/search?q=financiele', { as: 'crm' });
      const body = (await res.json()) as { hits: { documentId: string; snippet: string }[] };
      assert.match(body.hits.find((h) => h.documentId === clean.id)!.snippet, /<mark>financiële<\/mark>/);
    });

    it('given a scan when its archive copy is read then it is a PDF whose invisible text layer holds the words', async () => {
      assert.equal(clean.hasArchive, true);
      const res = await t.api('GET', `/api/documents/${clean.id}/file?variant=archive`, { as: 'crm' });
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      const text = await extractPdfText(new Uint8Array(await res.arrayBuffer()));
      assert.equal(text.pageCount, 1);
      assert.match(text.pages[0].text, /Klantnummer/);
      assert.match(text.pages[0].text, /financi/);
    });

    it('given the same file uploaded again when accepted then the existing document answers and nothing new is stored', async () => {
      const objectsBefore = (await listFiles(path.join(t.dataDir, 'objects', 'sha256'))).length;
      const res = await upload(t, await toPng(renderScan({ dpi: 300 })), 'scan 0001 again.png');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-duplicate-of'), clean.id);
      assert.equal(((await res.json()) as DocumentView).id, clean.id);
      assert.equal((await listFiles(path.join(t.dataDir, 'objects', 'sha256'))).length, objectsBefore);
    });

    it('given the same letter scanned again with other pixels when ingested then it is flagged for review as a near duplicate, not merged', async () => {
      const res = await upload(t, await toJpeg(renderScan({ dpi: 300, noise: 0.002, seed: 3 }), 80), 'rescan.jpg');
      assert.equal(res.status, 202);
      const d = await waitFinal(t, ((await res.json()) as DocumentView).id);
      assert.notEqual(d.id, clean.id);
      assert.equal(d.status, 'needs_review');
      assert.match(d.error ?? '', new RegExp(`second scan of ${clean.id}`));
    });

    it('given a skewed, noisy JPEG when ingested then its words are found', async () => {
      const img = renderScan({ dpi: 300, skewDeg: 3, noise: 0.003, lines: CARE_LINES, seed: 11 });
      const d = await waitFinal(t, ((await (await upload(t, await toJpeg(img, 75), 'storing.jpg')).json()) as DocumentView).id);
      assert.equal(d.type, 'service-call', d.error ?? '');
      assert.equal(d.customerId, 'KL-000124');
      assert.ok((await searchIds(t, 'koelunit technische')).includes(d.id), '(await searchIds(t, \'koelunit technische\')).includes(d.id)');
    });

    it('given an upside-down scan when ingested then it is read the right way up', async () => {
      const lines = ['Factuur F-2026-4411', 'Klantnummer: KL-000125', 'Factuurdatum: 3 november 2026', 'Te betalen: EUR 880,00 binnen 30 dagen.'];
      const res = await upload(t, await toPng(renderScan({ dpi: 300, rotate: 180, lines })), 'upside down.png');
      const d = await waitFinal(t, ((await res.json()) as DocumentView).id);
      assert.match(await textOf(t, d.id), /Klantnummer: KL-000125/);
      assert.equal(d.type, 'invoice');
    });

    it('given a two-page TIFF when ingested then both pages are read, in order, with their page numbers', async () => {
      const p1 = renderScan({ dpi: 200, heightIn: 3, lines: ['Orderbevestiging ORD-2026-0101', 'Klantnummer: KL-000126', 'Pagina een: pallets'] });
      const p2 = renderScan({ dpi: 200, heightIn: 3, lines: ['Pagina twee: containerlevering', 'Leverdatum 1 december 2026', 'Bestelling compleet'] });
      const d = await waitFinal(t, ((await (await upload(t, await toMultiPageTiff([p1, p2]), 'order.tif')).json()) as DocumentView).id);
      assert.equal(d.pageCount, 2);
      const text = await textOf(t, d.id);
      const [a, b] = text.split('\f');
      assert.match(a, /pallets/);
      assert.match(b, /containerlevering/);
    });

    it('given an image-only PDF when ingested then its pages are OCRd and the archive is searchable', async () => {
      const pdf = await toImagePdf([renderScan({ dpi: 200, lines: CARE_LINES.map((l) => l.replace('88990', '88991')) })], { dpi: 200 });
      const d = await waitFinal(t, ((await (await upload(t, pdf, 'scanner.pdf')).json()) as DocumentView).id);
      assert.match(await textOf(t, d.id), /SM-88991/);
      const archive = await t.api('GET', `/api/documents/${d.id}/file?variant=archive`, { as: 'crm' });
      assert.match((await extractPdfText(new Uint8Array(await archive.arrayBuffer()))).pages[0].text, /SM-88991/);
    });

    it('given a born-digital PDF when ingested then the text layer is used without OCR', async () => {
      const pdf = await makeTextPdf([
        ['SERVICE LEVEL AGREEMENT SLA-2026-099', 'Klantnummer: KL-000127', 'Reactietijd 4 uur, looptijd tot en met 31-12-2027'],
        ['Bijlage: financiële voorwaarden'],
      ]);
      const d = await waitFinal(t, ((await (await upload(t, pdf, 'sla.pdf')).json()) as DocumentView).id);
      assert.equal(d.status, 'ready', d.error ?? '');
      assert.equal(d.type, 'sla');
      assert.equal(d.fields.endsOn, '2027-12-31');
      assert.equal(d.class, 'dynamic', 'a current SLA is dynamic in customer care');
      const pages = await t.dl.db.all<{ source: string }>('SELECT source FROM document_pages WHERE document_id = ?', [d.id]);
      assert.deepEqual(pages.map((p) => p.source), ['text-layer', 'text-layer']);
    });

    it('given customer and type at upload when ingested then they are kept over detection', async () => {
      const fd = await upload(t, await makeTextPdf([['Losse notitie zonder kenmerken', 'over de koffieautomaat en de planning']]), 'note.pdf', {
        customerId: 'KL-000127',
        type: 'letter',
      });
      const d = await waitFinal(t, ((await fd.json()) as DocumentView).id);
      assert.equal(d.customerId, 'KL-000127');
      assert.equal(d.type, 'letter');
      assert.equal(d.status, 'ready');
    });

    it('given a document without recognisable type or customer when ingested then it waits in review with the reason', async () => {
      const d = await waitFinal(t, ((await (await upload(t, await makeTextPdf([['Lorem ipsum dolor sit amet, consectetur.']]), 'x.pdf')).json()) as DocumentView).id);
      assert.equal(d.status, 'needs_review');
      assert.match(d.error ?? '', /type not recognised/);
      assert.match(d.error ?? '', /no customer number/);
    });

    it('given finished work when the queue is listed then ingest jobs are done with their progress', async () => {
      const res = await t.api('GET', '/api/jobs?kind=ingest&status=done', { as: 'mailroom' });
      const body = (await res.json()) as { jobs: { progress: { done: number; total: number } | null }[]; counts: { byStatus: Record<string, number> } };
      assert.ok(body.jobs.length >= 5, 'body.jobs.length >= 5');
      assert.ok(body.jobs.some((j) => j.progress && j.progress.done === j.progress.total && j.progress.total > 0), 'body.jobs.some((j) => j.progress && j.progress.done === j.progress.total && j.progress.total > 0)');
      assert.equal(body.counts.byStatus.failed, 0);
    });
  });

  describe('batch upload', () => {
    it('given good and bad files in one request when uploaded then good ones are queued and each bad one is reported', async () => {
      const fd = new FormData();
      fd.append('files', new Blob([new Uint8Array(await makeTextPdf([['Factuur F-9', 'Klantnummer: KL-000123', 'Totaal EUR 10,00']]))]), 'a.pdf');
      fd.append('files', new Blob(['MZ this is an executable, not a scan'], { type: 'application/pdf' }), 'factuur.pdf');
      fd.append('files', new Blob([new Uint8Array(await makeTextPdf([['Factuur F-10', 'Klantnummer: KL-000124', 'Totaal EUR 11,00']]))]), 'b.pdf');
      const res = await t.api('POST', '/api/documents', { as: 'mailroom', body: fd });
      assert.equal(res.status, 202);
      const body = (await res.json()) as { documents: { file: string; document: DocumentView }[]; rejected: { file: string; status: number; error: { code: string } }[] };
      assert.deepEqual(body.documents.map((d) => d.file), ['a.pdf', 'b.pdf']);
      assert.deepEqual(body.rejected.map((r) => [r.file, r.status, r.error.code]), [['factuur.pdf', 415, 'unsupported_media_type']]);
      for (const d of body.documents) assert.equal((await waitFinal(t, d.document.id)).status, 'ready');
    });
  });

  describe('bad uploads', () => {
    // The batch above is final before its jobs have stored the thumbnails: count objects after them.
    before(() => waitIngestIdle(t));
    const state = async () => ({
      docs: (await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM documents'))!.n,
      jobs: (await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM jobs'))!.n,
      objects: (await listFiles(path.join(t.dataDir, 'objects', 'sha256'))).length,
    });
    const cases: [string, () => Promise<{ bytes: Uint8Array; name: string }>, number, string][] = [
      ['a text file', async () => ({ bytes: new TextEncoder().encode('just text, no scan'), name: 'notes.png' }), 415, 'unsupported_media_type'],
      ['a truncated PDF', async () => ({ bytes: await makeTruncatedPdf(), name: 'cut.pdf' }), 400, 'corrupt_pdf'],
      ['garbage behind a PDF header', async () => ({ bytes: makeGarbagePdf(), name: 'garbage.pdf' }), 400, 'corrupt_pdf'],
      ['a password-protected PDF', async () => ({ bytes: await makeEncryptedPdf(), name: 'locked.pdf' }), 400, 'encrypted_pdf'],
      ['a PNG that claims 50,000 x 50,000 pixels', async () => ({ bytes: await makePixelBombPng(), name: 'bomb.png' }), 400, 'image_too_large'],
      ['an empty file', async () => ({ bytes: new Uint8Array(0), name: 'empty.pdf' }), 400, 'empty_file'],
      ['a file over the size limit', async () => ({ bytes: new Uint8Array(9 * 1024 * 1024).fill(0x25), name: 'huge.pdf' }), 413, 'payload_too_large'],
    ];
    for (const [what, make, status, code] of cases) {
      it(`given ${what} when uploaded then ${status} ${code} and nothing is kept`, async () => {
        const before = await state();
        const f = await make();
        const res = await upload(t, f.bytes, f.name);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal(body.error.code, code);
        assert.deepEqual(await state(), before);
        assert.deepEqual(await listFiles(path.join(t.dataDir, 'tmp', 'uploads')), [], 'temp upload files removed');
      });
    }

    it('given a JPEG named factuur.pdf and sent as application/pdf when uploaded then it is taken for what its bytes are: a JPEG', async () => {
      const lying = await makeLyingFile();
      const fd = new FormData();
      fd.append('file', new Blob([new Uint8Array(lying.bytes)], { type: lying.claimedType }), lying.filename);
      const res = await t.api('POST', '/api/documents', { as: 'mailroom', body: fd });
      assert.equal(res.status, 202);
      const d = (await res.json()) as DocumentView;
      assert.equal(d.original?.mime, 'image/jpeg');
      // Issue 14: the kept name takes its extension from the detected type, not the uploader's.
      assert.equal(d.original?.name, 'factuur.jpg');
    });

    it('given a request without a file when uploaded then 400 no_file', async () => {
      const fd = new FormData();
      fd.append('customerId', 'KL-000123');
      const res = await t.api('POST', '/api/documents', { as: 'mailroom', body: fd });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'no_file');
    });

    it('given an unknown customer on the form when uploaded then 422 and nothing kept', async () => {
      const before = await state();
      const res = await upload(t, await makeTextPdf([['Brief voor onbekende klant']]), 'x.pdf', { customerId: 'KL-999999' });
      assert.equal(res.status, 422);
      assert.equal((await state()).docs, before.docs);
    });

    it('given a malformed search query when searched then 400 invalid_query, never a 500', async () => {
      for (const q of ['"open', 'OR', '*', '-alleen']) {
        const res = await t.api('GET', `/api/search?q=${encodeURIComponent(q)}`, { as: 'crm' });
        assert.equal(res.status, 400, q);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_query');
      }
    });
  });
});

describe('scanner inbox', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { DOSSIER_INBOX: 'on' } });
  });
  after(() => t.close());

  it('given files dropped in the inbox when it is polled then good ones become documents and bad ones are set aside with the reason', async () => {
    const { writeFile, readdir: rd } = await import('node:fs/promises');
    const inbox = t.dl.inbox;
    await inbox.start();
    await writeFile(path.join(inbox.dir, 'KL-000125_brief.pdf'), await makeTextPdf([['Geachte heer, dank voor uw brief over de facturen van oktober.']]));
    await writeFile(path.join(inbox.dir, 'kapot.pdf'), makeGarbagePdf());
    await inbox.pollOnce(); // first look: sizes noted
    await inbox.pollOnce(); // unchanged: taken
    const rows = await t.dl.db.all<{ customer_id: string; source: string; original_name: string }>("SELECT customer_id, source, original_name FROM documents WHERE source = 'inbox'");
    assert.deepEqual(rows, [{ customer_id: 'KL-000125', source: 'inbox', original_name: 'KL-000125_brief.pdf' }]);
    assert.deepEqual((await rd(path.join(inbox.dir, 'rejected'))).sort(), ['kapot.pdf', 'kapot.pdf.error.txt']);
    assert.deepEqual((await rd(inbox.dir)).filter((n) => !n.startsWith('.') && n !== 'rejected'), []);
  });
});
