import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasRealText, joinTextItems, textItemWords } from '../../src/adapters/pdf/pdf-text.js';

/** A pdfjs text item at (x, y) in points, 10 pt font, width ~5 pt per character. */
const item = (str: string, x: number, y: number, hasEOL = false) => ({ str, transform: [10, 0, 0, 10, x, y], width: str.length * 5, height: 10, hasEOL });

describe(joinTextItems.name, () => {
  it('given items marked end-of-line when joined then each line ends there', () => {
    assert.equal(joinTextItems([item('Offerte', 50, 800, true), item('Klantnummer: KL-000123', 50, 785, true)]), 'Offerte\nKlantnummer: KL-000123');
  });
  it('given words placed separately on one baseline when joined then gaps become single spaces', () => {
    assert.equal(joinTextItems([item('Totaal', 50, 700), item('EUR', 85, 700), item('1.234,56', 105, 700)]), 'Totaal EUR 1.234,56');
  });
  it('given touching items on one baseline when joined then no space is invented', () => {
    assert.equal(joinTextItems([item('finan', 50, 700), item('ciële', 75, 700)]), 'financiële');
  });
  it('given a baseline jump without end-of-line marks when joined then a new line starts', () => {
    assert.equal(joinTextItems([item('Datum:', 50, 700), item('14 maart 2024', 50, 680)]), 'Datum:\n14 maart 2024');
  });
  it('given runs of blank lines and spaces when joined then they collapse', () => {
    const items = [item('a  b', 50, 700, true), item('', 50, 690, true), item('', 50, 680, true), item('', 50, 670, true), item('c', 50, 660, true)];
    assert.equal(joinTextItems(items), 'a b\n\nc');
  });
});

describe(hasRealText.name, () => {
  it('given a page number only when checked then it is not a text layer', () => {
    assert.equal(hasRealText('  - 3 -  '), false);
  });
  it('given twenty non-space characters when checked then it is a text layer', () => {
    assert.equal(hasRealText('Klantnummer KL-000123'), true);
  });
});

describe(textItemWords.name, () => {
  it('given a word split over touching items and a value further right when boxed then the pieces are one word and the value keeps its place', () => {
    const words = textItemWords([item('Fac', 50, 700), item('tuurnummer', 65, 700), item('993548900', 200, 700)], 842);
    assert.deepEqual(words.map((w) => w.text), ['Factuurnummer', '993548900']);
    assert.equal(words[1]!.x0, 200);
    assert.ok(Math.abs(words[0]!.y0 - (842 - 700 - 8)) < 0.01, 'top of the word, origin top left');
  });
  it('given an item holding a whole line when boxed then each word gets its share of the width', () => {
    const words = textItemWords([item('Datum: 14 maart', 50, 700)], 842);
    assert.deepEqual(words.map((w) => [w.text, w.x0]), [['Datum:', 50], ['14', 85], ['maart', 100]]);
  });
});
