import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseForIndex, toTsquery } from '../../src/db/search-pg.js';
import { parseQuery } from '../../src/domain/search-query.js';

describe(toTsquery.name, () => {
  it('given words, phrases, prefixes, OR and NOT when compiled then they map to tsquery operators', () => {
    assert.equal(toTsquery(parseQuery('offerte koelunit')), "'offerte' & 'koelunit'");
    assert.equal(toTsquery(parseQuery('offerte OR factuur -verlopen')), "('offerte' | 'factuur') & !'verlopen'");
    assert.equal(toTsquery(parseQuery('"service level" financ*')), "('service' <-> 'level') & 'financ':*");
  });
  it('given a customer number and an apostrophe when compiled then they become the phrases the index holds', () => {
    assert.equal(toTsquery(parseQuery("KL-0001* o'brien")), "('KL' <-> '0001':*) & ('o' <-> 'brien')");
  });
  it('given tsquery operators typed by a user when compiled then they are no more than separators', () => {
    assert.equal(toTsquery(parseQuery("a & !b | c <-> d ' : (e)")), "'a' & 'b' & 'c' & 'd' & 'e'");
  });
});

describe(normaliseForIndex.name, () => {
  it('given punctuation inside words and decomposed accents when normalised then words split as FTS5 splits them and accents stay', () => {
    assert.equal(normaliseForIndex('KL-000123, € 4.850,00; e-mail x@y.nl'), 'KL 000123 4 850 00 e mail x y nl');
    assert.equal(normaliseForIndex('financie\u0308le'), 'financiële');
  });
});
