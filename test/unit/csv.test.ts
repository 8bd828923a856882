import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CustomerRow } from '../../src/db/customers.repository.js';
import { backoffMs, signPayload, verifySignature } from '../../src/jobs/webhook-delivery.job.js';
import { csvCell, parseCursor, toCsv } from '../../src/services/changes.service.js';
import { keyPointsOf } from '../../src/services/events.service.js';
import {
  applyPatch,
  detectDelimiter,
  detectFormat,
  estimateRows,
  mapHeader,
  readCsv,
  readNdjson,
  validateRecord,
  type RawRecord,
} from '../../src/services/import-records.js';

const PATTERN = /^(?:KL-\d{6})$/;

async function rows(text: string) {
  const bytes = Buffer.from(text);
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/)[0];
  const delimiter = detectDelimiter(header);
  const out: RawRecord[] = [];
  for await (const r of readCsv(bytes, mapHeader(header.split(delimiter)).columns, delimiter)) out.push(r);
  return out;
}

function stored(c: Partial<CustomerRow>): CustomerRow {
  return { id: 'KL-000001', name: 'Acme', kvk: null, email: null, address: null, postcode: null, city: null, attributes: '{}', restricted: 0, created_at: '', updated_at: '', ...c };
}

describe('customer import records', () => {
  it('given headings in Dutch and English when mapped then they name the fields, and attributes.* keeps other CRM fields', () => {
    const { columns, problems } = mapHeader(['\uFEFFKlantnummer', 'Naam', 'KvK-nummer', 'E-mail', 'Woonplaats', 'attributes.segment']);
    assert.deepEqual(problems, []);
    assert.deepEqual(columns, [
      { kind: 'id' },
      { kind: 'field', field: 'name' },
      { kind: 'field', field: 'kvk' },
      { kind: 'field', field: 'email' },
      { kind: 'field', field: 'city' },
      { kind: 'attribute', key: 'segment' },
    ]);
  });

  it('given an unknown, a repeated or no number column when mapped then each is a problem', () => {
    assert.match(mapHeader(['id', 'colour']).problems[0], /"colour" is not a customer field/);
    assert.match(mapHeader(['id', 'name', 'naam']).problems[0], /repeats name/);
    assert.match(mapHeader(['name']).problems[0], /no customer number column/);
  });

  it('given a header line when the delimiter is guessed then semicolon, tab and comma are recognised', () => {
    assert.equal(detectDelimiter('id;name;city'), ';');
    assert.equal(detectDelimiter('id\tname'), '\t');
    assert.equal(detectDelimiter('id,name'), ',');
    assert.equal(detectDelimiter('id'), ',');
  });

  it('given quoted cells, a cell over two lines and blank lines when read then rows are the lines records start on', async () => {
    const out = await rows('id,name,address\r\nKL-000001,"A, ""B""",x\r\n\r\nKL-000002,C,"line 1\r\nline 2"\r\nKL-000003,D,y\r\n');
    assert.deepEqual(
      out.map((r) => ('values' in r ? [r.row, r.values.id, r.values.name, r.values.address] : [r.row, 'error'])),
      [
        [2, 'KL-000001', 'A, "B"', 'x'],
        [4, 'KL-000002', 'C', 'line 1\nline 2'],
        [6, 'KL-000003', 'D', 'y'],
      ],
    );
  });

  it('given a stray quote or a wrong cell count when read then the quote is kept as text, that row is an error and the rest is still read', async () => {
    const out = await rows('id;name\nKL-000001;"bad"quote\nKL-000002;ok;extra\nKL-000003;good\n');
    assert.deepEqual(out.map((r) => [r.row, 'error' in r ? 'error' : r.values.name]), [[2, '"bad"quote'], [3, 'error'], [4, 'good']]);
    const wrong = out.find((r) => r.row === 3)!;
    assert.ok('error' in wrong && /has 3 cells where the header has 2/.test(wrong.error.message), 'cell count named');
  });

  it('given a quote that is never closed when read then the rows before it are kept and the error names the row it opens on', async () => {
    const out = await rows('id,name\r\nKL-000001,"a\r\nb"\r\nKL-000002,"open\r\nKL-000003,x\r\n');
    out.sort((a, b) => a.row - b.row);
    assert.deepEqual(out.map((r) => [r.row, 'error' in r ? 'error' : r.values.id]), [[2, 'KL-000001'], [4, 'error']]);
    assert.ok('error' in out[1] && /never closed/.test(out[1].error.message), 'says what is wrong');
  });

  it('given JSON lines when read then blank lines are skipped, nested attributes flattened and bad lines reported', () => {
    const out = [...readNdjson(Buffer.from('{"customerId":"KL-000001","name":"A","attributes":{"tier":1}}\n\n[1]\n{oops\n'))];
    assert.deepEqual(out[0], { row: 1, values: { id: 'KL-000001', name: 'A', 'attributes.tier': 1 } });
    assert.deepEqual(out.slice(1).map((r) => [r.row, 'error' in r]), [[3, true], [4, true]]);
  });

  it('given a record when validated then each bad field is reported with the row, and good values are normalised', () => {
    const bad = validateRecord({ id: 'KL-1', name: '', kvk: '1234', email: 'nope', colour: 'red' }, PATTERN, 7);
    assert.equal(bad.patch, null);
    assert.deepEqual(bad.errors.map((e) => [e.row, e.field]), [[7, 'id'], [7, 'name'], [7, 'kvk'], [7, 'email'], [7, 'colour']]);
    const good = validateRecord({ id: ' KL-000001 ', name: ' Acme ', kvk: '3012 3456', email: '', 'attributes.segment': 'gold', 'attributes.old': '' }, PATTERN, 2);
    assert.deepEqual(good.errors, []);
    assert.deepEqual(good.patch, { id: 'KL-000001', set: { name: 'Acme', kvk: '30123456', email: null }, attributes: { segment: 'gold', old: null } });
  });

  it('given a patch when applied then absent fields stay, empty ones clear, and a patch that says nothing new is unchanged', () => {
    const before = stored({ city: 'Utrecht', email: 'a@b.nl', attributes: '{"old":1,"segment":"gold"}' });
    const r = applyPatch(before, { id: 'KL-000001', set: { email: null }, attributes: { old: null } });
    assert.ok('input' in r && r.changed, 'changed');
    if ('input' in r) assert.deepEqual([r.input.city, r.input.email, r.input.attributes], ['Utrecht', null, { segment: 'gold' }]);
    const same = applyPatch(before, { id: 'KL-000001', set: { name: 'Acme', city: 'Utrecht' }, attributes: { segment: 'gold' } });
    assert.ok('input' in same && !same.changed, 'a re-run changes nothing');
    const nameless = applyPatch(undefined, { id: 'KL-000002', set: { city: 'X' }, attributes: {} });
    assert.ok('error' in nameless && nameless.error.field === 'name', 'a new customer needs a name');
  });

  it('given bytes and a content type when the format is detected then CSV and JSON lines are told apart', () => {
    assert.equal(detectFormat('text/csv; charset=utf-8', null, Buffer.from('{')), 'csv');
    assert.equal(detectFormat('application/x-ndjson', null, Buffer.from('id')), 'ndjson');
    assert.equal(detectFormat(undefined, 'x.jsonl', Buffer.from('id')), 'ndjson');
    assert.equal(detectFormat('application/octet-stream', null, Buffer.from(' {"id":1}')), 'ndjson');
    assert.equal(detectFormat('image/png', null, Buffer.from('id')), null);
    assert.equal(estimateRows(Buffer.from('id\na\n\nb\r\nc'), 'csv'), 3);
  });
});

describe('export and signature helpers', () => {
  it('given cells that a spreadsheet would run as formulas when written as CSV then they are defused and quoted as needed', () => {
    assert.equal(csvCell('=SUM(A1)'), "'=SUM(A1)");
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell(-12.5), '-12.5');
    assert.equal(csvCell(null), '');
    assert.equal(toCsv(['a', 'b'], [[1, 'x']]), 'a,b\r\n1,x\r\n');
  });

  it('given fields when key points are taken then number, date, amount and end date come out', () => {
    assert.deepEqual(keyPointsOf({ number: 'Q-1', total: 10, currency: 'EUR', validUntil: '2026-01-01' }, '2025-12-01'), {
      number: 'Q-1',
      date: '2025-12-01',
      amount: 10,
      currency: 'EUR',
      endDate: '2026-01-01',
    });
  });

  it('given a cursor when parsed then digits pass, empty is the start and anything else is refused', () => {
    assert.equal(parseCursor(undefined), 0);
    assert.equal(parseCursor('42'), 42);
    assert.throws(() => parseCursor('-1'), /cursor/);
  });

  it('given a signed body when verified then the same secret, body and a fresh timestamp pass and nothing else does', () => {
    const body = '{"id":"evt_1"}';
    const ts = 1_800_000_000;
    const sig = signPayload('secret-0123456789', ts, body);
    assert.match(sig, /^sha256=[0-9a-f]{64}$/);
    assert.ok(verifySignature({ secret: 'secret-0123456789', body, timestamp: String(ts), signature: sig, nowSec: ts + 10 }), 'valid');
    assert.ok(!verifySignature({ secret: 'secret-0123456789', body, timestamp: String(ts + 1), signature: sig, nowSec: ts }), 'timestamp is signed too');
    assert.ok(!verifySignature({ secret: 'secret-0123456789', body, timestamp: String(ts), signature: sig, nowSec: ts + 301 }), 'stale');
    assert.ok(!verifySignature({ secret: 'secret-0123456789', body, timestamp: undefined, signature: sig }), 'missing header');
  });

  it('given failed attempts when the backoff is computed then it doubles, with jitter, up to the cap', () => {
    const p = { baseDelayMs: 1000, maxDelayMs: 5000, maxAttempts: 5, timeoutMs: 1000 };
    assert.deepEqual([1, 2, 3, 4].map((a) => backoffMs(a, p, () => 1)), [1000, 2000, 4000, 5000]);
    assert.equal(backoffMs(1, p, () => 0), 500);
  });
});
