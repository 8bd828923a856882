// postgres-pass: skip (label PDFs and the barcode engine, no database)
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { centre, createBarcodeReader } from '../../src/adapters/barcode/barcode-reader.js';
import type { BarcodeHit } from '../../src/adapters/barcode/barcode-reader.js';
import { labelCell, listLabelLayouts, renderBlankCodesSheet, renderLabelsPdf } from '../../src/adapters/pdf/labels.pdf.js';
import type { LabelContent, LabelLayout } from '../../src/adapters/pdf/labels.pdf.js';
import { openPdfDocument, renderPdfPage } from '../../src/adapters/pdf/pdf-render.js';
import { makeBarcode } from '../../src/domain/barcode.js';
import { AppError } from '../../src/errors.js';

const DPI = 300;
const reader = createBarcodeReader();
const mmToPx = (mm: number) => (mm / 25.4) * DPI;

function labels(count: number, from = 1): LabelContent[] {
  return Array.from({ length: count }, (_, i) => ({
    barcode: makeBarcode('document', from + i),
    lines: [`Klant ${from + i} B.V.`, 'Servicecontract · 2025-03-01', 'Onderhoud warmtepomp Hoofdstraat 12'],
  }));
}

/** Decodes a page and says, for each code, which label slot (0-based) its whole symbol lies in. */
async function decodePage(pdf: Uint8Array, pageNo: number, layout: LabelLayout, expect: number): Promise<Map<string, number>> {
  const image = await renderPdfPage(pdf, pageNo, DPI);
  const hits = await reader.read(image, { formats: ['Code128'], expect });
  const slots = new Map<string, number>();
  for (const hit of hits) {
    assert.ok(!slots.has(hit.text), `${hit.text} found twice`);
    slots.set(hit.text, slotOf(hit, layout));
  }
  return slots;
}

function slotOf(hit: BarcodeHit, layout: LabelLayout): number {
  const p = hit.position!;
  const c = centre(p);
  for (let slot = 0; slot < layout.perSheet; slot++) {
    const cell = labelCell(layout, slot);
    const inside = (pt: { x: number; y: number }) =>
      pt.x >= mmToPx(cell.x) && pt.x <= mmToPx(cell.x + cell.width) && pt.y >= mmToPx(cell.y) && pt.y <= mmToPx(cell.y + cell.height);
    if (inside(c)) {
      for (const corner of [p.topLeft, p.topRight, p.bottomRight, p.bottomLeft]) assert.ok(inside(corner), `${hit.text} crosses the edge of label ${slot + 1}`);
      return slot;
    }
  }
  assert.fail(`${hit.text} at ${JSON.stringify(c)} is in no label`);
}

async function pageCount(pdf: Uint8Array): Promise<number> {
  return (await PDFDocument.load(pdf)).getPageCount();
}

function isInvalid(code: string) {
  return (err: unknown) => err instanceof AppError && err.status === 400 && err.code === code;
}

describe(renderLabelsPdf.name, () => {
  before(async () => {
    await reader.read({ width: 8, height: 8, data: new Uint8Array(64).fill(255) });
  });

  for (const layout of listLabelLayouts()) {
    it(`given a full ${layout.id} sheet when rendered at 300 dpi then every barcode decodes in its own label`, async () => {
      const batch = labels(layout.perSheet, 100);
      const pdf = await renderLabelsPdf(batch, { layout: layout.id });
      assert.equal(await pageCount(pdf), 1);
      const page = (await PDFDocument.load(pdf)).getPage(0);
      assert.ok(Math.abs(page.getWidth() - (layout.page.width / 25.4) * 72) < 0.01, 'page width');
      assert.ok(Math.abs(page.getHeight() - (layout.page.height / 25.4) * 72) < 0.01, 'page height');
      const slots = await decodePage(pdf, 1, layout, batch.length);
      assert.deepEqual(
        batch.map((l) => slots.get(l.barcode)),
        batch.map((_, i) => i),
      );
    });
  }

  it('given each layout when rendered then the Code 128 module is at least 0.25 mm wide', async () => {
    for (const layout of listLabelLayouts()) {
      const pdf = await renderLabelsPdf(labels(1), { layout: layout.id });
      const [hit] = await reader.read(await renderPdfPage(pdf, 1, DPI), { formats: ['Code128'] });
      // 'D' + 10 digits is 112 modules start to stop; ZXing's corners span the symbol without quiet zones.
      const widthPx = hit!.position!.topRight.x - hit!.position!.topLeft.x;
      const moduleMm = ((widthPx / 112) * 25.4) / DPI;
      assert.ok(moduleMm >= 0.25, `${layout.id}: module ${moduleMm.toFixed(3)} mm`);
    }
  });

  it('given startAt 5 on a 3x7 sheet when three labels are rendered then labels 1-4 stay blank and 5-7 carry the codes', async () => {
    const layout = listLabelLayouts().find((l) => l.id === 'a4-3x7-70x42.3')!;
    const batch = labels(3);
    const pdf = await renderLabelsPdf(batch, { layout: layout.id, startAt: 5 });
    const slots = await decodePage(pdf, 1, layout, 3);
    assert.deepEqual(
      batch.map((l) => slots.get(l.barcode)),
      [4, 5, 6],
    );
    assert.equal(slots.size, 3);
  });

  it('given more labels than fit after startAt when rendered then the rest continues on a second sheet from label 1', async () => {
    const layout = listLabelLayouts().find((l) => l.id === 'a4-3x8-70x37')!;
    const batch = labels(10);
    const progress: number[] = [];
    const pdf = await renderLabelsPdf(batch, { layout: layout.id, startAt: 20, onProgress: (p) => progress.push(p.done) });
    assert.equal(await pageCount(pdf), 2);
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const first = await decodePage(pdf, 1, layout, 5);
    const second = await decodePage(pdf, 2, layout, 5);
    assert.deepEqual(batch.slice(0, 5).map((l) => first.get(l.barcode)), [19, 20, 21, 22, 23]);
    assert.deepEqual(batch.slice(5).map((l) => second.get(l.barcode)), [0, 1, 2, 3, 4]);
    assert.equal(first.size + second.size, 10);
  });

  it('given text Helvetica cannot encode and lines too long when rendered then it is sanitised and cut with an ellipsis', async () => {
    const code = makeBarcode('document', 42);
    const pdf = await renderLabelsPdf(
      [{ barcode: code.toLowerCase(), lines: ['Łódź Trading 🍰 Ősz\tKft.', 'Offerte\u00a0·\u00a02025-03-01 — 日本', 'x'.repeat(200)] }],
      { layout: 'single-62x29' },
    );
    const text = await pageText(pdf);
    assert.ok(text.includes('Lódz Trading Osz Kft.'), text);
    assert.ok(text.includes('Offerte'), text);
    assert.ok(text.includes('— ??'), text);
    assert.match(text, /x{20,}…/);
    assert.ok(!text.includes('x'.repeat(200)), 'the long line was not cut');
    assert.ok(text.includes(code), 'the human-readable code is printed in upper case');
  });

  it('given an unknown layout when rendered then it fails with unknown_layout', async () => {
    await assert.rejects(renderLabelsPdf(labels(1), { layout: 'a4-9x9' }), isInvalid('unknown_layout'));
  });

  it('given bad input when rendered then each problem has its own error code', async () => {
    const layout = 'a4-3x7-70x42.3';
    await assert.rejects(renderLabelsPdf(labels(1), { layout, startAt: 22 }), isInvalid('invalid_start_at'));
    await assert.rejects(renderLabelsPdf(labels(1), { layout, startAt: 0 }), isInvalid('invalid_start_at'));
    await assert.rejects(renderLabelsPdf([], { layout }), isInvalid('no_labels'));
    const good = makeBarcode('document', 1234);
    const mistyped = good.slice(0, -1) + String((Number(good.slice(-1)) + 1) % 10);
    await assert.rejects(renderLabelsPdf([{ barcode: mistyped, lines: [] }], { layout }), isInvalid('invalid_barcode'));
    await assert.rejects(renderLabelsPdf([{ barcode: makeBarcode('document', 1), lines: ['a', 'b', 'c', 'd'] }], { layout }), isInvalid('too_many_lines'));
  });
});

describe(renderBlankCodesSheet.name, () => {
  it('given a sheet of codes when rendered then every code decodes in order and no other text is printed', async () => {
    const layout = listLabelLayouts().find((l) => l.id === 'a4-2x7-99.1x38.1')!;
    const codes = Array.from({ length: layout.perSheet }, (_, i) => makeBarcode('document', 5000 + i));
    const pdf = await renderBlankCodesSheet(codes, layout.id);
    const slots = await decodePage(pdf, 1, layout, codes.length);
    assert.deepEqual(codes.map((c) => slots.get(c)), codes.map((_, i) => i));
    assert.deepEqual((await pageText(pdf)).split(/\s+/).filter(Boolean), codes);
  });
});

async function pageText(pdf: Uint8Array): Promise<string> {
  const doc = await openPdfDocument(pdf);
  try {
    const page = await doc.getPage(1);
    const content = await page.getTextContent();
    return content.items.map((item) => ('str' in item ? item.str : '')).join('\n');
  } finally {
    await doc.destroy();
  }
}
