import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fts5Phrases, requiredPhrases, toFts5Match } from '../../src/db/search-fts5.js';
import { QueryError, parseQuery } from '../../src/domain/search-query.js';

/** The tree compiled for SQLite, whose FTS5 form these tests have pinned since the first version. */
const compileQuery = (q: string) => toFts5Match(parseQuery(q));

describe(parseQuery.name, () => {
  it('given plain words when compiled then each is quoted and ANDed', () => {
    assert.equal(compileQuery('offerte koelunit'), '"offerte" AND "koelunit"');
  });
  it('given a prefix and a phrase when compiled then both survive', () => {
    assert.equal(compileQuery('financ* "service level"'), '"financ"* AND "service level"');
  });
  it('given OR and an exclusion when compiled then they map to FTS5 operators', () => {
    assert.equal(compileQuery('offerte OR factuur -verlopen'), '("offerte" OR "factuur") NOT "verlopen"');
  });
  it('given a customer number when compiled then it becomes the phrase the index holds', () => {
    assert.equal(compileQuery('KL-000123'), '"KL 000123"');
  });
  it('given FTS5 syntax characters when compiled then they cannot escape the quotes', () => {
    assert.equal(compileQuery('a"b'.replace('"', '')), '"ab"');
    assert.equal(compileQuery('NEAR(x y) ^col:z'), '"NEAR x" AND "y" AND "col z"');
  });
  it('given repeated terms when compiled then each counts once', () => {
    assert.equal(compileQuery(Array(60).fill('ka*').join(' ')), '"ka"*');
    assert.equal(compileQuery('x OR x -y -y'), '"x" NOT "y"');
    assert.equal(compileQuery('a b OR a'), '"a" AND ("b" OR "a")', 'an OR group keeps its meaning');
  });
  for (const [q, code] of [
    ['a*', 'prefix_too_short'],
    ['KL-0*', 'prefix_too_short'],
    ['ka* ba* de* ma* ra* lo*', 'too_many_prefixes'],
    [Array.from({ length: 17 }, (_, i) => `w${i}`).join(' '), 'too_many_terms'],
  ] as const) {
    it(`given the costly query ${JSON.stringify(q.slice(0, 20))} when compiled then a QueryError with code ${code}`, () => {
      assert.throws(() => compileQuery(q), (e: Error) => e instanceof QueryError && e.code === code);
    });
  }
  for (const [q, msg] of [
    ['"unclosed', /quote is not closed/],
    ['', /at least one word/],
    ['-only', /not only excluded/],
    ['OR x', /OR needs a word/],
    ['x OR', /OR needs a word/],
    ['*', /must follow/],
    ['x'.repeat(501), /too long/],
  ] as const) {
    it(`given the malformed query ${JSON.stringify(q.slice(0, 12))} when compiled then a QueryError explains it`, () => {
      assert.throws(() => compileQuery(q), (e: Error) => e instanceof QueryError && msg.test(e.message));
    });
  }
});

describe(requiredPhrases.name, () => {
  for (const [q, phrases, required] of [
    ['offerte totaal', ['"offerte"', '"totaal"'], true],
    ['"factuur datum" ka* -verlopen', ['"factuur datum"', '"ka"*', '"verlopen"'], true],
    ['offerte OR factuur', ['"offerte"', '"factuur"'], false],
    ['de (klant OR datum)', ['"de"', '"klant"', '"datum"'], false],
  ] as const) {
    it(`given ${JSON.stringify(q)} when its phrases are listed then each is one in FTS5's order, and ${required ? 'each not excluded is in every match' : 'an OR group makes none required'}`, () => {
      assert.deepEqual(fts5Phrases(parseQuery(q)), phrases);
      assert.equal(requiredPhrases(parseQuery(q)), required);
    });
  }
});
