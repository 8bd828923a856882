import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createBarcodeReader } from '../../src/adapters/barcode/barcode-reader.js';
import { countPdfPages, renderPdfPage } from '../../src/adapters/pdf/pdf-render.js';
import { makeBarcode, parseBarcode } from '../../src/domain/barcode.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Letter = { seq: number; customerId: string; barcode: string };
type Created = { id: string; letterCount: number; letters: Letter[]; excluded: { customerId: string; reason: string }[] };
type Status = { name: string; value: string; detail: Record<string, unknown>; history: unknown[] };
type Dossier = { statuses: Status[]; documents: { id: string; title: string; type: string; class: string; fields: Record<string, unknown>; original: unknown }[] };
type ErrorBody = { error: { code: string; message: string; details?: unknown } };

const DEMO = ['KL-000123', 'KL-000124', 'KL-000125', 'KL-000127'];

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

/** A minimal RFC 4180 reader for the test: quoted fields, doubled quotes, CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += ch;
  }
  return rows;
}

describe('mailings', () => {
  let t: TestApp;
  let mailing: Created;
  before(async () => {
    t = await startTestApp();
    // A customer whose name needs quoting in CSV and would run as a formula in a spreadsheet.
    const res = await t.api('PUT', '/api/customers/KL-000300', {
      as: 'crm',
      json: { name: '=Smit, "De Molen" & Zn.', address: 'Molenweg 2', postcode: '1234 AB', city: 'Utrecht' },
    });
    assert.equal(res.status, 201, await res.text());
  });
  after(() => t.close());

  it('given the demo data when a dossier is opened then the demo mailing shows as sent and its one reply as received, linked to the paper coupon', async () => {
    const d = await json<Dossier>(await t.api('GET', '/api/customers/KL-000125/dossier', { as: 'crm' }), 200);
    const sent = d.statuses.find((x) => x.name === 'letter-sent');
    const reply = d.statuses.find((x) => x.name === 'reply-received');
    assert.equal(sent?.value, '2026-04-01');
    assert.equal(reply?.value, 'yes');
    assert.equal(d.documents.find((x) => x.id === reply?.detail.documentId)?.title, 'Antwoordcoupon voorjaarsactie');
    const other = await json<Dossier>(await t.api('GET', '/api/customers/KL-000124/dossier', { as: 'crm' }), 200);
    assert.ok(other.statuses.some((x) => x.name === 'letter-sent') && !other.statuses.some((x) => x.name === 'reply-received'));
  });

  it('given a list of customers when a mailing is created then every letter gets its own valid letter code, in order', async () => {
    mailing = await json<Created>(await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Najaarsactie 2026', customerIds: [...DEMO, 'KL-000300', DEMO[0]] } }), 201);
    assert.equal(mailing.letterCount, 5, 'a customer named twice gets one letter');
    assert.deepEqual(mailing.letters.map((l) => l.customerId), [...DEMO, 'KL-000300']);
    assert.deepEqual(mailing.letters.map((l) => l.seq), [1, 2, 3, 4, 5]);
    assert.equal(new Set(mailing.letters.map((l) => l.barcode)).size, 5);
    for (const l of mailing.letters) {
      const p = parseBarcode(l.barcode);
      assert.ok(p.ok && p.value.kind === 'letter', l.barcode);
    }
  });

  it('given unknown customers in the list when a mailing is created then 422 lists them and nothing is created', async () => {
    const before = await t.dl.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM mailings');
    const res = await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'X', customerIds: ['KL-000123', 'KL-999998', 'KL-999999'] } });
    const body = await json<ErrorBody>(res, 422);
    assert.equal(body.error.code, 'unknown_customers');
    assert.deepEqual((body.error.details as { customerIds: string[] }).customerIds, ['KL-999998', 'KL-999999']);
    assert.deepEqual(await t.dl.db.get('SELECT COUNT(*) AS n FROM mailings'), before);
  });

  it('given a customer whose relationship is restricted when named in a list then 422 says why', async () => {
    await t.dl.db.run('UPDATE customers SET restricted = 1 WHERE id = ?', ['KL-000126']);
    const body = await json<ErrorBody>(await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'X', customerIds: ['KL-000126'] } }), 422);
    assert.equal(body.error.code, 'not_mailable');
    assert.deepEqual(body.error.details, { customers: [{ customerId: 'KL-000126', reason: 'restricted' }] });
  });

  it('given an empty selection, or none, when a mailing is created then 400', async () => {
    for (const [input, code] of [
      [{ name: 'X', customerIds: [] }, 'empty_selection'],
      [{ name: 'X', filter: { city: 'Nergenshuizen' } }, 'empty_selection'],
      [{ name: 'X' }, 'invalid_selection'],
      [{ name: 'X', customerIds: ['KL-000123'], filter: {} }, 'invalid_selection'],
    ] as const) {
      const body = await json<ErrorBody>(await t.api('POST', '/api/mailings', { as: 'crm', json: input }), 400);
      assert.equal(body.error.code, code, JSON.stringify(input));
    }
  });

  it('given a filter when a mailing is created then it selects by city, postcode prefix and status, leaving out who may not be mailed', async () => {
    const utrecht = await json<Created>(await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Utrecht', filter: { city: 'utrecht' } } }), 201);
    assert.deepEqual(utrecht.letters.map((l) => l.customerId), ['KL-000123', 'KL-000300']);
    const pc = await json<Created>(await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'PC', filter: { postcodePrefix: '3511a' } } }), 201);
    assert.deepEqual(pc.letters.map((l) => l.customerId), ['KL-000123']);
    const all = await json<Created>(await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'All', filter: {} } }), 201);
    assert.ok(all.excluded.some((e) => e.customerId === 'KL-000126' && e.reason === 'restricted'));
    assert.ok(!all.letters.some((l) => l.customerId === 'KL-000126'));
  });

  it('given the mailing when its letters PDF is fetched then there is one page per letter and each page carries its own code', async () => {
    const res = await t.api('GET', `/api/mailings/${mailing.id}/letters.pdf`, { as: 'mailroom' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.equal(res.headers.get('x-letters'), '1-5');
    const pdf = new Uint8Array(await res.arrayBuffer());
    assert.equal(await countPdfPages(pdf), 5);
    const reader = createBarcodeReader();
    for (const pageNo of [1, 5]) {
      const hits = await reader.read(await renderPdfPage(pdf, pageNo, 150), { formats: ['Code128'] });
      assert.deepEqual(hits.map((h) => h.text), [mailing.letters[pageNo - 1]!.barcode]);
    }
  });

  it('given the mailing when a part of the letters is fetched then it holds just those letters, and a part too far is 400', async () => {
    const res = await t.api('GET', `/api/mailings/${mailing.id}/letters.pdf?part=2&partSize=2`, { as: 'crm' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-letters'), '3-4');
    assert.equal(res.headers.get('x-parts'), '3');
    assert.equal(await countPdfPages(new Uint8Array(await res.arrayBuffer())), 2);
    const far = await json<ErrorBody>(await t.api('GET', `/api/mailings/${mailing.id}/letters.pdf?part=4&partSize=2`, { as: 'crm' }), 400);
    assert.equal(far.error.code, 'part_out_of_range');
  });

  it('given the mailing when exported as CSV then every letter is a row with its code, and awkward names survive', async () => {
    const res = await t.api('GET', `/api/mailings/${mailing.id}/letters.csv`, { as: 'crm' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM, so spreadsheets read the accents');
    const rows = parseCsv(bytes.subarray(3).toString('utf8'));
    assert.deepEqual(rows[0]!.slice(0, 4), ['seq', 'barcode', 'customer_id', 'name']);
    assert.equal(rows.length, 6);
    assert.deepEqual(rows.slice(1).map((r) => r[1]), mailing.letters.map((l) => l.barcode));
    assert.equal(rows[5]![3], `'=Smit, "De Molen" & Zn.`, 'quoted, and defused as a formula');
  });

  it('given the mailing when marked as sent then every addressee has letter-sent, and a second time is 409', async () => {
    const sent = await json<{ sentAt: string }>(await t.api('POST', `/api/mailings/${mailing.id}/sent`, { as: 'crm' }), 200);
    assert.ok(sent.sentAt);
    for (const l of mailing.letters) {
      const d = await json<Dossier>(await t.api('GET', `/api/customers/${l.customerId}/dossier`, { as: 'crm' }), 200);
      const s = d.statuses.find((x) => x.name === 'letter-sent');
      assert.ok(s, l.customerId);
      assert.equal(s.detail.barcode, l.barcode);
      assert.equal(s.detail.mailingId, mailing.id);
    }
    const again = await json<ErrorBody>(await t.api('POST', `/api/mailings/${mailing.id}/sent`, { as: 'crm' }), 409);
    assert.equal(again.error.code, 'already_sent');
  });

  it('given a coupon code typed by a keyboard wedge when scanned then reply-received is set with the answer and the paper coupon is linked', async () => {
    const l = mailing.letters[1]!;
    const r = await json<{ customerId: string; documentId: string }>(
      await t.api('POST', '/api/coupons/scan', { as: 'mailroom', json: { barcode: ` ${l.barcode.toLowerCase()}\n`, answer: 'yes' } }),
      200,
    );
    assert.equal(r.customerId, l.customerId);
    const d = await json<Dossier>(await t.api('GET', `/api/customers/${l.customerId}/dossier`, { as: 'crm' }), 200);
    const s = d.statuses.find((x) => x.name === 'reply-received');
    assert.equal(s?.value, 'yes');
    assert.equal(s?.detail.barcode, l.barcode);
    const coupon = d.documents.find((x) => x.type === 'reply-coupon' && x.fields.number === l.barcode);
    assert.equal(coupon?.class, 'static');
    assert.equal(coupon?.fields.number, l.barcode);
  });

  it('given a coupon already received when scanned again then 409 with when it came, and nothing changes', async () => {
    const l = mailing.letters[1]!;
    const body = await json<ErrorBody>(await t.api('POST', '/api/coupons/scan', { as: 'mailroom', json: { barcode: l.barcode } }), 409);
    assert.equal(body.error.code, 'already_received');
    assert.equal((body.error.details as { answer: string }).answer, 'yes');
  });

  it('given bad codes when scanned then each is refused with its reason', async () => {
    const good = mailing.letters[2]!.barcode;
    const mistyped = good.slice(0, 5) + ((Number(good[5]) + 1) % 10) + good.slice(6);
    const cases: [unknown, number, string][] = [
      [{ barcode: mistyped }, 400, 'invalid_barcode'],
      [{ barcode: 'hello' }, 400, 'invalid_barcode'],
      [{ barcode: makeBarcode('document', 5) }, 400, 'not_a_letter_code'],
      [{ barcode: makeBarcode('letter', 999_999_999) }, 422, 'unknown_letter'],
      [{ barcode: good, answer: 'maybe' }, 400, 'unknown_answer'],
    ];
    for (const [body, status, code] of cases) {
      const r = await json<ErrorBody>(await t.api('POST', '/api/coupons/scan', { as: 'mailroom', json: body }), status);
      assert.equal(r.error.code, code, JSON.stringify(body));
    }
  });

  it('given the mailing when read back then reply counts and letters show what came back', async () => {
    const m = await json<{ replies: { total: number; byAnswer: Record<string, number> }; letters: { barcode: string; answer: string | null }[] }>(
      await t.api('GET', `/api/mailings/${mailing.id}`, { as: 'compliance' }),
      200,
    );
    assert.deepEqual(m.replies, { total: 1, byAnswer: { yes: 1 } });
    assert.equal(m.letters.find((l) => l.barcode === mailing.letters[1]!.barcode)?.answer, 'yes');
  });

  it('given a separator request when made then a PDF with a new S code comes back and it reads', async () => {
    const res = await t.api('POST', '/api/separator-sheets', { as: 'mailroom', json: { customerId: 'KL-000123', type: 'order', copies: 2 } });
    assert.equal(res.status, 201, res.status === 201 ? '' : await res.text());
    const code = res.headers.get('x-barcode')!;
    const p = parseBarcode(code);
    assert.ok(p.ok && p.value.kind === 'separator');
    const pdf = new Uint8Array(await res.arrayBuffer());
    assert.equal(await countPdfPages(pdf), 2);
    const hits = await createBarcodeReader().read(await renderPdfPage(pdf, 1, 100), { formats: ['Code128'] });
    assert.ok(hits.length >= 1 && hits.every((h) => h.text === code));
    const unknown = await json<ErrorBody>(await t.api('POST', '/api/separator-sheets', { as: 'mailroom', json: { customerId: 'KL-999999' } }), 422);
    assert.equal(unknown.error.code, 'unknown_customer');
  });

  it('given every write when the audit chain is verified then it holds', async () => {
    const v = await json<{ ok: boolean }>(await t.api('GET', '/api/audit/verify', { as: 'compliance' }), 200);
    assert.equal(v.ok, true);
  });
});
