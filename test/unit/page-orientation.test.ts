import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { despeckle, downscaleGrey, rotateGrey } from '../../src/adapters/image/image-pages.js';
import { guessTextOrientation } from '../../src/adapters/ocr/ocr-engine.js';
import { toPgm } from '../../src/adapters/ocr/tesseract-ocr.engine.js';
import type { GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import { addSpeckle, renderScan } from '../helpers/scan-samples.js';

const upright = (turnedBy: 0 | 90 | 180 | 270) => ((360 - turnedBy) % 360) as 0 | 90 | 180 | 270;
const tiny: GreyImage = { width: 3, height: 2, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };

describe(guessTextOrientation.name, () => {
  for (const turned of [0, 90, 180, 270] as const) {
    it(`given a letter turned ${turned}° when guessed then the correction is ${upright(turned)}°`, () => {
      const guess = guessTextOrientation(renderScan({ dpi: 150, rotate: turned }));
      assert.equal(guess.rotation, upright(turned));
      assert.ok(guess.lineCertainty > 0.5 && guess.flipCertainty > 0.2, JSON.stringify(guess));
    });
  }
  it('given a noisy letter skewed 3° and upside down when guessed then the correction is 180°', () => {
    assert.equal(guessTextOrientation(renderScan({ dpi: 200, rotate: 180, skewDeg: 3, noise: 0.004 })).rotation, 180);
  });
  it('given ALL-CAPS text when guessed then it admits it cannot tell up from down', () => {
    const guess = guessTextOrientation(renderScan({ dpi: 150, lines: ['OFFERTE', 'KLANTNUMMER KL-000123', 'TOTAAL EUR 1.234,56'] }));
    assert.ok(guess.flipCertainty < 0.2, JSON.stringify(guess));
  });
  it('given a blank page when guessed then no glyphs are found', () => {
    const guess = guessTextOrientation(renderScan({ dpi: 150, lines: [] }));
    assert.equal(guess.glyphs, 0);
    assert.equal(guess.rotation, 0);
  });
});

describe(rotateGrey.name, () => {
  it('given a 3x2 image when turned 90° clockwise then the bottom-left pixel is top-left', () => {
    const r = rotateGrey(tiny, 90);
    assert.deepEqual([r.width, r.height, [...r.data]], [2, 3, [4, 1, 5, 2, 6, 3]]);
  });
  it('given a 3x2 image when turned 270° then the top-right pixel is top-left', () => {
    assert.deepEqual([...rotateGrey(tiny, 270).data], [3, 6, 2, 5, 1, 4]);
  });
  it('given any image when turned four times 90° or twice 180° then it is unchanged', () => {
    const four = [90, 90, 90, 90].reduce((img) => rotateGrey(img, 90), tiny);
    assert.deepEqual(four, tiny);
    assert.deepEqual(rotateGrey(rotateGrey(tiny, 180), 180), tiny);
  });
});

describe(despeckle.name, () => {
  it('given dust specks when despeckled then most speck ink is gone and the text ink stays', () => {
    const clean = renderScan({ dpi: 200, lines: ['Offerte KL-000123'] });
    const noisy = addSpeckle(clean, 0.004);
    const cleaned = despeckle(noisy);
    const ink = (img: GreyImage) => img.data.reduce((n, p) => n + (p < 128 ? 1 : 0), 0);
    let kept = 0;
    clean.data.forEach((p, i) => (kept += p < 128 && cleaned.data[i]! < 128 ? 1 : 0));
    assert.ok(ink(noisy) - ink(clean) > ink(clean) * 0.5, 'the sample should be visibly noisy');
    assert.ok(ink(cleaned) - ink(clean) < (ink(noisy) - ink(clean)) * 0.4, `${ink(cleaned)} vs ${ink(clean)} (noisy ${ink(noisy)})`);
    assert.ok(kept > ink(clean) * 0.85, `kept ${kept} of ${ink(clean)} text pixels`);
  });
});

describe(downscaleGrey.name, () => {
  it('given a 4x2 image halved when downscaled then each pixel is its 2x2 mean', () => {
    const img: GreyImage = { width: 4, height: 2, data: Uint8Array.from([0, 100, 200, 200, 0, 100, 0, 0]) };
    assert.deepEqual(downscaleGrey(img, 2), { width: 2, height: 1, data: Uint8Array.from([50, 100]) });
  });
  it('given a 7x3 image divided by 3 when downscaled then the leftover column is dropped', () => {
    const img: GreyImage = { width: 7, height: 3, data: Uint8Array.from({ length: 21 }, (_, i) => (i % 7 < 3 ? 30 : 90)) };
    assert.deepEqual(downscaleGrey(img, 3), { width: 2, height: 1, data: Uint8Array.from([30, 90]) });
  });
});

describe(toPgm.name, () => {
  it('given grey pixels when encoded then it is a binary PGM with the pixels after the header', () => {
    const pgm = toPgm(tiny);
    assert.equal(pgm.subarray(0, 11).toString('latin1'), 'P5\n3 2\n255\n');
    assert.deepEqual([...pgm.subarray(11)], [1, 2, 3, 4, 5, 6]);
  });
  it('given pixels that mimic an EXIF orientation tag when encoded then the pattern is broken', () => {
    const data = new Uint8Array(100).fill(255);
    data.set([1, 18, 0, 3, 0, 0, 0, 1, 0, 6], 20);
    const sniff = [...toPgm({ width: 100, height: 1, data }).subarray(0, 500)].join(' ');
    assert.doesNotMatch(sniff, /1 18 0 3 0 0 0 1 0 \d/);
  });
});
