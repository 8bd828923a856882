/**
 * The UI dictionary (src/web/public/js/i18n.js): Dutch and English have the same keys, and every
 * key the screens ask for literally exists. Needs no browser.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import type { IntakePage } from '../../src/domain/intake-split.js';
import type { PageKind } from '../../src/domain/mailing.js';
import { progressNotes } from '../../src/services/progress-notes.js';

const WEB = path.resolve('src/web/public/js');
type Dict = Record<'nl' | 'en', Record<string, string | ((p: Record<string, unknown>) => string)>>;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.js')) out.push(p);
  }
  return out;
}

describe('web UI dictionary', () => {
  let DICT: Dict;
  let t: (key: string, p?: Record<string, unknown>) => string;
  before(async () => {
    // i18n.js reads the chosen language from localStorage at load; Node has none.
    (globalThis as Record<string, unknown>).localStorage ??= { getItem: () => null, setItem: () => undefined };
    ({ DICT, t } = await import(pathToFileURL(path.join(WEB, 'i18n.js')).href));
  });

  it('given both languages when comparing keys then each has exactly the same keys', () => {
    const nl = Object.keys(DICT.nl).sort();
    const en = Object.keys(DICT.en).sort();
    assert.deepEqual(nl.filter((k) => !en.includes(k)), [], 'keys only in Dutch');
    assert.deepEqual(en.filter((k) => !nl.includes(k)), [], 'keys only in English');
  });

  it('given every screen when collecting literal t() keys then each is in the dictionary', async () => {
    const missing: string[] = [];
    for (const file of await sources(WEB)) {
      const src = await readFile(file, 'utf8');
      for (const m of src.matchAll(/\bt\('([a-zA-Z0-9_.-]+)'/g)) if (!(m[1]! in DICT.nl)) missing.push(`${path.basename(file)}: ${m[1]}`);
    }
    assert.deepEqual(missing, [], 'keys used but not defined');
  });

  it('given the refusals an upload or a search can get when shown in Dutch then each has a sentence of its own, without raw codes', () => {
    // Each of these reaches the mailroom's upload list or the search box; without a text the
    // Dutch interface showed "Dat lukte niet (413, too_many_pages)".
    const codes = ['empty_file', 'unsupported_media_type', 'payload_too_large', 'corrupt_pdf', 'encrypted_pdf', 'pdf_too_complex', 'corrupt_image', 'image_too_large', 'too_many_pages', 'busy', 'not_multipart', 'malformed_multipart', 'duplicate_upload', 'xml_malformed', 'not_an_e_invoice', 'invalid_e_invoice', 'search_timeout', 'rate_limited', 'prefix_too_short', 'too_many_terms', 'too_many_prefixes', 'invalid_query'];
    for (const code of codes) {
      const text = t(`error.${code}`, { pages: 31, maxPages: 30, status: 400, code });
      assert.notEqual(text, `error.${code}`, `no Dutch text for ${code}`);
      assert.ok(!text.includes(code) && !/[{}]/.test(text), `${code}: ${text}`);
    }
    assert.match(t('error.too_many_pages', { pages: 31, maxPages: 30 }), /31 pagina’s.*hoogstens 30/);
  });

  it('given every progress note a job records when the jobs screen shows it then both languages have a text with every parameter filled', () => {
    const fill = (v: string | ((p: Record<string, unknown>) => string), p: Record<string, unknown>) =>
      typeof v === 'function' ? v(p) : v.replace(/\{(\w+)\}/g, (_, k: string) => String(p[k] ?? `{${k}}`));
    // Records: adding a page kind without its words fails to compile here.
    const intakeKinds: Record<IntakePage['kind'], true> = { plain: true, sheet: true, coupon: true, paper: true };
    const couponKinds: Record<PageKind, true> = { letter: true, separator: true, other: true, invalid: true, multiple: true, none: true };
    const notes = [
      progressNotes.textLayerRead(),
      progressNotes.ocrStarted(),
      progressNotes.pageRead(3, 94),
      ...Object.keys(intakeKinds).map((k) => progressNotes.pageCodes(2, k)),
      ...Object.keys(couponKinds).map((k) => progressNotes.couponPage(4, k, 'M7Q2')),
      progressNotes.batchRead(),
      progressNotes.splitInto(1),
      progressNotes.splitInto(3),
    ];
    for (const lang of ['nl', 'en'] as const) {
      for (const n of notes) {
        const params: Record<string, unknown> = { ...n.params };
        if (params.kind !== undefined) {
          const kindName = DICT[lang][`jobs.pageKind.${String(params.kind)}`];
          assert.ok(kindName, `${lang}: jobs.pageKind.${String(params.kind)}`);
          params.kindName = kindName;
        }
        const v = DICT[lang][`jobs.note.${n.code}`];
        assert.ok(v, `${lang}: jobs.note.${n.code}`);
        const text = fill(v!, params);
        assert.doesNotMatch(text, /[{}]|undefined/, `${lang} ${n.code}: ${text}`);
      }
    }
    assert.equal(fill(DICT.nl['jobs.note.page_read']!, { page: 3, confidence: 94 }), 'pagina 3 herkend (94%)');
    assert.equal(fill(DICT.nl['jobs.note.split_into']!, { n: 1 }), 'gesplitst in 1 deel');
    assert.equal(fill(DICT.nl['jobs.note.split_into']!, { n: 3 }), 'gesplitst in 3 delen');
    // Why a job failed: the codes the queue itself gives, beside those of the errors it keeps.
    for (const code of ['job_failed', 'job_interrupted', 'restricted_hidden']) {
      for (const lang of ['nl', 'en'] as const) assert.doesNotMatch(fill(DICT[lang][`error.${code}`]!, { message: 'x' }), /[{}]|undefined/, `${lang} ${code}`);
    }
  });

  it('given why a document failed after its upload when shown then Dutch says what to do and English gives the server\'s sentence', () => {
    for (const code of ['processing_failed', 'split_failed']) {
      assert.match(t(`error.${code}`, { message: 'OCR timed out' }), /Een beheerder kan het opnieuw proberen bij Verwerking/, code);
      assert.equal(DICT.en[`error.${code}`] instanceof Function, true, code);
      const en = DICT.en[`error.${code}`] as (p: Record<string, unknown>) => string;
      assert.match(en({ message: 'OCR timed out' }), /OCR timed out.*retry it under Processing/, code);
      assert.doesNotMatch(en({}), /\(\)|: \./, `${code} without a message`);
    }
  });

  it('given placeholders and plurals when translating then they are filled in', () => {
    assert.equal(t('upload.queued', { n: 1 }), '1 bestand in de wachtrij.');
    assert.equal(t('upload.queued', { n: 3 }), '3 bestanden in de wachtrij.');
    assert.equal(t('signin.welcome', { name: 'Mila' }), 'Welkom, Mila.');
    assert.equal(t('upload.summary', { total: 1, ready: 0, review: 0, failed: 1, busy: 0 }), '1 bestand: 0 klaar, 0 te controleren, 1 mislukt, 0 bezig.');
    assert.match(t('upload.summary', { total: 2, ready: 2, review: 0, failed: 0, busy: 0 }), /^2 bestanden: 2 klaar/);
    assert.equal(t('no.such.key'), 'no.such.key', 'an unknown key falls back to itself');
  });
});
