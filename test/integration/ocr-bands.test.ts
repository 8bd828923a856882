// postgres-pass: skip (the OCR engine alone, no database)
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { planBands } from '../../src/adapters/ocr/page-bands.js';
import type { OcrWord } from '../../src/adapters/ocr/ocr-engine.js';
import { createTesseractOcrEngine } from '../../src/adapters/ocr/tesseract-ocr.engine.js';
import type { GreyImage } from '../../src/adapters/pdf/pdf-render.js';
import { computeCer } from '../../src/domain/text-metrics.js';
import { renderScan } from '../helpers/scan-samples.js';

// A dense page: long lines top to bottom, the last one a reference we look for by position.
const DENSE_LINES = [
  'Dossierlink Verzekeringen B.V., Postbus 1234, 1000 AB Amsterdam',
  'Betreft: offerte voor de financiële administratie van uw bedrijf',
  'Klantnummer: KL-000123, polisnummer 88-4412-07, datum 14 maart 2024',
  'Geachte heer Jansen, hierbij ontvangt u onze offerte voor het beheer',
  'van de administratie over het boekjaar 2024, inclusief de aangifte',
  'omzetbelasting per kwartaal en de jaarrekening met toelichting.',
  'Het totaalbedrag is EUR 1.234,56 excl. btw, te voldoen binnen dertig',
  'dagen na factuurdatum op rekening NL91 ABNA 0417 1643 00 ten name van',
  'Dossierlink Verzekeringen onder vermelding van het klantnummer.',
  'Dear customer, please find our quotation enclosed with this letter.',
  'Wij vertrouwen erop u hiermee een passende aanbieding te hebben gedaan',
  'en zien uw reactie graag tegemoet. Met vriendelijke groet, J. de Vries',
  'Referentie OFFERTE-2024-0815',
];
const dense = renderScan({ dpi: 300, heightIn: 5.5, lines: DENSE_LINES });

/** Every pixel of `b` darkened onto `a` at offset (dx, dy): two scans printed on one sheet. */
function overlay(a: GreyImage, b: GreyImage, dx: number, dy: number): GreyImage {
  const data = new Uint8Array(a.data);
  for (let y = 0; y < b.height; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= a.height) continue;
    for (let x = 0; x < b.width; x++) {
      const tx = x + dx;
      if (tx < 0 || tx >= a.width) continue;
      data[ty * a.width + tx] = Math.min(data[ty * a.width + tx]!, b.data[y * b.width + x]!);
    }
  }
  return { width: a.width, height: a.height, data };
}

const inkRows = (img: GreyImage): number[] => {
  const rows: number[] = [];
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.data[y * img.width + x]! < 128) {
        rows.push(y);
        break;
      }
    }
  }
  return rows;
};

describe(planBands.name, () => {
  it('given a dense page and two workers when planned then it is cut in two at a blank row and every inked row lies in a band', () => {
    const { bands } = planBands(dense, 2);
    assert.equal(bands.length, 2);
    const [top, bottom] = bands as [(typeof bands)[0], (typeof bands)[0]];
    // The bands share only the blank gap between two lines: no row there has ink.
    assert.ok(bottom.y0 < top.y1, 'the bands meet in the gap');
    const ink = new Set(inkRows(dense));
    for (let y = bottom.y0; y < top.y1; y++) assert.ok(!ink.has(y), `row ${y} in the cut has ink`);
    for (const y of ink) assert.ok((y >= top.y0 && y < top.y1) || (y >= bottom.y0 && y < bottom.y1), `inked row ${y} is in no band`);
    // Balanced by ink: neither band holds fewer than a third of the lines' rows.
    const inTop = [...ink].filter((y) => y < top.y1).length;
    assert.ok(inTop > ink.size / 3 && inTop < (ink.size * 2) / 3, `${inTop} of ${ink.size} inked rows in the top band`);
  });

  it('given lines set so tight that no blank row separates them when planned then the page is not cut', () => {
    const line = renderScan({ dpi: 300, heightIn: 1.5, lines: ['Gijp qualitgy Hkbl dagjes pygmee Jkhl typographique'] });
    const rows = inkRows(line);
    const [first, last] = [rows[0]!, rows[rows.length - 1]!];
    // Each next line starts 4 px above where the previous one's descenders end.
    let page: GreyImage = { width: line.width, height: 3508, data: new Uint8Array(line.width * 3508).fill(255) };
    for (let i = 0; i < 30; i++) page = overlay(page, line, 0, 100 + i * (last - first - 4) - first);
    const { bands } = planBands(page, 2);
    assert.equal(bands.length, 1);
    const ink = inkRows(page);
    assert.ok(bands[0]!.y0 <= ink[0]! && bands[0]!.y1 > ink[ink.length - 1]!, 'the one band holds all the text');
  });

  it('given two columns side by side when planned then it is not cut (reading in bands would change the reading order)', () => {
    const column = renderScan({ dpi: 300, heightIn: 5.5, lines: DENSE_LINES.map((l) => l.slice(0, 34)) });
    const page = overlay(column, column, 1000, 0);
    assert.equal(planBands(page, 2).bands.length, 1);
    // The same column alone is cut: the gutter is what stops it.
    assert.equal(planBands(column, 2).bands.length, 2);
  });

  it('given one worker when planned then the page is read whole, margins included (cropping changed what degraded scans read)', () => {
    assert.deepEqual(planBands(dense, 1).bands, [{ x0: 0, y0: 0, x1: dense.width, y1: dense.height }]);
  });

  it('given two workers when planned then the bands cover the page edge to edge and top to bottom, meeting only in blank rows', () => {
    const { bands } = planBands(dense, 2);
    assert.equal(bands.length, 2);
    assert.ok(bands.every((b) => b.x0 === 0 && b.x1 === dense.width), JSON.stringify(bands));
    assert.equal(bands[0]!.y0, 0);
    assert.equal(bands[1]!.y1, dense.height);
    assert.ok(bands[1]!.y0 < bands[0]!.y1, 'each band takes in the whole gap, so they overlap in blank rows');
  });
});

describe('tesseract.js engine reading one page in bands', () => {
  const bandLog: number[] = [];
  const logger = { warn: () => undefined, debug: (o: object) => void ('bands' in o && bandLog.push(Number(o.bands))) };
  // The default quiet spell (1.5 s): with 300 ms, a loaded CI host took longer than that to get the
  // next page from the call to its reading, and split a page that came right after another.
  const two = createTesseractOcrEngine({ langs: ['nld', 'eng'], workers: 2, logger });
  const one = createTesseractOcrEngine({ langs: ['nld', 'eng'], workers: 1 });
  after(() => Promise.all([two.terminate(), one.terminate()]));

  it('given a dense page alone with a worker idle when read then it is read in bands with the same text and page-coordinate word boxes as in one piece', async () => {
    // Start the second worker first, so it is idle when the page comes.
    await Promise.all([two.recognize(renderScan({ dpi: 100, lines: ['warm'] })), two.recognize(renderScan({ dpi: 100, lines: ['up'] }))]);
    // Right after another page: a stream of pages, read whole.
    bandLog.length = 0;
    await two.recognize(dense);
    assert.deepEqual(bandLog, [], 'a page right after another is not split');
    // A page alone after a quiet spell: split.
    await new Promise((r) => setTimeout(r, 1_600));
    const [banded, whole] = await Promise.all([two.recognize(dense), one.recognize(dense)]);
    assert.deepEqual(bandLog, [2], 'read in two bands');
    const truth = DENSE_LINES.join('\n');
    const cerBanded = computeCer(truth, banded.text);
    const cerWhole = computeCer(truth, whole.text);
    assert.ok(cerBanded <= Math.max(0.01, cerWhole), `CER in bands ${cerBanded.toFixed(4)}, in one piece ${cerWhole.toFixed(4)}`);
    assert.ok(Math.abs(banded.confidence - whole.confidence) <= 2, `confidence ${banded.confidence} vs ${whole.confidence}`);
    // Same words, in the same order, in the same place on the page.
    const key = (w: OcrWord) => w.text;
    assert.deepEqual(banded.words?.map(key), whole.words?.map(key));
    for (const [i, w] of (banded.words ?? []).entries()) {
      const o = whole.words![i]!;
      for (const k of ['x0', 'y0', 'x1', 'y1'] as const) assert.ok(Math.abs(w.bbox[k] - o.bbox[k]) <= 3, `${w.text}: ${JSON.stringify(w.bbox)} vs ${JSON.stringify(o.bbox)}`);
    }
    // The last line is drawn with its baseline at 0.9 in + 12 × 0.3 in = 1350 px: its word box sits there, in the bottom band.
    const ref = banded.words?.find((w) => w.text === 'OFFERTE-2024-0815');
    assert.ok(ref, 'the reference is read as one word');
    assert.ok(ref.bbox.y1 > 1330 && ref.bbox.y1 < 1370 && ref.bbox.x0 > 500, JSON.stringify(ref.bbox));
    const bottomBand = planBands(dense, 2).bands[1]!;
    assert.ok(ref.bbox.y0 >= bottomBand.y0, `${JSON.stringify(ref.bbox)} lies in the bottom band from row ${bottomBand.y0}`);
  });
});
