import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseQuery } from '../../src/domain/search-query.js';
import { searchRepository } from '../../src/db/search.repository.js';
import { corpusDocuments, fillSearchIndex } from '../helpers/search-corpus.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const QUERIES = ['klant', 'factuur offerte', 'ka*', '"de klant"', 'brief -datum'];

describe('search index: many documents at once (indexMany)', () => {
  let t: TestApp;
  const results = () =>
    t.dl.db.interruptible(async (q) => {
      const out: Record<string, unknown> = {};
      for (const query of QUERIES) {
        const r = await searchRepository.search(q, parseQuery(query), {}, 50, 0);
        out[query] = { total: r.total, hits: r.rows.map((x) => [x.id, x.score, x.snippet]) };
      }
      return out;
    }, { timeoutMs: 20_000 });

  before(async () => {
    t = await startTestApp();
    await fillSearchIndex(t.dl.db, 600, { customerId: 'KL-000123', words: 80 });
  });
  after(() => t.close());

  it('given the same documents indexed one by one when searched then totals, hits, scores and snippets equal those indexed at once', async () => {
    const many = await results();
    await t.dl.db.tx(async (q) => {
      for (const d of corpusDocuments(600, { words: 80 })) await searchRepository.index(q, d.id, d.title, d.text);
    });
    assert.deepEqual(await results(), many);
    assert.ok((many.klant as { total: number }).total > 100, 'the queries match something');
  });

  it('given a document given twice with new text when indexed at once then only its last text is found, once', async () => {
    const [a, b] = corpusDocuments(2, { words: 80 });
    const entries = await searchRepository.count(t.dl.db);
    await t.dl.db.tx((q) =>
      searchRepository.indexMany(q, [
        { id: a!.id, title: 'Eerste', text: 'zonnebloem' },
        { id: b!.id, title: b!.title, text: b!.text },
        { id: a!.id, title: 'Tweede', text: 'paardenbloem' },
      ]),
    );
    const find = async (word: string) => (await searchRepository.search(t.dl.db, parseQuery(word), {}, 10, 0)).rows.map((r) => r.id);
    assert.deepEqual({ eerste: await find('eerste'), zonnebloem: await find('zonnebloem') }, { eerste: [], zonnebloem: [] }, 'the first entry was replaced');
    assert.deepEqual({ tweede: await find('tweede'), paardenbloem: await find('paardenbloem') }, { tweede: [a!.id], paardenbloem: [a!.id] });
    assert.equal(await searchRepository.count(t.dl.db), entries, 'still one entry per document');
  });
});
