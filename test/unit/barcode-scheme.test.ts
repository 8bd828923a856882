import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import scheme from '../../barcodes/scheme.json' with { type: 'json' };
import { BARCODE_KINDS, makeBarcode, parseBarcode } from '../../src/domain/barcode.js';

// A spread of numbers per kind: edges, every digit in every position somewhere, and some noise.
const NUMBERS = [0, 1, 9, 10, 123, 4_567, 98_765, 1_234_567, 80_000_001, 999_999_999, 314_159_265, 271_828_182];
const CODES = BARCODE_KINDS.flatMap((kind) => NUMBERS.map((n) => makeBarcode(kind, n)));

describe(makeBarcode.name, () => {
  it('given every kind when a barcode is made then it is the prefix, the zero-padded number and one check digit', () => {
    for (const kind of BARCODE_KINDS) {
      const code = makeBarcode(kind, 1234);
      const k = scheme.kinds[kind];
      assert.match(code, new RegExp(`^${k.prefix}\\d{${k.digits + 1}}$`));
    }
    assert.equal(makeBarcode('document', 123).slice(0, 10), 'D000000123');
  });

  it('given a number outside the digits when a barcode is made then it throws', () => {
    assert.throws(() => makeBarcode('document', -1), RangeError);
    assert.throws(() => makeBarcode('document', 1e9), RangeError);
    assert.throws(() => makeBarcode('document', 1.5), RangeError);
  });
});

describe(parseBarcode.name, () => {
  it('given made barcodes when parsed then kind, number and code round-trip', () => {
    for (const kind of BARCODE_KINDS) {
      for (const n of NUMBERS) {
        const code = makeBarcode(kind, n);
        assert.deepEqual(parseBarcode(code), { ok: true, value: { kind, number: n, code } });
      }
    }
  });

  it('given every single-character substitution of a digit when parsed then each is rejected', () => {
    let tried = 0;
    for (const code of CODES) {
      for (let pos = 1; pos < code.length; pos++) {
        for (const d of '0123456789') {
          if (d === code[pos]) continue;
          const typo = code.slice(0, pos) + d + code.slice(pos + 1);
          assert.deepEqual(parseBarcode(typo), { ok: false, problem: 'bad_check_digit' }, `${code} -> ${typo}`);
          tried++;
        }
      }
    }
    assert.equal(tried, CODES.length * 10 * 9);
  });

  it('given every adjacent transposition when parsed then each is rejected', () => {
    let tried = 0;
    for (const code of CODES) {
      for (let pos = 0; pos + 1 < code.length; pos++) {
        if (code[pos] === code[pos + 1]) continue; // swapping equal neighbours changes nothing
        const swapped = code.slice(0, pos) + code[pos + 1] + code[pos] + code.slice(pos + 2);
        // A swap with the prefix makes a digit-led code; the rest must fail the check digit.
        const result = parseBarcode(swapped);
        assert.equal(result.ok, false, `${code} -> ${swapped}`);
        if (pos > 0) assert.deepEqual(result, { ok: false, problem: 'bad_check_digit' }, `${code} -> ${swapped}`);
        tried++;
      }
    }
    assert.ok(tried > CODES.length * 3, `only ${tried} transpositions tried`);
  });

  it('given the prefix of another kind when parsed then the check digit rejects it', () => {
    const prefixes = BARCODE_KINDS.map((k) => scheme.kinds[k].prefix);
    for (const code of CODES) {
      for (const p of prefixes) {
        if (p === code[0]) continue;
        assert.deepEqual(parseBarcode(p + code.slice(1)), { ok: false, problem: 'bad_check_digit' }, `${code} as ${p}`);
      }
    }
  });

  it('given a prefix no kind uses when parsed then it is an unknown prefix', () => {
    const code = makeBarcode('document', 1234);
    assert.deepEqual(parseBarcode('X' + code.slice(1)), { ok: false, problem: 'unknown_prefix' });
    assert.deepEqual(parseBarcode('7' + code.slice(1)), { ok: false, problem: 'unknown_prefix' });
  });

  it('given lower case and surrounding white space when parsed then the code is accepted in upper case', () => {
    const code = makeBarcode('location', 5);
    for (const raw of [code.toLowerCase(), `  ${code}  `, `\t${code.toLowerCase()}\r\n`]) {
      const result = parseBarcode(raw);
      assert.ok(result.ok, JSON.stringify(raw));
      assert.equal(result.value.code, code);
      assert.equal(result.value.kind, 'location');
      assert.equal(result.value.number, 5);
    }
  });

  it('given malformed input when parsed then the problem is named, not guessed', () => {
    const code = makeBarcode('document', 1234);
    assert.deepEqual(parseBarcode('   '), { ok: false, problem: 'empty' });
    assert.deepEqual(parseBarcode(code.slice(0, -1)), { ok: false, problem: 'bad_length' });
    assert.deepEqual(parseBarcode(code + '0'), { ok: false, problem: 'bad_length' });
    assert.deepEqual(parseBarcode('D00000O1234'), { ok: false, problem: 'not_digits' });
    assert.deepEqual(parseBarcode(`${code.slice(0, 5)} ${code.slice(6)}`), { ok: false, problem: 'not_digits' });
  });
});
