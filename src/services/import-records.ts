import { Readable } from 'node:stream';
import { parse, type CsvError, type InfoRecord, type Options } from 'csv-parse';
import { z } from 'zod';
import type { CustomerInput, CustomerRow } from '../db/customers.repository.js';

/**
 * Pure parts of the customer import: reading CSV / JSON lines into records, mapping columns,
 * validating a record the way `PUT /api/customers/:id` validates a body, and applying it to the
 * stored customer. No I/O beyond reading the bytes given.
 */

export type ImportFormat = 'csv' | 'ndjson';
export type RowError = { row: number; field: string | null; message: string; customerId?: string | null };

export const MASTER_FIELDS = ['name', 'kvk', 'email', 'address', 'postcode', 'city'] as const;
type MasterField = (typeof MASTER_FIELDS)[number];

/** Column headings understood, lower case, with common spellings (Dutch CRM exports included). */
const HEADER_ALIASES: Record<string, 'id' | MasterField> = {
  id: 'id', customerid: 'id', customer_id: 'id', 'customer-id': 'id', customernumber: 'id', customer_number: 'id', number: 'id', klantnummer: 'id', crmid: 'id', crm_id: 'id',
  name: 'name', naam: 'name', bedrijfsnaam: 'name',
  kvk: 'kvk', kvknummer: 'kvk', kvk_number: 'kvk', 'kvk-nummer': 'kvk', kvknumber: 'kvk',
  email: 'email', 'e-mail': 'email', emailadres: 'email', 'e-mailadres': 'email',
  address: 'address', adres: 'address', straat: 'address',
  postcode: 'postcode', zip: 'postcode', postal_code: 'postcode', postalcode: 'postcode',
  city: 'city', plaats: 'city', woonplaats: 'city', vestigingsplaats: 'city',
};

export type Column = { kind: 'id' } | { kind: 'field'; field: MasterField } | { kind: 'attribute'; key: string };

/** A record before it touches the database: what to set (null clears), attributes to merge (null removes). */
export type CustomerPatch = { id: string; set: Partial<Record<MasterField, string | null>>; attributes: Record<string, string | number | boolean | null> };

/**
 * Maps CSV headings to fields. Other CRM fields go in `attributes.<key>` columns; an unknown
 * heading is an error rather than silently dropped data.
 *
 *     mapHeader(['Klantnummer', 'Naam', 'attributes.segment']).columns // [{kind:'id'}, {kind:'field',field:'name'}, {kind:'attribute',key:'segment'}]
 */
export function mapHeader(headings: string[]): { columns: Column[]; problems: string[] } {
  const problems: string[] = [];
  const columns: Column[] = [];
  const seen = new Set<string>();
  headings.forEach((raw, i) => {
    const h = raw.replace(/^\uFEFF/, '').trim();
    const attr = /^(?:attributes|attr)\.(.+)$/i.exec(h);
    let col: Column | null = null;
    if (attr && attr[1].trim()) col = { kind: 'attribute', key: attr[1].trim() };
    else {
      const target = HEADER_ALIASES[h.toLowerCase().replace(/\s+/g, '')];
      if (target === 'id') col = { kind: 'id' };
      else if (target) col = { kind: 'field', field: target };
    }
    if (!col) {
      problems.push(`column ${i + 1} "${h}" is not a customer field (known: id, ${MASTER_FIELDS.join(', ')}; other CRM fields as attributes.<name>)`);
      columns.push({ kind: 'attribute', key: `__unknown_${i}` });
      return;
    }
    const key = col.kind === 'id' ? 'id' : col.kind === 'field' ? col.field : `attributes.${col.key}`;
    if (seen.has(key)) problems.push(`column ${i + 1} "${h}" repeats ${key}`);
    seen.add(key);
    columns.push(col);
  });
  if (!columns.some((c) => c.kind === 'id')) problems.push('there is no customer number column (id, customerId or klantnummer)');
  return { columns, problems };
}

/**
 * The delimiter of a CSV header line: comma, semicolon (Dutch Excel) or tab, whichever occurs most.
 *
 *     detectDelimiter('id;name;city') // ';'
 */
export function detectDelimiter(headerLine: string): string {
  const counts = [',', ';', '\t'].map((d) => ({ d, n: headerLine.split(d).length - 1 }));
  counts.sort((a, b) => b.n - a.n);
  return counts[0].n > 0 ? counts[0].d : ',';
}

/** The first line of a text, without BOM. */
export function firstLine(bytes: Buffer): string {
  const head = bytes.subarray(0, 64 * 1024).toString('utf8').replace(/^\uFEFF/, '');
  const nl = head.search(/\r?\n/);
  return nl === -1 ? head : head.slice(0, nl);
}

/** Records in a file (an estimate: lines that are not blank, less the CSV header). */
export function estimateRows(bytes: Buffer, format: ImportFormat): number {
  let n = 0;
  let blank = true;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 10) {
      if (!blank) n++;
      blank = true;
    } else if (c !== 13 && c !== 32) blank = false;
  }
  if (!blank) n++;
  return Math.max(0, format === 'csv' ? n - 1 : n);
}

/** CSV, JSON lines, or neither, from the content type, the file name and the first byte. */
export function detectFormat(contentType: string | undefined, fileName: string | null, bytes: Buffer): ImportFormat | null {
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (['text/csv', 'application/csv', 'text/comma-separated-values', 'application/vnd.ms-excel'].includes(ct)) return 'csv';
  if (['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/json-lines', 'application/jsonlines'].includes(ct)) return 'ndjson';
  if (fileName && /\.(csv|txt)$/i.test(fileName)) return 'csv';
  if (fileName && /\.(ndjson|jsonl)$/i.test(fileName)) return 'ndjson';
  if (ct && ct !== 'application/octet-stream' && ct !== 'text/plain') return null;
  const start = bytes.subarray(0, 1024).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return start.startsWith('{') ? 'ndjson' : 'csv';
}

export type RawRecord = { row: number; values: Record<string, unknown> } | { row: number; error: RowError };

/**
 * Reads CSV records as objects keyed by column target (`id`, `name`, `attributes.x`); rows are
 * the line a record starts on (the spreadsheet row when no cell spans lines). A malformed record
 * is an error for its row; the rest of the file is still read.
 */
export async function* readCsv(bytes: Buffer, columns: Column[], delimiter: string): AsyncGenerator<RawRecord> {
  const skipped: RowError[] = [];
  // Line bookkeeping happens while parsing, in order with the skips. csv-parse counts a CRLF inside
  // a quoted cell as two lines, so those are counted and taken off.
  let crlfInCells = 0;
  let lastEnd = 0;
  const parser = Readable.from([bytes]).pipe(
    parse({
      bom: true,
      delimiter,
      relax_column_count: true,
      // A stray quote inside a cell is kept as text (as spreadsheets do) rather than failing the row.
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_record: (record: string[], ctx: InfoRecord) => {
        let breaks = 0;
        for (let i = 0; i < record.length; i++) {
          crlfInCells += record[i].match(/\r\n/g)?.length ?? 0;
          const n = record[i].match(/\r\n|\n|\r/g)?.length ?? 0;
          if (n) record[i] = record[i].replace(/\r\n?/g, '\n');
          breaks += n;
        }
        lastEnd = ctx.lines - crlfInCells;
        return { record, row: lastEnd - breaks };
      },
      on_skip: (e: CsvError | undefined) => {
        if (!e) return undefined;
        if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
          skipped.push({ row: lastEnd + 1, field: null, message: 'a quote opened on this row is never closed: this row and every row after it could not be read' });
        } else skipped.push({ row: (typeof e.lines === 'number' ? e.lines : lastEnd + 1) - crlfInCells, field: null, message: `not readable as CSV: ${e.message.replace(/\s+at line \d+.*$/, '')}` });
        return undefined;
      },
    } as unknown as Options),
  );
  let header = true;
  for await (const item of parser as AsyncIterable<{ record: string[]; row: number }>) {
    while (skipped.length) yield { row: skipped[0].row, error: skipped.shift()! };
    if (header) {
      header = false;
      continue;
    }
    const { record, row } = item;
    if (record.length !== columns.length) {
      yield { row, error: { row, field: null, message: `has ${record.length} cells where the header has ${columns.length}` } };
      continue;
    }
    const values: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      values[c.kind === 'id' ? 'id' : c.kind === 'field' ? c.field : `attributes.${c.key}`] = record[i];
    });
    yield { row, values };
  }
  while (skipped.length) yield { row: skipped[0].row, error: skipped.shift()! };
}

/** Reads JSON lines: one object per line, blank lines skipped; `attributes` may be a nested object. */
export function* readNdjson(bytes: Buffer): Generator<RawRecord> {
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  let row = 0;
  for (const line of text.split('\n')) {
    row++;
    const s = line.trim();
    if (!s) continue;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (e) {
      yield { row, error: { row, field: null, message: `not valid JSON: ${(e as Error).message}` } };
      continue;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      yield { row, error: { row, field: null, message: 'each line must be one JSON object' } };
      continue;
    }
    const values: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'attributes' && val && typeof val === 'object' && !Array.isArray(val)) {
        for (const [ak, av] of Object.entries(val as Record<string, unknown>)) values[`attributes.${ak}`] = av;
      } else {
        const target = HEADER_ALIASES[k.toLowerCase()];
        values[target ?? k] = val;
      }
    }
    yield { row, values };
  }
}

const Email = z.email();

/**
 * Validates one record like `PUT /api/customers/:id` validates a body. Empty cells clear a field
 * (the CRM is leading); a column the file does not have leaves the field alone.
 *
 *     validateRecord({ id: 'KL-000001', name: 'Acme', kvk: '1234' }, /^KL-\d{6}$/, 2).errors // [{ row: 2, field: 'kvk', message: 'a KvK number has 8 digits' }]
 */
export function validateRecord(values: Record<string, unknown>, pattern: RegExp, row: number): { patch: CustomerPatch | null; errors: RowError[] } {
  const errors: RowError[] = [];
  const rawId = values.id;
  const id = typeof rawId === 'string' ? rawId.trim() : typeof rawId === 'number' ? String(rawId) : '';
  const err = (field: string | null, message: string) => errors.push({ row, field, message, customerId: id || null });
  if (!id) err('id', 'the customer number is missing');
  else if (!pattern.test(id)) err('id', `${JSON.stringify(id)} is not a customer number (expected ${pattern.source})`);
  const set: CustomerPatch['set'] = {};
  const attributes: CustomerPatch['attributes'] = {};
  for (const [key, raw] of Object.entries(values)) {
    if (key === 'id') continue;
    if (key.startsWith('attributes.')) {
      const k = key.slice('attributes.'.length);
      if (raw === null || raw === '') attributes[k] = null;
      else if (typeof raw === 'string') raw.length > 2000 ? err(key, 'longer than 2000 characters') : (attributes[k] = raw.trim());
      else if (typeof raw === 'number' || typeof raw === 'boolean') attributes[k] = raw;
      else err(key, 'must be text, a number, true/false or null');
      continue;
    }
    if (!(MASTER_FIELDS as readonly string[]).includes(key)) {
      err(key, `unknown field (known: id, ${MASTER_FIELDS.join(', ')}, attributes)`);
      continue;
    }
    const field = key as MasterField;
    if (raw !== null && raw !== undefined && typeof raw !== 'string') {
      err(field, 'must be text');
      continue;
    }
    let v = raw === null || raw === undefined ? null : raw.trim() || null;
    if (field === 'name') {
      if (!v) err('name', 'the name is required and cannot be cleared');
      else if (v.length > 300) err('name', 'longer than 300 characters');
    } else if (field === 'kvk' && v) {
      v = v.replace(/[\s.]/g, '');
      if (!/^\d{8}$/.test(v)) err('kvk', 'a KvK number has 8 digits');
    } else if (field === 'email' && v) {
      if (v.length > 300 || !Email.safeParse(v).success) err('email', `${JSON.stringify(v)} is not an e-mail address`);
    } else if (v && v.length > ({ address: 500, postcode: 20, city: 200 } as Record<string, number>)[field]) {
      err(field, `longer than ${({ address: 500, postcode: 20, city: 200 } as Record<string, number>)[field]} characters`);
    }
    set[field] = v;
  }
  return { patch: errors.length ? null : { id, set, attributes }, errors };
}

function canonical(v: unknown): string {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * The customer after the patch; `null` with a message when it cannot be (a new customer needs a name).
 * `changed` is false when the stored customer already says all of it (a re-run of the same file).
 */
export function applyPatch(existing: CustomerRow | undefined, p: CustomerPatch): { input: CustomerInput; changed: boolean } | { error: RowError } {
  const base: CustomerInput = existing
    ? { name: existing.name, kvk: existing.kvk, email: existing.email, address: existing.address, postcode: existing.postcode, city: existing.city, attributes: JSON.parse(existing.attributes) as Record<string, unknown> }
    : { name: '', kvk: null, email: null, address: null, postcode: null, city: null, attributes: {} };
  const next: CustomerInput = { ...base, attributes: { ...base.attributes } };
  for (const [k, v] of Object.entries(p.set)) (next as Record<string, unknown>)[k] = v;
  for (const [k, v] of Object.entries(p.attributes)) {
    if (v === null) delete next.attributes![k];
    else next.attributes![k] = v;
  }
  if (!next.name) return { error: { row: 0, field: 'name', message: 'a new customer needs a name', customerId: p.id } };
  const changed = !existing || MASTER_FIELDS.some((f) => (next[f] ?? null) !== (base[f] ?? null)) || canonical(next.attributes) !== canonical(base.attributes);
  return { input: next, changed };
}
