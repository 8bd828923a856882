import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeBarcode } from '../../src/domain/barcode.js';
import {
  comparePaths,
  daysOverdue,
  defaultDueBackOn,
  judgeAudit,
  movementKind,
  parseScanTarget,
  placementProblem,
  type AuditItem,
} from '../../src/domain/tracking.js';

describe(placementProblem.name, () => {
  it('given the archive hierarchy when places nest outer to inner then they may, and never the reverse', () => {
    const ok: [Parameters<typeof placementProblem>[0], Parameters<typeof placementProblem>[1]][] = [
      ['site', null], ['room', 'site'], ['cabinet', 'room'], ['rack', 'room'], ['shelf', 'cabinet'], ['shelf', 'rack'],
      ['box', 'shelf'], ['folder', 'box'], ['box', 'site'], ['folder', 'shelf'],
    ];
    for (const [child, parent] of ok) assert.equal(placementProblem(child, parent), null, `${child} in ${parent}`);
    assert.match(placementProblem('site', 'room')!, /top-level/);
    assert.match(placementProblem('box', null)!, /must be inside/);
    assert.equal(placementProblem('shelf', 'box'), 'a shelf cannot go into a box');
    assert.equal(placementProblem('box', 'box'), 'a box cannot go into a box');
    assert.equal(placementProblem('box', 'folder'), 'a box cannot go into a folder');
    assert.equal(placementProblem('cabinet', 'rack'), 'a cabinet cannot go into a rack');
  });
});

describe(movementKind.name, () => {
  it('given where an item was and where it goes then the movement has the right name', () => {
    assert.equal(movementKind({ person: false, place: false }, false), 'file');
    assert.equal(movementKind({ person: false, place: true }, false), 'move');
    assert.equal(movementKind({ person: false, place: true }, true), 'check-out');
    assert.equal(movementKind({ person: false, place: false }, true), 'check-out');
    assert.equal(movementKind({ person: true, place: false }, false), 'check-in');
    assert.equal(movementKind({ person: true, place: false }, true), 'transfer');
  });
});

describe(parseScanTarget.name, () => {
  it('given keyboard-wedge input when parsed then white space and case do not matter', () => {
    const loc = makeBarcode('location', 17);
    assert.deepEqual(parseScanTarget(` ${loc.toLowerCase()}\r\n`), { type: 'place', code: { kind: 'location', number: 17, code: loc } });
    assert.equal(parseScanTarget(makeBarcode('container', 3)).type, 'place');
    assert.deepEqual(parseScanTarget('USER:usr_01abc'), { type: 'person', userId: 'usr_01abc' });
  });

  it('given something that is not a place when parsed then the reason names what it is', () => {
    const doc = parseScanTarget(makeBarcode('document', 1));
    assert.equal(doc.type === 'invalid' && doc.code, 'cannot_move_into_document');
    const letter = parseScanTarget(makeBarcode('letter', 1));
    assert.equal(letter.type === 'invalid' && letter.code, 'not_a_place');
    const typo = makeBarcode('location', 17).replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    const bad = parseScanTarget(typo);
    assert.ok(bad.type === 'invalid' && /check digit/.test(bad.message));
    assert.equal(parseScanTarget('user:../etc').type, 'invalid');
  });
});

describe(comparePaths.name, () => {
  it('given location paths when sorted then segment by segment, numbers as numbers, no place last', () => {
    const paths = [null, ['Site', 'Kast 3', 'Plank 10'], ['Site', 'Kast 3', 'Plank 2', 'Doos b'], ['Site', 'Kast 3', 'Plank 2'], ['Archief']];
    assert.deepEqual([...paths].sort(comparePaths), [['Archief'], ['Site', 'Kast 3', 'Plank 2'], ['Site', 'Kast 3', 'Plank 2', 'Doos b'], ['Site', 'Kast 3', 'Plank 10'], null]);
  });
});

describe(defaultDueBackOn.name, () => {
  it('given a check-out when no due date is given then it is due in 14 days; overdue counts from the day after', () => {
    assert.equal(defaultDueBackOn('2026-02-20'), '2026-03-06');
    assert.equal(defaultDueBackOn('2026-03-02', -3), '2026-02-27');
    assert.equal(daysOverdue('2026-03-06', '2026-03-06'), 0);
    assert.equal(daysOverdue('2026-03-06', '2026-03-09'), 3);
  });
});

describe(judgeAudit.name, () => {
  // shelf ⊃ boxA, boxB; elsewhere is outside the audited shelf.
  const parents: Record<string, string | null> = { shelf: null, boxA: 'shelf', boxB: 'shelf', elsewhere: null };
  const holds = (outer: string, inner: string) => {
    for (let at: string | null = inner; at; at = parents[at] ?? null) if (at === outer) return true;
    return false;
  };
  const item = (barcode: string, recordedAt: string | null, recordedWithPerson = false): AuditItem => ({ barcode, type: 'document', recordedAt, recordedWithPerson });

  it('given scans against records then each item lands in exactly one bucket', () => {
    const expected = [item('D1', 'boxA'), item('D2', 'boxA'), item('D3', 'boxA'), item('D4', 'shelf')];
    const known = new Map([
      ['D5', item('D5', 'elsewhere')],
      ['D6', item('D6', null, true)],
      ['D7', item('D7', null)],
    ]);
    const j = judgeAudit({
      expected,
      known,
      holds,
      scans: [
        { barcode: 'D1', foundIn: 'boxA' }, // where recorded
        { barcode: 'D2', foundIn: 'shelf' }, // counted at the shelf only: coarser, still present
        { barcode: 'D4', foundIn: 'boxB' }, // recorded loose on the shelf, found in box B: misplaced
        { barcode: 'D5', foundIn: 'boxB' },
        { barcode: 'D6', foundIn: 'boxB' },
        { barcode: 'D7', foundIn: 'shelf' },
        { barcode: 'D9', foundIn: 'shelf' },
      ],
    });
    assert.deepEqual(j.present.map((p) => p.barcode), ['D1', 'D2']);
    assert.deepEqual(j.missing, [{ barcode: 'D3', recordedAt: 'boxA' }]);
    assert.deepEqual(j.misplaced, [{ barcode: 'D4', recordedAt: 'shelf', foundIn: 'boxB' }]);
    assert.deepEqual(j.unexpected.map((u) => [u.barcode, u.reason]), [['D5', 'elsewhere'], ['D6', 'with_person'], ['D7', 'never_filed']]);
    assert.deepEqual(j.unknown, [{ barcode: 'D9', foundIn: 'shelf' }]);
  });

  it('given an empty count then everything expected is missing and nothing else is reported', () => {
    const j = judgeAudit({ expected: [item('D1', 'boxA')], scans: [], known: new Map(), holds });
    assert.deepEqual([j.present.length, j.missing.length, j.misplaced.length, j.unexpected.length, j.unknown.length], [0, 1, 0, 0, 0]);
  });
});
