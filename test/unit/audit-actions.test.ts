import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
// @ts-expect-error plain browser ES module without types: a data object of texts
import { DAILY } from '../../src/web/public/js/i18n-daily.js';
import type { MovementKind } from '../../src/domain/tracking.js';
import { REPO_ROOT } from '../helpers/entry.js';

const root = REPO_ROOT;

/** The action list of the web audit page's filter (views/audit.js touches the DOM on import, so it is read as text). */
async function filterActions(): Promise<string[]> {
  const src = await readFile(path.join(root, 'src/web/public/js/views/audit.js'), 'utf8');
  const list = /const ACTIONS = \[([^\]]*)\]/.exec(src)?.[1];
  assert.ok(list, 'ACTIONS found in views/audit.js');
  return [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}

/** Every audit action the server records as a literal `action: '…'`. */
async function recordedActions(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const f of await readdir(path.join(root, 'src'), { recursive: true })) {
    if (!f.endsWith('.ts')) continue;
    for (const m of (await readFile(path.join(root, 'src', f), 'utf8')).matchAll(/action: '([a-z][a-z.-]+)'/g)) out.add(m[1]!);
  }
  return out;
}

/** Dotted words on a line that sets `action:` to one of several (`action: x ? 'a.b' : 'a.c'`). */
async function chosenActions(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const f of await readdir(path.join(root, 'src'), { recursive: true })) {
    if (!f.endsWith('.ts')) continue;
    for (const line of (await readFile(path.join(root, 'src', f), 'utf8')).split('\n')) {
      if (/\baction: [^'\s]/.test(line)) for (const m of line.matchAll(/'([a-z]+\.[a-z][a-z.-]*)'/g)) out.add(m[1]!);
    }
  }
  return out;
}

/** The web audit page's action filter: every destruction and erasure is listed, each with a Dutch and an English label. */
describe('audit page action filter', () => {
  it('given the destructions and erasures the server audits when the filter list is read then each is in it', async () => {
    const listed = new Set(await filterActions());
    const destructive = [...(await recordedActions())].filter((a) => /destroy|erase$|redact$/.test(a)).sort();
    assert.ok(destructive.includes('mail.message-destroy') && destructive.includes('coupon.review-destroy') && destructive.includes('coupon.batch-file-redact'), destructive.join(', '));
    assert.deepEqual(destructive.filter((a) => !listed.has(a)), [], 'destructions missing from the audit filter');
  });

  it('given every action the server records when the audit log shows it then it has a Dutch and an English name, not its code', async () => {
    const texts = DAILY as Record<'nl' | 'en', Record<string, string>>;
    // The literal also matches other fields named action (a coupon review's 'discard', a hold's
    // 'keep'); audit actions are dotted, or 'search'. Beside them: dotted words chosen on the same
    // line (`action: x ? 'a.b' : 'a.c'`) and a movement's action, built from its kind.
    const movements: Record<MovementKind, true> = { file: true, move: true, 'check-out': true, 'check-in': true, transfer: true, correction: true };
    const actions = [...new Set([...(await recordedActions()), ...(await chosenActions()), ...Object.keys(movements).map((k) => `tracking.${k}`)])]
      .filter((a) => a.includes('.') || a === 'search')
      .sort();
    assert.ok(actions.includes('session.create') && actions.includes('document.view') && actions.length > 60, actions.join(', '));
    for (const lang of ['nl', 'en'] as const) {
      assert.deepEqual(actions.filter((a) => typeof texts[lang][`audit.act.${a}`] !== 'string'), [], `${lang}: actions without a name`);
    }
  });

  it('given every kind of subject the server audits when the log names it then it has a Dutch and an English name', async () => {
    const texts = DAILY as Record<'nl' | 'en', Record<string, string>>;
    const types = new Set<string>(['container']); // a movement's item (tracking.service.ts), chosen at run time
    for (const f of await readdir(path.join(root, 'src'), { recursive: true })) {
      if (!f.endsWith('.ts')) continue;
      for (const m of (await readFile(path.join(root, 'src', f), 'utf8')).matchAll(/subjectType: '([a-z][a-z-]*)'/g)) types.add(m[1]!);
    }
    assert.ok(types.has('letter') && types.has('document') && types.size > 15, [...types].join(', '));
    for (const lang of ['nl', 'en'] as const) {
      assert.deepEqual([...types].filter((ty) => typeof texts[lang][`audit.type.${ty}`] !== 'string').sort(), [], `${lang}: subjects without a name`);
    }
  });

  it('given the service acting on its own (daily pass, mailbox, scanner inbox, command line) when the log names the actor then both languages say what it is', async () => {
    const texts = DAILY as Record<'nl' | 'en', Record<string, string>>;
    // Principals with a fixed id that is no user's: \`const X: Principal = { id: '…'\` and the like.
    const ids = new Set<string>();
    for (const f of await readdir(path.join(root, 'src'), { recursive: true })) {
      if (!f.endsWith('.ts')) continue;
      for (const m of (await readFile(path.join(root, 'src', f), 'utf8')).matchAll(/\{ id: '([a-z][a-z-]*)', name: '/g)) ids.add(m[1]!);
    }
    assert.ok(ids.has('system') && ids.has('email') && ids.has('inbox'), [...ids].join(', '));
    for (const lang of ['nl', 'en'] as const) assert.deepEqual([...ids].filter((id) => typeof texts[lang][`audit.actor.${id}`] !== 'string').sort(), [], `${lang}: actors without a name`);
  });

  it('given every field the server writes into an event\'s details when the log shows it then both languages name it', async () => {
    const texts = DAILY as Record<'nl' | 'en', Record<string, string>>;
    // Keys of every literal \`details: { … }\`, nested objects' keys too (a destruction's retention);
    // an arrow function's parameters inside one (\`([f, a, b]) =>\`) are no keys.
    const keys = new Set<string>();
    for (const f of await readdir(path.join(root, 'src'), { recursive: true })) {
      if (!f.endsWith('.ts')) continue;
      for (const m of (await readFile(path.join(root, 'src', f), 'utf8')).matchAll(/details: \{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g)) {
        const body = m[1]!.replace(/\([^()]*\)\s*=>/g, '').replace(/[{}]/g, ',');
        for (const k of body.matchAll(/(?:^|,)\s*([a-zA-Z_]\w*)\s*(?=[:,]|$)/g)) keys.add(k[1]!);
      }
    }
    // Spread into details from objects made elsewhere: a disposal proposal's counts by medium and
    // disposition, a subject-access export's counts, an erasure's removed extras, an inventory's result.
    const spread = ['digital', 'paper', 'review', 'transfer', 'mailMessages', 'originals', 'statuses', 'accessLog', 'statusVariables', 'statusHistory', 'aliases', 'expected', 'scanned', 'present', 'missing', 'misplaced', 'unexpected', 'unknown', 'corrected'];
    for (const k of spread) keys.add(k);
    assert.ok(keys.has('documentIds') && keys.has('keptShared') && keys.has('legalBasis') && keys.size > 120, [...keys].join(', '));
    for (const lang of ['nl', 'en'] as const) {
      assert.deepEqual([...keys].filter((k) => typeof texts[lang][`audit.key.${k}`] !== 'string').sort(), [], `${lang}: detail fields shown by their code`);
    }
  });

  it('given the filter list when labelled then every action has a Dutch and an English label', async () => {
    const texts = DAILY as Record<'nl' | 'en', Record<string, string>>;
    for (const a of await filterActions()) {
      for (const lang of ['nl', 'en'] as const) assert.equal(typeof texts[lang][`audit.act.${a}`], 'string', `${lang} label for ${a}`);
    }
  });
});
