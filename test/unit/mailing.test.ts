import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COUPON_MODULE_MM,
  LETTER_LAYOUT,
  couponFrame,
  csvField,
  csvLine,
  decideAnswer,
  dutchDate,
  fill,
  groupCouponPages,
  notMailable,
  readTickBoxes,
  tickBoxMm,
  unknownPlaceholders,
  type Grey,
  type LetterVars,
  type PageRead,
  type Quad,
} from '../../src/domain/mailing.js';
import { addNoise, rotate } from '../helpers/degrade-image.js';

const vars: LetterVars = {
  name: 'Bakkerij Jansen',
  customerId: 'KL-000123',
  address: 'Dorpsstraat 1',
  postcode: '1234 AB',
  city: 'Utrecht',
  mailing: 'Najaarsactie',
  date: '14 maart 2026',
  barcode: 'M0000000018',
  seq: '1',
  total: '2',
};

describe(fill.name, () => {
  it('given placeholders with and without spaces when filled then each is replaced and unknown ones stay visible', () => {
    assert.equal(fill('Geachte {{name}}, uw nummer is {{ customerId }} ({{nope}})', vars), 'Geachte Bakkerij Jansen, uw nummer is KL-000123 ({{nope}})');
  });
  it('given a template text when checked then unknown placeholders are listed', () => {
    assert.deepEqual(unknownPlaceholders('{{name}} {{naam}} {{ total }} {{Name}}'), ['naam', 'Name']);
  });
  it('given ISO dates when printed then Dutch long dates come out', () => {
    assert.equal(dutchDate('2026-03-14'), '14 maart 2026');
    assert.equal(dutchDate('2026-12-01T10:00:00Z'), '1 december 2026');
  });
});

describe(notMailable.name, () => {
  const base = { id: 'KL-1', name: 'X', address: 'A 1', postcode: '1234 AB', city: 'C', restricted: 0, attributes: '{}' };
  it('given customers when checked then restriction, withdrawn consent and a missing address stop a letter', () => {
    assert.equal(notMailable(base), null);
    assert.equal(notMailable({ ...base, restricted: 1 }), 'restricted');
    assert.equal(notMailable({ ...base, attributes: '{"consentWithdrawnOn":"2025-01-01"}' }), 'consent_withdrawn');
    assert.equal(notMailable({ ...base, city: '  ' }), 'no_address');
    assert.equal(notMailable({ ...base, attributes: 'not json' }), null);
  });
});

describe(groupCouponPages.name, () => {
  const p = (pageNo: number, kind: PageRead['kind'], code: string | null = null): PageRead => ({ pageNo, kind, code });
  it('given no separators when grouped then every page is its own unit', () => {
    const units = groupCouponPages([p(1, 'letter', 'M1'), p(2, 'none'), p(3, 'letter', 'M2')]);
    assert.deepEqual(units.map((u) => [u.pages, u.kind, u.code]), [[[1], 'letter', 'M1'], [[2], 'none', null], [[3], 'letter', 'M2']]);
  });
  it('given a separator when grouped then the pages after it stay with the coupon, also the ones before the code', () => {
    const units = groupCouponPages([p(1, 'separator', 'S1'), p(2, 'none'), p(3, 'letter', 'M1'), p(4, 'none'), p(5, 'separator', 'S1'), p(6, 'letter', 'M2')]);
    assert.deepEqual(units.map((u) => [u.unit, u.pages, u.keyPage, u.code, u.separator]), [
      [2, [2, 3, 4], 3, 'M1', 'S1'],
      [6, [6], 6, 'M2', 'S1'],
    ]);
  });
  it('given a group with two coupons when grouped then it splits at each code', () => {
    const units = groupCouponPages([p(1, 'separator', 'S1'), p(2, 'letter', 'M1'), p(3, 'none'), p(4, 'letter', 'M2'), p(5, 'none')]);
    assert.deepEqual(units.map((u) => u.pages), [[2, 3], [4, 5]]);
  });
  it('given a group without any letter code when grouped then it is one unit for review, keyed by the most telling page', () => {
    const units = groupCouponPages([p(1, 'separator', 'S1'), p(2, 'none'), p(3, 'invalid', 'XYZ'), p(4, 'separator', 'S2')]);
    assert.deepEqual(units.map((u) => [u.pages, u.kind, u.keyPage, u.code]), [[[2, 3], 'invalid', 3, 'XYZ']]);
  });
});

describe(csvField.name, () => {
  it('given awkward values when written then quotes, separators and line breaks are quoted and formulas defused', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('=SUM(A1)'), "'=SUM(A1)");
    assert.equal(csvField('-5'), "'-5");
    assert.equal(csvField(-5), '-5');
    assert.equal(csvField(null), '');
    assert.equal(csvLine(['a', 1, null]), 'a,1,\r\n');
  });
});

describe(decideAnswer.name, () => {
  const r = (fill: number) => ({ fill, outline: 0.9 });
  it('given tick readings when decided then one ticked box is the answer, none or several are not', () => {
    assert.deepEqual(decideAnswer([r(0.3), r(0.01)], ['yes', 'no']), { answer: 'yes' });
    assert.deepEqual(decideAnswer([r(0.01), r(0.02)], ['yes', 'no']), { answer: null, note: 'none_ticked' });
    assert.deepEqual(decideAnswer([r(0.3), r(0.4)], ['yes', 'no']), { answer: null, note: 'several_ticked' });
    assert.deepEqual(decideAnswer([{ fill: 0.5, outline: 0.1 }, { fill: 0, outline: 0.1 }], ['yes', 'no']).note, 'boxes_not_found');
  });
});

describe(couponFrame.name, () => {
  // A synthetic coupon at 150 dpi: bars of alternating widths and the two tick boxes, the first ticked.
  const DPI = 150;
  const px = (mm: number) => (mm / 25.4) * DPI;
  const bc = LETTER_LAYOUT.coupon.barcode;
  const barsMm = 112 * COUPON_MODULE_MM;
  function coupon(): Grey {
    const width = Math.round(px(210));
    const height = Math.round(px(95));
    const data = new Uint8Array(width * height).fill(255);
    const top = 200; // mm of the page where this crop starts
    const set = (x: number, y: number) => (data[Math.round(y) * width + Math.round(x)] = 0);
    let x = bc.x;
    for (let i = 0; x < bc.x + barsMm - 0.01; i++) {
      const w = ((i % 3) + 1) * COUPON_MODULE_MM;
      if (i % 2 === 0) for (let xx = px(x); xx < px(x + w); xx++) for (let yy = px(bc.y - top); yy < px(bc.y - top + bc.height); yy++) set(xx, yy);
      x += w;
    }
    for (const i of [0, 1]) {
      const b = tickBoxMm(i);
      for (let t = 0; t <= px(b.size); t += 0.5) {
        set(px(b.x) + t, px(b.y - top));
        set(px(b.x) + t, px(b.y - top + b.size));
        set(px(b.x), px(b.y - top) + t);
        set(px(b.x + b.size), px(b.y - top) + t);
      }
      if (i === 0) for (let t = px(1.2); t < px(b.size - 1.2); t += 0.3) for (const d of [-1, 0, 1]) set(px(b.x) + t + d, px(b.y - top) + t);
    }
    return { width, height, data };
  }
  /**
   * The quad a linear decoder would report: a band of rows near the top of the bars, off-centre
   * on purpose, so only a measured top edge (not half a bar height above the band) finds the boxes.
   */
  function decodedQuad(img: Grey, angleDeg: number, original: Grey): Quad {
    const rad = (angleDeg * Math.PI) / 180;
    const map = (x: number, y: number) => {
      const dx = x - original.width / 2;
      const dy = y - original.height / 2;
      return { x: dx * Math.cos(rad) - dy * Math.sin(rad) + img.width / 2, y: dx * Math.sin(rad) + dy * Math.cos(rad) + img.height / 2 };
    };
    const y0 = px(bc.y - 200 + 2);
    const y1 = px(bc.y - 200 + 4);
    const l = px(bc.x);
    const r = px(bc.x + barsMm);
    return { topLeft: map(l, y0), topRight: map(r, y0), bottomRight: map(r, y1), bottomLeft: map(l, y1) };
  }
  const boxes = [0, 1].map((i) => ({ x: tickBoxMm(i).x - bc.x, y: tickBoxMm(i).y - bc.y, size: tickBoxMm(i).size }));

  for (const angle of [0, 4, -3, 180]) {
    it(`given a coupon turned ${angle}° and a decoded band of rows when framed then the bars' top edge is found and the tick is read`, () => {
      const clean = coupon();
      const img = addNoise(rotate(clean, angle), { speckle: 0.005, seed: 5 });
      const frame = couponFrame(img, decodedQuad(img, angle, clean), barsMm, bc.height);
      assert.ok(Math.abs(frame.pxPerMm - DPI / 25.4) < 0.15, `scale ${frame.pxPerMm}`);
      const readings = readTickBoxes(img, frame, boxes);
      assert.deepEqual(decideAnswer(readings, ['yes', 'no']), { answer: 'yes' }, JSON.stringify(readings));
    });
  }
});
